import { BackstageCredentials } from '@backstage/backend-plugin-api';

/** The registries K2 pushes to and reads back from (`k2.registries`). */
export interface ImageRegistries {
  /** The hosts of `k2.registries`. */
  readonly hosts: ReadonlySet<string>;
  /**
   * The digest the registry answers for `path:tag`, with K2's credentials; undefined
   * when it has no such manifest.
   *
   * @throws ServiceUnavailableError naming the registry when it cannot answer
   */
  manifest(
    registryHost: string,
    path: string,
    tag: string,
  ): Promise<{ digest: string } | undefined>;
}

/** Starts the release of a built image through the Deploy backend's API. */
export interface ReleaseStarter {
  /**
   * Releases `image` of the service to `environment`, as `onBehalfOf` (a user who
   * started the build) or as the builds plugin itself (a push's build).
   */
  release(options: {
    service: { namespace: string; name: string };
    environment: string;
    image: string;
    onBehalfOf: BackstageCredentials | 'plugin';
  }): Promise<{ id: string; number: number }>;
}
