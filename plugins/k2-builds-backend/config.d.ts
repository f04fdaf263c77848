import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    /** The Builds backend (plugin k2-builds). */
    builds?: {
      /**
       * What runs builds: `local` (buildah as a child process; development and CI) or
       * `kubernetes` (a BuildKit Job in a cluster). Default `local`.
       */
      runner?: 'local' | 'kubernetes';
      /** How long a build may run before it ends as `timed-out`. Default 30 minutes. */
      timeout?: HumanDuration | string;
      /** Days a finished build's log is kept; the build itself is kept. Default 30. */
      logRetentionDays?: number;
      /**
       * The Git hosts K2 clones from: a service's `backstage.io/source-location` must be
       * on one of them, so an entity cannot point K2's clone at an internal address.
       */
      sources?: Array<{
        /** The host as URLs name it, with its port if any: `github.com`, `127.0.0.1:7108`. */
        host: string;
        /**
         * A token for private repositories (GitHub: a token with read access to
         * contents; GitLab: `read_repository`), sent in an HTTP header, never an argument.
         * @visibility secret
         */
        token?: string;
      }>;
      /**
       * Repositories services of several owners build from, such as a monorepo shared
       * by teams (`https://github.com/acme/monorepo`). A build clones a repository that
       * another owner's service names only when it is listed here, or when it is the
       * building service's by history (see docs/builds.md).
       */
      sharedRepositories?: string[];
      /** Push webhooks (`POST /api/k2-builds/webhooks/push`). */
      webhooks?: {
        /**
         * The shared secret: GitHub's webhook secret (HMAC-SHA256 of the body) or
         * GitLab's secret token. Without it every webhook is refused.
         * @visibility secret
         */
        secret?: string;
      };
      /**
       * The base images of generated Dockerfiles, per template (`node`, `java-maven`,
       * `java-gradle`, `go`, `python-pip`, `python-poetry`): the build stage's and the
       * runtime stage's. A template not listed uses its pinned public images.
       */
      baseImages?: {
        [template: string]: {
          build: string;
          runtime: string;
        };
      };
      /** The local runner (buildah). */
      local?: {
        /** Builds running at once on this backend. Default 1. */
        concurrency?: number;
        /**
         * Where buildah keeps its images and containers (`--root`, `--runroot`) and
         * each build's directory, relative to the backend's working directory. Default
         * `.k2/buildah`. About 1 GB once the Node base images are pulled.
         */
        storageDir?: string;
        /**
         * The cache directory `k2_build_base_images` builds K2's base images in
         * (development: `.k2/cache/base-images`). While it is building them, a build
         * whose Dockerfile starts from a `k2-base/` image waits, saying so in its log.
         */
        baseImagesCache?: string;
      };
      /**
       * The Kubernetes runner (BuildKit rootless Jobs). A service builds in the
       * cluster and namespace of the first environment of its `k2.io/environments`
       * (`k2.environments[].builds`, default its first cluster).
       */
      kubernetes?: {
        /** Builds running at once. Default 5. */
        concurrency?: number;
        /**
         * BuildKit rootless, pinned (or an organisation's mirror of it). Default
         * `moby/buildkit:v0.17.3-rootless`.
         */
        image?: string;
        /** An image with `git` and `sh` that clones the source. Default `alpine/git:2.45.2`. */
        gitImage?: string;
        /**
         * The namespace build Jobs run in when an environment's `builds.namespace` does
         * not say; it must exist. Default `k2-builds`.
         */
        namespace?: string;
        /**
         * Requests and limits of the build container. Default requests `500m`/`1Gi`,
         * limits `2`/`4Gi`.
         */
        resources?: {
          requests?: { cpu?: string; memory?: string };
          limits?: { cpu?: string; memory?: string };
        };
        /**
         * Annotations of every build pod, e.g. `sidecar.istio.io/inject: "false"` in a
         * mesh (a sidecar would keep the Job from completing).
         */
        podAnnotations?: { [name: string]: string };
      };
    };
  };
}
