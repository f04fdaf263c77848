import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { SignalPayload } from '@backstage/plugin-signals-node';
import { K2ReleaseSpec } from '@internal/plugin-k2-common';
import {
  K2ClusterAccess,
  K2ClusterRegistry,
  K2ServiceIndex,
} from '@internal/plugin-k2-node';
import { seedRunningDeployment } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { useK2DeployTestBed } from '../__testUtils__/testBackend';
import { DatabaseReleaseStore } from '../database/DatabaseReleaseStore';
import { ReleaseDriver } from '../releases/ReleaseDriver';
import { DeploySignalPublisher } from './DeploySignalPublisher';
import { ReleaseChangeReporter } from './ReleaseChangeReporter';

jest.setTimeout(60_000);

const WINDOW_MS = 400;
const CHECKOUT = 'component:default/checkout';
const LEGACY = 'component:default/legacy';

function entity(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'backstage.io/kubernetes-id': name,
        'k2.io/environments': 'test',
      },
    },
    spec: { type: 'service', owner: 'group:default/shop', lifecycle: 'prod' },
  };
}

const spec: K2ReleaseSpec = {
  name: 'checkout',
  namespace: 'shop',
  image: 'registry.k2.local/shop/checkout:1.0.0',
  replicas: 2,
  clusters: [{ name: 'test', replicas: 2, weight: 1 }],
  resources: {
    requests: { cpu: '250m', memory: '512Mi' },
    limits: { cpu: '1', memory: '1Gi' },
  },
  env: [],
  port: 8080,
  probes: {},
  drainSeconds: 1,
  terminationGracePeriodSeconds: 5,
  logDirectory: '/log-dir/k2-logs/shop/checkout',
  volumes: [],
  configFiles: [],
  nodeSelector: {},
  timeoutSeconds: 30,
  autoRollback: false,
};

/**
 * The real change flow: a sandbox cluster's watch cache and a release driven to the end
 * by the release driver, through the store the plugin uses; the signals recorded as
 * they would be sent.
 */
describe('Deploy signals from a release on a sandbox cluster', () => {
  let access: K2ClusterAccess;
  let driver: ReleaseDriver;
  let publisher: DeploySignalPublisher;
  let store: ReleaseChangeReporter;
  const stops: Array<() => void> = [];
  const sent: Array<{ at: number; signal: SignalPayload }> = [];
  let succeededAt = 0;

  // Declared before the test bed, so all of it stops before its cluster and database.
  afterAll(async () => {
    stops.forEach(stop => stop());
    driver?.stop();
    publisher?.stop();
    await access?.stop();
  });
  const bed = useK2DeployTestBed({ clusters: ['test'], timeScale: 0.05 });
  const cluster = bed.cluster('test');

  beforeAll(async () => {
    // A service K2 did not release: its objects carry only the kubernetes-id.
    seedRunningDeployment(cluster, {
      namespace: 'shop',
      name: 'legacy',
      replicas: 1,
      image: 'registry.k2.local/shop/legacy:1.0.0',
      labels: { 'backstage.io/kubernetes-id': 'legacy' },
    });
    access = new K2ClusterAccess({
      registry: new K2ClusterRegistry([
        {
          name: 'test',
          url: cluster.url,
          serviceAccountToken: 'test-token',
          environments: [{ name: 'test', weight: 1 }],
          skipTLSVerify: false,
          configKey: 'clusters.test',
        },
      ]),
      logger: mockServices.logger.mock(),
    });
    const services = new K2ServiceIndex({
      catalog: catalogServiceMock({
        entities: [entity('checkout'), entity('legacy')],
      }),
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
    });
    await services.refresh();
    publisher = new DeploySignalPublisher({
      signals: {
        publish: async signal =>
          void sent.push({
            at: Date.now(),
            signal,
          }),
      },
      services,
      access,
      logger: mockServices.logger.mock(),
      windowMs: WINDOW_MS,
    });
    store = new ReleaseChangeReporter(
      await DatabaseReleaseStore.create({
        database: { getClient: async () => bed.knex },
      }),
      release => {
        if (release.status === 'succeeded') succeededAt = Date.now();
        publisher.releaseChanged(release);
      },
    );
    const driverOptions = {
      store,
      access,
      activity: {
        record: async () => {},
        write: async () => {},
        recordAll: async () => {},
      },
      logger: mockServices.logger.mock(),
    };
    driver = new ReleaseDriver(driverOptions);
    stops.push(access.subscribe(change => publisher.notify(change)));
    stops.push(access.subscribe(change => driver.notify(change)));
    access.start();
    await access.waitForSync(10_000);
  });

  const on = (entityRef: string) =>
    sent.filter(s => s.signal.channel === `k2-deploy:${entityRef}`);

  it('announces every step of a release on the service channel, at most once per window, its end included', async () => {
    // The initial list announced what the cache found; start from a quiet channel.
    await new Promise(r => setTimeout(r, WINDOW_MS * 2));
    sent.length = 0;

    const result = await store.create({
      service: CHECKOUT,
      environment: 'test',
      namespace: 'shop',
      kind: 'release',
      status: 'applying',
      spec,
      createdBy: 'user:default/alice',
    });
    if (!('created' in result)) throw new Error('a release is in flight');
    const id = result.created.id;
    driver.kick();
    await poll(
      'release succeeded',
      async () => (await store.get(id))?.status === 'succeeded',
      30_000,
    );
    await new Promise(r => setTimeout(r, WINDOW_MS * 2));

    const signals = on(CHECKOUT);
    expect(signals.every(s => s.signal.recipients.type === 'broadcast')).toBe(
      true,
    );
    // The release: created, applied, rolled out, succeeded.
    expect(signals.map(s => s.signal.message)).toContainEqual({
      kind: 'release',
      environment: 'test',
      releaseId: id,
    });
    // Coalesced: never two signals for the service within one window.
    for (let i = 1; i < signals.length; i++) {
      expect(signals[i].at - signals[i - 1].at).toBeGreaterThanOrEqual(
        WINDOW_MS - 5,
      );
    }
    // The end of the release is announced after it happened, not lost in a window.
    expect(
      signals.some(
        s => s.signal.message.kind === 'release' && s.at >= succeededAt,
      ),
    ).toBe(true);
    // Nothing about the other service, which did not change.
    expect(on(LEGACY)).toEqual([]);
  });

  it('announces a pod of the service going away, with the environment K2 labelled it with', async () => {
    sent.length = 0;
    const pods = await api(cluster).get(
      '/api/v1/namespaces/shop/pods?labelSelector=k2.io/service%3Dcheckout',
    );
    const name = pods.body.items[0].metadata.name;
    const res = await api(cluster).delete(
      `/api/v1/namespaces/shop/pods/${name}`,
    );
    expect(res.status).toBe(200);
    await poll('a signal for checkout', () => on(CHECKOUT).length > 0, 10_000);
    expect(on(CHECKOUT)[0].signal.message).toEqual({
      kind: 'runtime',
      environment: 'test',
    });
    expect(on(LEGACY)).toEqual([]);
  });

  it('announces a change to a workload K2 did not make, on its own service only', async () => {
    sent.length = 0;
    const res = await api(cluster).mergePatch(
      '/apis/apps/v1/namespaces/shop/deployments/legacy',
      { spec: { replicas: 2 } },
    );
    expect(res.status).toBe(200);
    await poll('a signal for legacy', () => on(LEGACY).length > 0, 10_000);
    // Its objects carry no K2 environment label: the environment is unknown.
    expect(on(LEGACY)[0].signal.message).toEqual({ kind: 'runtime' });
    expect(on(CHECKOUT)).toEqual([]);
  });
});
