import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    /**
     * Image registries K2 reads: the release dialog offers the tags of a service's
     * `k2.io/image` repository, and a release's image is looked up before the release
     * is made (see `k2.releases.imageCheck`). A repository in a registry not listed
     * here gets no tags (any tag can still be typed). Read through the OCI
     * Distribution API (`GET /v2/<name>/tags/list`, `HEAD /v2/<name>/manifests/<ref>`),
     * answering the registry's Basic or Bearer (token service) challenge; tag listings
     * are cached for 30 s per repository.
     */
    registries?: Array<{
      /**
       * The registry as image references name it, with its port if any, e.g.
       * `registry.example.com` or `registry.example.com:5000`; `docker.io` for images
       * that name no registry.
       */
      host: string;
      /**
       * Where the registry's API answers, when not at `https://<host>` (Docker Hub:
       * `https://registry-1.docker.io`), e.g. a mirror or a loopback address. An
       * `http:` URL needs `insecure: true`.
       */
      url?: string;
      /**
       * Allows plain HTTP to the registry and to the token service it names. Default
       * false: only `https:` is used, and credentials never travel unencrypted.
       */
      insecure?: boolean;
      /**
       * User name K2 signs in with (Basic, or at the token service); set together with
       * `password`. Without both K2 reads anonymously.
       */
      username?: string;
      /**
       * Password or access token for `username`; take it from the environment, e.g.
       * `password: ${K2_REGISTRY_PASSWORD}`. Never logged or returned.
       * @visibility secret
       */
      password?: string;
      /** Bound of each HTTP call to the registry or its token service. Default 5 s. */
      timeout?: HumanDuration | string;
    }>;
    serviceIndex?: {
      /**
       * How often each K2 backend plugin re-reads the catalog's K2 services (Components
       * with `k2.io/environments`) into memory. A service registered in between is read
       * from the catalog on first use. Default 30 s.
       */
      refreshInterval?: HumanDuration | string;
    };
    /**
     * How K2's watch caches talk to the clusters. Every key is optional; the defaults
     * suit production. Documented in docs/configuration.md.
     */
    clusterAccess?: {
      /** A watch with no event and no bookmark for this long is restarted. Default 150 s. */
      silentWatchTimeout?: HumanDuration | string;
      /** Watch sessions last between this and twice this, then resume. Default 5 min. */
      watchSession?: HumanDuration | string;
      backoff?: {
        /** First retry delay after a failure. Default 500 ms. */
        initial?: HumanDuration | string;
        /** Longest retry delay (jittered exponential backoff). Default 8 s. */
        max?: HumanDuration | string;
      };
      /** Items per list page. Default 500. */
      pageSize?: number;
      /** Deadline of one list page or apply. Default 60 s. */
      requestTimeout?: HumanDuration | string;
      consistencyCheck?: {
        /**
         * Mean time between two consistency checks of one resource type of one
         * cluster (each waits 0.75 to 1.25 times this). A check is one
         * `LIST ?limit=1` that compares the server's object count with the cache's;
         * when a watch lost events, the cluster is reported degraded and its cache
         * relisted. Lost additions and deletions are noticed within about two
         * intervals. Default 15 s.
         */
        interval?: HumanDuration | string;
      };
    };
  };
}
