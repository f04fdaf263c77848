import { Config } from '@backstage/config';
import { K2ConfigError, K2EnvironmentModel } from '@internal/plugin-k2-common';
import { KubeConfig } from '@kubernetes/client-node';
import { X509Certificate } from 'crypto';
import fs from 'fs';

/** Where Kubernetes mounts a pod's service account token. */
const IN_CLUSTER_TOKEN_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** A cluster K2 works with: the Kubernetes plugin's declaration plus K2's extras. */
export interface K2Cluster {
  name: string;
  title?: string;
  url: string;
  /** Environments that include the cluster, with the cluster's weight in each. */
  environments: Array<{ name: string; weight: number }>;
  /** Bearer token of K2's service account; read from the in-cluster file when absent. */
  serviceAccountToken?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  /** Config key of the declaration, for messages. */
  configKey: string;
}

/**
 * The clusters K2 releases to and watches: every cluster an environment names, as the
 * stock Kubernetes plugin declares it under `kubernetes.clusterLocatorMethods`
 * (`type: config`). One place to declare a cluster; the only place that makes
 * `KubeConfig`s.
 */
export class K2ClusterRegistry {
  readonly #clusters: Map<string, K2Cluster>;

  /**
   * Reads the clusters environments name; clusters only the Kubernetes plugin uses are
   * not checked.
   *
   * @throws K2ConfigError naming the key when a K2 cluster cannot be reached with a
   * service identity: another authProvider, a url that is not http(s), or a caData or
   * caFile that is not a readable PEM certificate
   */
  static fromConfig(
    config: Config,
    model: K2EnvironmentModel,
  ): K2ClusterRegistry {
    const used = new Map<string, K2Cluster['environments']>();
    for (const environment of model.environments) {
      for (const cluster of environment.clusters) {
        const list = used.get(cluster.name) ?? [];
        list.push({ name: environment.name, weight: cluster.weight });
        used.set(cluster.name, list);
      }
    }
    // A cluster only builds run in is still one K2 reaches (with no environment share).
    for (const environment of model.environments) {
      const name = environment.builds?.cluster;
      if (name && !used.has(name)) used.set(name, []);
    }

    const clusters = new Map<string, K2Cluster>();
    const methods =
      config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
    methods.forEach((method, m) => {
      if (method.getString('type') !== 'config') return;
      (method.getOptionalConfigArray('clusters') ?? []).forEach((c, i) => {
        const name = c.getString('name');
        const environments = used.get(name);
        if (!environments) return;
        const configKey = `kubernetes.clusterLocatorMethods[${m}].clusters[${i}]`;
        const authProvider = c.getString('authProvider');
        if (authProvider !== 'serviceAccount') {
          throw new K2ConfigError(
            `${configKey}.authProvider`,
            `K2 watches cluster '${name}' with its own service account, so the cluster needs authProvider 'serviceAccount' (it has '${authProvider}')`,
          );
        }
        const url = c.getString('url');
        if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) {
          throw new K2ConfigError(
            `${configKey}.url`,
            `'${url}' is not an http(s) URL; set the URL of the API server of cluster '${name}'`,
          );
        }
        const caData = c.getOptionalString('caData');
        if (caData !== undefined) {
          checkCertificate(
            Buffer.from(caData, 'base64'),
            `${configKey}.caData`,
            `must be the base64-encoded PEM certificate of the authority that signed the API server certificate of cluster '${name}'`,
          );
        }
        const caFile = c.getOptionalString('caFile');
        if (caFile !== undefined) {
          let pem: Buffer;
          try {
            pem = fs.readFileSync(caFile);
          } catch (error) {
            throw new K2ConfigError(
              `${configKey}.caFile`,
              `cannot read '${caFile}' (${
                (error as NodeJS.ErrnoException).code
              }), the certificate authority of cluster '${name}'`,
            );
          }
          checkCertificate(
            pem,
            `${configKey}.caFile`,
            `'${caFile}' is not a PEM certificate (the authority of cluster '${name}')`,
          );
        }
        clusters.set(name, {
          name,
          title: c.getOptionalString('title'),
          url: url.replace(/\/+$/, ''),
          environments,
          serviceAccountToken: c.getOptionalString('serviceAccountToken'),
          caData,
          caFile,
          skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
          configKey,
        });
      });
    });
    return new K2ClusterRegistry(clusters);
  }

  constructor(clusters: Map<string, K2Cluster> | K2Cluster[]) {
    this.#clusters = Array.isArray(clusters)
      ? new Map(clusters.map(c => [c.name, c]))
      : clusters;
  }

  list(): K2Cluster[] {
    return [...this.#clusters.values()];
  }

  get(name: string): K2Cluster | undefined {
    return this.#clusters.get(name);
  }

  /**
   * A `KubeConfig` for the cluster, authenticated as K2's service account.
   *
   * @throws K2ConfigError when no token is configured and none is mounted
   */
  createKubeConfig(name: string): KubeConfig {
    const cluster = this.#clusters.get(name);
    if (!cluster) {
      throw new Error(`K2 has no cluster '${name}'`);
    }
    let token = cluster.serviceAccountToken;
    if (!token) {
      try {
        token = fs.readFileSync(IN_CLUSTER_TOKEN_FILE, 'utf8').trim();
      } catch {
        throw new K2ConfigError(
          `${cluster.configKey}.serviceAccountToken`,
          `no token for cluster '${name}', and the backend does not run in a pod with a mounted service account token`,
        );
      }
    }
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name,
          server: cluster.url,
          caData: cluster.caData,
          caFile: cluster.caFile,
          // A plain-HTTP URL (the local sandbox) has no TLS to verify; client-node
          // only accepts one with this flag set.
          skipTLSVerify:
            cluster.skipTLSVerify || cluster.url.startsWith('http:'),
        },
      ],
      users: [{ name: 'k2', token }],
      contexts: [{ name, cluster: name, user: 'k2' }],
      currentContext: name,
    });
    return kc;
  }
}

/** @throws K2ConfigError at `key` when `pem` holds no X.509 certificate */
function checkCertificate(pem: Buffer, key: string, problem: string) {
  try {
    // eslint-disable-next-line no-new
    new X509Certificate(pem);
  } catch {
    throw new K2ConfigError(key, problem);
  }
}
