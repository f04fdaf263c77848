import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { ReleaseStarter } from './types';

/** {@link ReleaseStarter} over HTTP: `POST /api/k2-deploy/services/{ns}/{name}/releases`. */
export class DeployReleaseStarter implements ReleaseStarter {
  constructor(
    private readonly options: {
      auth: AuthService;
      discovery: DiscoveryService;
    },
  ) {}

  async release(options: Parameters<ReleaseStarter['release']>[0]) {
    const { auth, discovery } = this.options;
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf:
        options.onBehalfOf === 'plugin'
          ? await auth.getOwnServiceCredentials()
          : options.onBehalfOf,
      targetPluginId: 'k2-deploy',
    });
    const base = await discovery.getBaseUrl('k2-deploy');
    const { namespace, name } = options.service;
    const response = await fetch(
      `${base}/services/${encodeURIComponent(namespace)}/${encodeURIComponent(
        name,
      )}/releases`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({
          environment: options.environment,
          image: options.image,
        }),
      },
    );
    if (!response.ok) throw await ResponseError.fromResponse(response);
    const release = (await response.json()) as { id: string; number: number };
    return { id: release.id, number: release.number };
  }
}
