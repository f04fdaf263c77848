import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { Entity } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { readEnvironmentModel } from '@internal/plugin-k2-common';
import { SandboxCluster, SandboxClusterOptions } from './cluster';
import { seedDemoServices } from './seed/demo';

/** A cluster to serve: its name, port and token. */
export interface ServedCluster {
  name: string;
  port: number;
  token: string;
}

/**
 * The clusters the portal's Kubernetes config declares on loopback — the sandbox
 * serves exactly those, so the portal reaches them as it reaches real clusters.
 */
export function loopbackClustersFromConfig(config: Config): ServedCluster[] {
  const out: ServedCluster[] = [];
  for (const method of config.getOptionalConfigArray(
    'kubernetes.clusterLocatorMethods',
  ) ?? []) {
    if (method.getString('type') !== 'config') continue;
    for (const cluster of method.getOptionalConfigArray('clusters') ?? []) {
      const url = new URL(cluster.getString('url'));
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) continue;
      const token = cluster.getOptionalString('serviceAccountToken');
      if (!token) continue;
      out.push({
        name: cluster.getString('name'),
        port: Number(url.port),
        token,
      });
    }
  }
  return out;
}

/** Reads catalog entities from YAML files (multi-document), for demo seeding. */
export function readEntities(files: string[]): Entity[] {
  return files.flatMap(file =>
    YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
      .map(doc => doc.toJSON() as Entity)
      .filter(e => e && typeof e === 'object' && 'kind' in e),
  );
}

/**
 * Writes a kubeconfig with one context per cluster, named after it: HTTPS, trusting the
 * sandbox's certificate authority, with the cluster's first token. The first cluster is
 * the current context.
 */
export function writeKubeconfig(clusters: SandboxCluster[], file: string) {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': clusters[0]?.name,
    clusters: clusters.map(c => ({
      name: c.name,
      cluster: {
        server: c.tlsUrl,
        'certificate-authority-data': c.caData,
      },
    })),
    users: clusters.map(c => ({
      name: c.name,
      user: { token: c.tokens[0] },
    })),
    contexts: clusters.map(c => ({
      name: c.name,
      context: { cluster: c.name, user: c.name, namespace: 'default' },
    })),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, YAML.stringify(doc), { mode: 0o600 });
}

/** Several sandbox clusters in one process. */
export class Sandbox {
  readonly clusters = new Map<string, SandboxCluster>();

  static async start(
    served: ServedCluster[],
    options: Omit<SandboxClusterOptions, 'name' | 'tokens'> = {},
  ): Promise<Sandbox> {
    const sandbox = new Sandbox();
    let network = 240;
    for (const s of served) {
      const cluster = new SandboxCluster({
        ...options,
        name: s.name,
        tokens: [s.token],
        podNetwork: network++,
      });
      sandbox.clusters.set(s.name, cluster);
    }
    try {
      for (const [name, cluster] of sandbox.clusters) {
        const port = served.find(s => s.name === name)!.port;
        await cluster.listen(port);
      }
    } catch (error) {
      await sandbox.stop();
      throw error;
    }
    return sandbox;
  }

  /** Seeds the demo services of the catalog into the clusters their environments name. */
  seedDemo(config: Config, entities: Entity[]) {
    return seedDemoServices(
      this.clusters,
      entities,
      readEnvironmentModel(config),
    );
  }

  /** Writes a kubeconfig with one context per cluster (for kubectl). */
  writeKubeconfig(file: string) {
    writeKubeconfig([...this.clusters.values()], file);
  }

  async stop() {
    await Promise.all([...this.clusters.values()].map(c => c.stop()));
  }
}
