import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    /**
     * Traffic: the Nginx clusters K2 renders configuration for, and where the site
     * templates live. Without it the Traffic API serves no cluster and publishes nothing.
     */
    traffic?: {
      /**
       * Directory of the site templates (`<name>.conf.hbs` with `<name>.schema.json`
       * beside it), relative to the backend's working directory. Defaults to the
       * templates shipped in `plugins/k2-traffic-backend/templates`.
       */
      templatesDirectory?: string;
      /** How K2 runs `nginx -t` on a candidate cluster config before a publish. */
      nginx?: {
        /** The nginx binary. Defaults to `/usr/sbin/nginx` where it exists, else `nginx`. */
        binary?: string;
        /** How long one `nginx -t` may take before the publish fails. Default 30 s. */
        testTimeout?: HumanDuration | string;
      };
      /** Nginx clusters; each serves one or more environments of `k2.environments`. */
      clusters?: Array<{
        /** Lowercase DNS label, unique; agents name it in `?cluster=`. */
        name: string;
        /**
         * Environments whose sites this cluster serves. An environment is served by
         * one cluster at most.
         */
        environments: string[];
        /** Host names of the cluster's Nginx hosts; agents name theirs in `?host=`. */
        hosts: string[];
        /**
         * The token the cluster's agents send as `Authorization: Bearer <token>`, at
         * least 32 characters. Never logged or returned by any API.
         * @visibility secret
         */
        agentToken: string;
        /**
         * Certificates sites may use by name. Paths are on the Nginx hosts; K2 holds
         * no key material.
         */
        certificates?: Array<{
          /** The name sites refer to (`tls.certificate`). */
          name: string;
          /** Absolute path of the certificate chain (PEM) on the hosts. */
          certificate: string;
          /** Absolute path of the private key on the hosts. */
          key: string;
        }>;
      }>;
    };
  };
}
