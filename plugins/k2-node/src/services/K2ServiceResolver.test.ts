import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { K2ServiceIndex } from '../catalog';
import { K2ClusterAccess, KubeObject } from '../clusters';
import { K2EnvironmentRegistry } from '../environments';
import { K2ServiceResolver } from './K2ServiceResolver';

/**
 * `test` (cluster test-a) and `prod` (prod-a, prod-b). The clusters are declared but
 * never contacted: the caches are not started, and the tests put objects into them.
 */
const config = new ConfigReader({
  kubernetes: {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: ['test-a', 'prod-a', 'prod-b'].map((name, i) => ({
          name,
          url: `http://127.0.0.1:${i + 1}`,
          authProvider: 'serviceAccount',
          serviceAccountToken: `${name}-token`,
        })),
      },
    ],
  },
  k2: {
    environments: [
      { name: 'test', clusters: [{ name: 'test-a' }] },
      {
        name: 'prod',
        production: true,
        clusters: [{ name: 'prod-a' }, { name: 'prod-b' }],
      },
    ],
  },
});

function component(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner: 'group:team-a' },
  };
}

/** Runs in `test` and in `prod` on prod-a only, in namespace `payments`. */
const paymentGateway = component('payment-gateway', {
  'k2.io/environments': 'test, prod',
  'k2.io/clusters.prod': 'prod-a',
  'k2.io/namespace': 'payments',
  'backstage.io/kubernetes-id': 'payment-gateway',
});

/** A catalog component without K2 annotations. */
const plain = component('plain', {});

function object(
  kind: string,
  namespace: string,
  name: string,
  labels: Record<string, string>,
): KubeObject {
  return { kind, metadata: { name, namespace, labels } };
}

const own = { 'k2.io/service': 'payment-gateway' };

function setUp(entities: Entity[] = [paymentGateway, plain]) {
  const environments = K2EnvironmentRegistry.fromConfig(config);
  const access = K2ClusterAccess.fromConfig({
    config,
    model: environments.model,
    logger: mockServices.logger.mock(),
  });
  const services = new K2ServiceIndex({
    catalog: catalogServiceMock({ entities }),
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
  });
  const resolver = new K2ServiceResolver({ services, environments, access });
  const put = (cluster: string, resource: 'pods' | 'deployments') => {
    const store = access.cache(cluster).store(resource);
    return (o: KubeObject) => store.upsert(o);
  };
  return { resolver, put };
}

describe('K2ServiceResolver.service', () => {
  it('resolves a string ref, defaulting to a component, with its K2 settings', async () => {
    const { resolver } = setUp();
    const service = await resolver.service('payment-gateway');
    expect(service.ref).toBe('component:default/payment-gateway');
    expect(service.entity.metadata.name).toBe('payment-gateway');
    expect(service.spec.kubernetesId).toBe('payment-gateway');
    expect(
      service.spec.targets.map(t => [
        t.environment.name,
        t.namespace,
        t.clusters.map(c => c.name),
      ]),
    ).toEqual([
      ['test', 'payments', ['test-a']],
      ['prod', 'payments', ['prod-a']],
    ]);
  });

  it('resolves a compound ref', async () => {
    const { resolver } = setUp();
    const service = await resolver.service({
      kind: 'Component',
      namespace: 'default',
      name: 'payment-gateway',
    });
    expect(service.ref).toBe('component:default/payment-gateway');
  });

  it('throws NotFoundError naming an entity the catalog does not have', async () => {
    const { resolver } = setUp();
    const outcome = resolver.service('component:default/nope');
    await expect(outcome).rejects.toThrow(NotFoundError);
    await expect(outcome).rejects.toThrow('component:default/nope');
  });
});

describe('K2ServiceResolver.target and targets', () => {
  it("returns the environment's target", async () => {
    const { resolver } = setUp();
    const service = await resolver.service('payment-gateway');
    const target = resolver.target(service, 'prod');
    expect(target.environment.name).toBe('prod');
    expect(target.environment.production).toBe(true);
  });

  it('throws InputError for an environment the service does not run in, naming its environments', async () => {
    const { resolver } = setUp();
    const service = await resolver.service('payment-gateway');
    expect(() => resolver.target(service, 'staging')).toThrow(InputError);
    expect(() => resolver.target(service, 'staging')).toThrow(
      "payment-gateway does not run in 'staging'; its environments: test, prod",
    );
  });

  it('says how to add an environment to a service that has none', async () => {
    const { resolver } = setUp();
    const service = await resolver.service('plain');
    expect(() => resolver.target(service, 'test')).toThrow(
      /its environments: none \(set k2\.io\/environments\)/,
    );
  });

  it('returns every target when no environment is given, and one when it is', async () => {
    const { resolver } = setUp();
    const service = await resolver.service('payment-gateway');
    expect(
      resolver.targets(service, undefined).map(t => t.environment.name),
    ).toEqual(['test', 'prod']);
    expect(
      resolver.targets(service, 'test').map(t => t.environment.name),
    ).toEqual(['test']);
    expect(() => resolver.targets(service, 'staging')).toThrow(InputError);
  });
});

describe('K2ServiceResolver.objects', () => {
  it("returns the service's objects in the target's namespace only", async () => {
    const { resolver, put } = setUp();
    const deployment = put('prod-a', 'deployments');
    deployment(object('Deployment', 'payments', 'payment-gateway', own));
    // The same service id in another namespace, and another service's deployment.
    deployment(object('Deployment', 'scratch', 'payment-gateway', own));
    deployment(
      object('Deployment', 'payments', 'ledger', { 'k2.io/service': 'ledger' }),
    );
    // The service's deployment in another cluster.
    put(
      'prod-b',
      'deployments',
    )(object('Deployment', 'payments', 'payment-gateway-b', own));

    const service = await resolver.service('payment-gateway');
    const target = resolver.target(service, 'prod');
    const found = resolver.objects(service, target, 'prod-a', 'deployments');

    expect(
      found.map(o => `${o.metadata.namespace}/${o.metadata.name}`),
    ).toEqual(['payments/payment-gateway']);
  });
});

describe('K2ServiceResolver.instance', () => {
  function withPods() {
    const context = setUp();
    const pod = context.put('prod-a', 'pods');
    pod(object('Pod', 'payments', 'payment-gateway-abc', own));
    pod(object('Pod', 'payments', 'ledger-xyz', { 'k2.io/service': 'ledger' }));
    pod(object('Pod', 'scratch', 'payment-gateway-old', own));
    context.put(
      'prod-b',
      'pods',
    )(object('Pod', 'payments', 'payment-gateway-def', own));
    return context;
  }

  it("returns the service's pod with its target and cluster", async () => {
    const { resolver } = withPods();
    const instance = await resolver.instance('payment-gateway', {
      environment: 'prod',
      cluster: 'prod-a',
      pod: 'payment-gateway-abc',
    });
    expect(instance.ref).toBe('component:default/payment-gateway');
    expect(instance.cluster).toBe('prod-a');
    expect(instance.target.environment.name).toBe('prod');
    expect(instance.pod.metadata).toMatchObject({
      name: 'payment-gateway-abc',
      namespace: 'payments',
    });
  });

  it.each([
    [
      'a cluster of the environment the service does not run in',
      { environment: 'prod', cluster: 'prod-b', pod: 'payment-gateway-def' },
      "does not run in cluster 'prod-b' of 'prod'",
    ],
    [
      'a cluster of another environment',
      { environment: 'prod', cluster: 'test-a', pod: 'payment-gateway-abc' },
      "does not run in cluster 'test-a' of 'prod'",
    ],
    [
      "another service's pod",
      { environment: 'prod', cluster: 'prod-a', pod: 'ledger-xyz' },
      "No instance 'ledger-xyz'",
    ],
    [
      'an unknown pod',
      { environment: 'prod', cluster: 'prod-a', pod: 'payment-gateway-zzz' },
      "No instance 'payment-gateway-zzz'",
    ],
    [
      "the service's pod outside the target's namespace",
      { environment: 'prod', cluster: 'prod-a', pod: 'payment-gateway-old' },
      "No instance 'payment-gateway-old'",
    ],
  ])('throws NotFoundError for %s', async (_, address, message) => {
    const { resolver } = withPods();
    const outcome = resolver.instance('payment-gateway', address);
    await expect(outcome).rejects.toThrow(NotFoundError);
    await expect(outcome).rejects.toThrow(message);
  });

  it('throws InputError for an environment the service does not run in', async () => {
    const { resolver } = withPods();
    await expect(
      resolver.instance('payment-gateway', {
        environment: 'staging',
        cluster: 'prod-a',
        pod: 'payment-gateway-abc',
      }),
    ).rejects.toThrow(InputError);
  });

  it('throws NotFoundError for a service the catalog does not have', async () => {
    const { resolver } = withPods();
    await expect(
      resolver.instance('nope', {
        environment: 'prod',
        cluster: 'prod-a',
        pod: 'payment-gateway-abc',
      }),
    ).rejects.toThrow(NotFoundError);
  });
});

describe('K2ServiceResolver: two services claiming one workload identity', () => {
  /** Another team's component for payment-gateway's id and namespace; sorts first. */
  const newcomer = component('accounts', {
    'k2.io/environments': 'test',
    'k2.io/namespace': 'payments',
    'backstage.io/kubernetes-id': 'payment-gateway',
  });

  async function contested() {
    const context = setUp([paymentGateway, newcomer]);
    // Both looked up once, so the index holds both claims.
    const established = await context.resolver.service('payment-gateway');
    await context.resolver.service('accounts');
    return { ...context, established };
  }

  it('refuses both with 503 while the cluster that may say who runs there is not listed', async () => {
    const { resolver } = await contested();
    for (const name of ['payment-gateway', 'accounts']) {
      const service = await resolver.service(name);
      // The card makes no guess...
      expect(service.spec.problems).toEqual([]);
      // ...and no action goes ahead on one.
      expect(() => resolver.actionTarget(service, 'test')).toThrow(
        ServiceUnavailableError,
      );
    }
  });

  it('leaves the identity to the service stamped on its Deployment, even to one that sorts later', async () => {
    const { resolver, put } = await contested();
    put(
      'test-a',
      'deployments',
    )({
      kind: 'Deployment',
      metadata: {
        name: 'payment-gateway',
        namespace: 'payments',
        labels: own,
        annotations: {
          'k2.io/entity-ref': 'component:default/payment-gateway',
        },
      },
    });
    const established = await resolver.service('payment-gateway');
    expect(established.spec.problems).toEqual([]);
    expect(resolver.actionTarget(established, 'test').namespace).toBe(
      'payments',
    );

    const claimed =
      "k2.io/namespace 'payments' with backstage.io/kubernetes-id 'payment-gateway' in environment 'test' is claimed by component:default/payment-gateway (it runs there: k2.io/entity-ref on its workload); K2 does not act on this service there";
    const accounts = await resolver.service('accounts');
    expect(accounts.spec.problems).toEqual([claimed]);
    expect(() => resolver.actionTarget(accounts, 'test')).toThrow(
      new ConflictError(claimed),
    );
  });
});
