import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import {
  accessTo,
  seedTwoServices,
  startSandbox,
} from './__testUtils__/sandbox';
import { K2ClusterAccess } from './K2ClusterAccess';
import { middlewareKey, objectIndexKeys } from './resources';

jest.setTimeout(90_000);

describe('the default index', () => {
  it('keys an object by its services and, when labelled k2.io/middleware, by its instance', () => {
    const object = (labels: Record<string, string>) => ({
      metadata: { name: 'x', namespace: 'shop', labels },
    });
    expect(objectIndexKeys(object({ 'k2.io/service': 'svc-a' }))).toEqual([
      'svc-a',
    ]);
    expect(objectIndexKeys(object({ 'k2.io/middleware': 'cache' }))).toEqual([
      'middleware/shop/cache',
    ]);
    expect(objectIndexKeys(object({}))).toEqual([]);
  });
});

describe('middleware objects in the watch caches', () => {
  let cluster: SandboxCluster;
  let access: K2ClusterAccess;

  beforeEach(async () => {
    cluster = await startSandbox();
    seedTwoServices(cluster);
    access = accessTo([cluster]);
    access.start();
    await access.waitForSync(10_000);
  });

  afterEach(async () => {
    await access.stop();
    await cluster.stop();
  });

  it('finds a middleware StatefulSet, its pods and volumes by instance, apart from every service', async () => {
    const labels = {
      'k2.io/middleware': 'cache',
      'k2.io/environment': 'test',
      'app.kubernetes.io/managed-by': 'k2',
    };
    await api(cluster).post('/apis/apps/v1/namespaces/shop/statefulsets', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'cache', namespace: 'shop', labels },
      spec: {
        replicas: 2,
        serviceName: 'cache',
        selector: { matchLabels: { 'k2.io/middleware': 'cache' } },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'redis', image: 'redis:7.2' }] },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: '1Gi' } },
            },
          },
        ],
      },
    });
    const cache = access.cache('alpha');
    const key = middlewareKey('shop', 'cache');
    await poll(
      'the instance’s two pods in the cache',
      () => cache.store('pods').byIndex(key).length === 2,
    );
    expect(cache.store('statefulsets').byIndex(key)).toHaveLength(1);
    expect(
      cache
        .store('persistentvolumeclaims')
        .byIndex(key)
        .map(p => p.metadata.name)
        .sort(),
    ).toEqual(['data-cache-0', 'data-cache-1']);
    // The services' index is as before: no middleware pod under a service.
    expect(cache.byService('pods', 'svc-a')).toHaveLength(3);
    expect(
      cache
        .store('pods')
        .byIndex(middlewareKey('other', 'cache'))
        .map(p => p.metadata.name),
    ).toEqual([]);
  });
});
