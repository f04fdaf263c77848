import type { SandboxCluster } from '../cluster';
import { seedRunningDeployment } from './demo';

export interface BulkSeedOptions {
  /** Pods to create in this cluster. */
  pods: number;
  podsPerDeployment?: number;
  namespaces?: number;
}

/**
 * Fills a cluster with running Deployments for benchmarks: `pods` ready pods in
 * Deployments of `podsPerDeployment` across `namespaces` namespaces, adding nodes so
 * every pod is scheduled.
 */
export function seedBulk(cluster: SandboxCluster, options: BulkSeedOptions) {
  const perDeployment = options.podsPerDeployment ?? 10;
  const namespaces = options.namespaces ?? 50;
  const podsPerNode = cluster.options.nodePods - 10;
  const nodesNeeded = Math.ceil(options.pods / podsPerNode);
  const have = cluster.store.count(cluster.type('', 'nodes'));
  if (nodesNeeded > have) cluster.addNodes(nodesNeeded - have);
  let left = options.pods;
  let i = 0;
  while (left > 0) {
    const replicas = Math.min(perDeployment, left);
    seedRunningDeployment(cluster, {
      namespace: `bench-${i % namespaces}`,
      name: `svc-${i}`,
      replicas,
      image: `registry.k2.local/bench/svc-${i % 97}:1.0.${i % 7}`,
      limits: { cpu: '200m', memory: '256Mi' },
      overcommit: { cpu: 2, memory: 2 },
      labels: { 'backstage.io/kubernetes-id': `svc-${i}` },
    });
    left -= replicas;
    i++;
  }
  return { deployments: i };
}
