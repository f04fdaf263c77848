import fs from 'fs';
import path from 'path';
import { Entity } from '@backstage/catalog-model';
import { Config, ConfigReader } from '@backstage/config';
import { loadConfig } from '@backstage/config-loader';
import {
  isK2Service,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { SandboxCluster } from '../cluster';
import { KubeObject } from '../api/types';
import { isPodReady } from '../controllers/runtime';
import { loopbackClustersFromConfig, readEntities } from '../sandbox';
import { seedDemoServices } from './demo';

jest.setTimeout(30000);

/** Polls `check` every 20 ms for up to `timeoutMs`, failing with a message naming `what`. */
async function until(
  what: string | (() => string),
  check: () => boolean | undefined,
  timeoutMs = 15000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${
          typeof what === 'string' ? what : what()
        }`,
      );
    await new Promise(r => setTimeout(r, 20));
  }
}

/** packages/sandbox-cluster/src/seed → the repository root. */
const repoRoot = path.resolve(__dirname, '../../../..');
const CLUSTERS = ['test', 'prod-a', 'prod-b'];

describe('demo seeding from the repository config and catalog', () => {
  let config: Config;
  let entities: Entity[];
  let clusters: Map<string, SandboxCluster>;
  let seeded: number;

  beforeAll(async () => {
    const { appConfigs } = await loadConfig({
      configRoot: repoRoot,
      configTargets: [{ path: path.join(repoRoot, 'app-config.yaml') }],
    });
    config = ConfigReader.fromConfigs(appConfigs);
    entities = readEntities([path.join(repoRoot, 'examples/entities.yaml')]);
  });

  beforeEach(() => {
    clusters = new Map();
    CLUSTERS.forEach((name, i) =>
      clusters.set(
        name,
        new SandboxCluster({
          name,
          tokens: ['t'],
          timeScale: 0.05,
          podNetwork: 240 + i,
        }),
      ),
    );
    seeded = seedDemoServices(clusters, entities, readEnvironmentModel(config));
  });

  afterEach(async () => {
    await Promise.all([...clusters.values()].map(c => c.stop()));
  });

  const cluster = (name: string) => clusters.get(name)!;
  const deployments = (c: SandboxCluster) =>
    c.store.list(c.type('apps', 'deployments'));
  const deploymentOf = (c: SandboxCluster, ns: string, name: string) =>
    c.registry.find(c.type('apps', 'deployments'), ns, name);
  /** The live pods a Deployment's selector picks. */
  const podsOf = (c: SandboxCluster, d: KubeObject) =>
    c.store
      .list(c.type('', 'pods'), d.metadata.namespace)
      .filter(
        p =>
          !p.metadata.deletionTimestamp &&
          Object.entries(d.spec.selector.matchLabels).every(
            ([k, v]) => p.metadata.labels?.[k] === v,
          ),
      );
  const readyPodsOf = (c: SandboxCluster, d: KubeObject) =>
    podsOf(c, d).filter(isPodReady);

  it('finds the repository root, its config and its catalog', () => {
    expect(fs.existsSync(path.join(repoRoot, 'app-config.yaml'))).toBe(true);
    expect(fs.existsSync(path.join(repoRoot, 'examples/entities.yaml'))).toBe(
      true,
    );
    expect(entities.filter(isK2Service).length).toBeGreaterThan(10);
    // One Deployment per service, environment and cluster of that environment.
    const model = readEnvironmentModel(config);
    const expected = entities
      .filter(e => e.kind === 'Component' && isK2Service(e))
      .flatMap(e => readServiceSpec(e, model).targets)
      .reduce((n, t) => n + t.clusters.length, 0);
    expect(seeded).toBe(expected);
    expect(
      [...clusters.values()].reduce((n, c) => n + deployments(c).length, 0),
    ).toBe(expected);
  });

  it('serves exactly the loopback clusters of the Kubernetes config', () => {
    expect(loopbackClustersFromConfig(config)).toEqual([
      { name: 'test', port: 7101, token: 'sandbox-test' },
      { name: 'prod-a', port: 7102, token: 'sandbox-prod-a' },
      { name: 'prod-b', port: 7103, token: 'sandbox-prod-b' },
    ]);
  });

  it('runs payment-gateway with its replicas split by cluster weight', async () => {
    // k2.io/replicas.prod '4' at weights 60/40: 2 + 2; test has the default of 1.
    const want: Record<string, number> = { test: 1, 'prod-a': 2, 'prod-b': 2 };
    for (const [name, replicas] of Object.entries(want)) {
      const c = cluster(name);
      const d = deploymentOf(c, 'payments-core', 'payment-gateway');
      expect(d?.spec.replicas).toBe(replicas);
      await until(
        `payment-gateway in ${name} to report ${replicas} ready`,
        () =>
          Boolean(
            deploymentOf(c, 'payments-core', 'payment-gateway')?.status
              ?.readyReplicas === replicas,
          ),
      );
      const pods = readyPodsOf(c, d!);
      expect(pods).toHaveLength(replicas);
      for (const pod of pods) {
        expect(pod.metadata.namespace).toBe('payments-core');
        expect(pod.status.phase).toBe('Running');
        expect(pod.spec.nodeName).toMatch(new RegExp(`^${name}-worker-\\d$`));
        expect(pod.status.podIP).toMatch(
          new RegExp(`^10\\.${240 + CLUSTERS.indexOf(name)}\\.`),
        );
        expect(pod.spec.containers[0].image).toMatch(
          /^registry\.northwind\.example\/payments-core\/payment-gateway:1\.\d+\.\d$/,
        );
      }
      expect(d!.metadata.labels?.['k2.io/environment']).toBe(
        name === 'test' ? 'test' : 'prod',
      );
    }
  });

  it('runs warehouse-router only in prod-a among the production clusters', () => {
    const find = (name: string) =>
      deploymentOf(cluster(name), 'fulfillment', 'warehouse-router');
    expect(find('prod-a')?.spec.replicas).toBe(2);
    expect(find('prod-b')).toBeUndefined();
    expect(
      deployments(cluster('prod-b')).some(
        d => d.metadata.name === 'warehouse-router',
      ),
    ).toBe(false);
    expect(find('test')?.spec.replicas).toBe(1);
  });

  it('settles every seeded Deployment: ready, labelled, and behind a Service with Endpoints', async () => {
    const all = () =>
      [...clusters.values()].flatMap(c => deployments(c).map(d => ({ c, d })));
    const unsettled = () =>
      all()
        .filter(
          ({ c, d }) =>
            d.status?.readyReplicas !== d.spec.replicas ||
            d.status?.availableReplicas !== d.spec.replicas ||
            d.status?.updatedReplicas !== d.spec.replicas ||
            readyPodsOf(c, d).length !== d.spec.replicas,
        )
        .map(
          ({ c, d }) =>
            `${c.name}/${d.metadata.namespace}/${d.metadata.name} (${
              d.status?.readyReplicas ?? 0
            }/${d.spec.replicas})`,
        );
    await until(
      () => `all Deployments to be ready; not yet: ${unsettled().join(', ')}`,
      () => unsettled().length === 0,
    );

    const endpointsMismatch = () =>
      all()
        .filter(({ c, d }) => {
          const ep = c.registry.find(
            c.type('', 'endpoints'),
            d.metadata.namespace,
            d.metadata.name,
          );
          const listed = (ep?.subsets ?? [])
            .flatMap((s: any) => s.addresses ?? [])
            .map((a: any) => a.targetRef?.name)
            .sort();
          const pods = readyPodsOf(c, d)
            .map(p => p.metadata.name)
            .sort();
          return JSON.stringify(listed) !== JSON.stringify(pods);
        })
        .map(
          ({ c, d }) => `${c.name}/${d.metadata.namespace}/${d.metadata.name}`,
        );
    await until(
      () => `Endpoints to list the ready pods of: ${endpointsMismatch()}`,
      () => endpointsMismatch().length === 0,
    );

    expect(all().length).toBe(seeded);
    for (const { c, d } of all()) {
      const id = d.metadata.labels?.['backstage.io/kubernetes-id'];
      expect(id).toBe(d.metadata.name);
      expect(
        d.spec.template.metadata.labels['backstage.io/kubernetes-id'],
      ).toBe(id);
      expect(d.status.readyReplicas).toBe(d.spec.replicas);
      expect(
        d.status.conditions.find((x: any) => x.type === 'Available'),
      ).toMatchObject({ status: 'True' });

      const pods = readyPodsOf(c, d);
      for (const pod of pods)
        expect(pod.metadata.labels?.['backstage.io/kubernetes-id']).toBe(id);

      const svc = c.registry.find(
        c.type('', 'services'),
        d.metadata.namespace,
        d.metadata.name,
      );
      // Selected as K2 selects: the service, its environment, pods in traffic.
      expect(svc?.spec.selector).toEqual({
        'k2.io/service': id,
        'k2.io/environment': d.metadata.labels?.['k2.io/environment'],
        'k2.io/traffic': 'on',
      });
      expect(d.spec.selector.matchLabels).toEqual({
        'k2.io/service': id,
        'k2.io/environment': d.metadata.labels?.['k2.io/environment'],
      });
      expect(svc?.spec.clusterIP).toBeDefined();

      const ep = c.registry.find(
        c.type('', 'endpoints'),
        d.metadata.namespace,
        d.metadata.name,
      )!;
      expect(ep.subsets).toHaveLength(1);
      const subset = ep.subsets[0];
      expect(subset.notReadyAddresses).toBeUndefined();
      expect(subset.addresses.map((a: any) => a.ip).sort()).toEqual(
        pods.map(p => p.status.podIP).sort(),
      );
      expect(subset.ports).toEqual([
        {
          name: 'http',
          port: d.spec.template.spec.containers[0].ports[0].containerPort,
          protocol: 'TCP',
        },
      ]);
    }
  });
});
