import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { readEnvironmentModel } from '../environments';
import { isK2Service, readServiceSpec } from './readServiceSpec';

const model = readEnvironmentModel(
  new ConfigReader({
    k2: {
      environments: [
        {
          name: 'test',
          clusters: [{ name: 'test' }],
          wildcardDomain: 'k2.example.com',
          limits: {
            priorityClasses: ['business-critical'],
            nodeSelectors: ['pool', 'disktype=ssd'],
          },
        },
        {
          name: 'prod',
          defaults: { replicas: 2 },
          clusters: [
            { name: 'prod-a', weight: 60 },
            { name: 'prod-b', weight: 40 },
          ],
        },
      ],
    },
  }),
);

function service(
  annotations: Record<string, string>,
  system = 'payments-core',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payment-gateway', annotations },
    spec: { type: 'service', owner: 'payments-team', system },
  };
}

describe('readServiceSpec', () => {
  it('resolves targets from annotations and environment defaults', () => {
    const spec = readServiceSpec(
      service({
        'backstage.io/kubernetes-id': 'payment-gateway',
        'k2.io/environments': 'test, prod',
        'k2.io/language': 'java',
        'k2.io/image': 'registry.example.com/payments/payment-gateway',
        'k2.io/port': '8081',
        'k2.io/health-path': '/actuator/health/readiness',
        'k2.io/replicas.prod': '4',
      }),
      model,
    );
    expect(spec.problems).toEqual([]);
    expect(spec).toMatchObject({
      kubernetesId: 'payment-gateway',
      language: 'java',
      image: 'registry.example.com/payments/payment-gateway',
      port: 8081,
      healthPath: '/actuator/health/readiness',
    });
    expect(
      spec.targets.map(t => ({
        env: t.environment.name,
        clusters: t.clusters.map(c => c.name),
        namespace: t.namespace,
        replicas: t.replicas,
        domain: t.domain,
      })),
    ).toEqual([
      {
        env: 'test',
        clusters: ['test'],
        namespace: 'payments-core',
        replicas: 1,
        domain: 'payment-gateway.test.k2.example.com',
      },
      {
        env: 'prod',
        clusters: ['prod-a', 'prod-b'],
        namespace: 'payments-core',
        replicas: 4,
        domain: undefined,
      },
    ]);
  });

  it('restricts an environment to the clusters the service names', () => {
    const spec = readServiceSpec(
      service({
        'backstage.io/kubernetes-id': 'payment-gateway',
        'k2.io/environments': 'prod',
        'k2.io/clusters.prod': 'prod-b',
      }),
      model,
    );
    expect(spec.problems).toEqual([]);
    expect(spec.targets[0].clusters).toEqual([{ name: 'prod-b', weight: 40 }]);
  });

  it('defaults the port, health path and namespace', () => {
    const spec = readServiceSpec(
      service(
        { 'backstage.io/kubernetes-id': 'x', 'k2.io/environments': 'test' },
        'system:default/checkout',
      ),
      model,
    );
    expect(spec).toMatchObject({
      port: 8080,
      healthPath: '/healthz',
      nodeSelector: {},
      priorityClassName: undefined,
    });
    expect(spec.targets[0].namespace).toBe('checkout');
  });

  it('reads the service profile: node labels and priority class', () => {
    const spec = readServiceSpec(
      service({
        'backstage.io/kubernetes-id': 'x',
        'k2.io/environments': 'test',
        'k2.io/node-selector': 'pool=payments, disktype=ssd',
        'k2.io/priority-class': 'business-critical',
      }),
      model,
    );
    expect(spec.problems).toEqual([]);
    expect(spec.nodeSelector).toEqual({ pool: 'payments', disktype: 'ssd' });
    expect(spec.priorityClassName).toBe('business-critical');
  });

  it("reports placement and replicas outside an environment's limits, per environment", () => {
    const limited = readEnvironmentModel(
      new ConfigReader({
        k2: {
          environments: [
            {
              name: 'test',
              clusters: [{ name: 'test' }],
              limits: {
                priorityClasses: ['business-critical'],
                nodeSelectors: ['pool'],
              },
            },
            {
              name: 'prod',
              title: 'Production',
              clusters: [{ name: 'prod-a' }],
              limits: {
                maxReplicas: 10,
                priorityClasses: ['standard'],
                nodeSelectors: ['pool=payments'],
              },
            },
          ],
        },
      }),
    );
    const spec = readServiceSpec(
      service({
        'backstage.io/kubernetes-id': 'x',
        'k2.io/environments': 'test,prod',
        'k2.io/node-selector': 'pool=gpu',
        'k2.io/priority-class': 'business-critical',
        'k2.io/replicas.prod': '12',
      }),
      limited,
    );
    // Allowed in test; in Production, each value outside the lists is named.
    expect(spec.problems).toEqual([
      "'k2.io/replicas.prod' 12 is over Production's limit of 10 replicas",
      "k2.io/priority-class 'business-critical' is not allowed in Production; allowed: standard",
      "k2.io/node-selector 'pool=gpu' is not allowed in Production; allowed: pool=payments",
    ]);
    // Placement is deny by default: an environment without lists allows none.
    expect(
      readServiceSpec(
        service({
          'backstage.io/kubernetes-id': 'x',
          'k2.io/environments': 'prod',
          'k2.io/priority-class': 'business-critical',
        }),
        model,
      ).problems,
    ).toEqual([
      "k2.io/priority-class 'business-critical' is not allowed in prod; allowed: none",
    ]);
  });

  it('reports every bad annotation by name and keeps the rest', () => {
    const spec = readServiceSpec(
      service({
        'k2.io/environments': 'test,staging',
        'k2.io/language': 'cobol',
        'k2.io/image': 'registry.example.com/app:1.0',
        'k2.io/port': '99999',
        'k2.io/health-path': 'health',
        'k2.io/namespace': 'Payments',
        'k2.io/clusters.test': 'prod-a',
        'k2.io/replicas.test': 'many',
        'k2.io/replicas.qa': '2',
        'k2.io/node-selector': 'pool=payments,ssd,a=b=c',
        'k2.io/priority-class': 'Business Critical',
      }),
      model,
    );
    expect(spec.problems).toEqual([
      expect.stringMatching(/^backstage.io\/kubernetes-id is missing/),
      expect.stringMatching(
        /^k2.io\/language 'cobol' is not one of java, node, go, python/,
      ),
      expect.stringMatching(
        /^k2.io\/image 'registry.example.com\/app:1.0' is not an image repository/,
      ),
      expect.stringMatching(/^k2.io\/port '99999'/),
      expect.stringMatching(/^k2.io\/health-path 'health'/),
      expect.stringMatching(/^k2.io\/node-selector 'ssd' is not a node label/),
      expect.stringMatching(
        /^k2.io\/node-selector 'a=b=c' is not a node label/,
      ),
      expect.stringMatching(
        /^k2.io\/priority-class 'Business Critical' is not a PriorityClass name/,
      ),
      expect.stringMatching(/^k2.io\/namespace 'Payments'/),
      expect.stringMatching(
        /^k2.io\/clusters.test names unknown cluster\(s\) prod-a; clusters of 'test': test/,
      ),
      expect.stringMatching(/^k2.io\/replicas.test 'many'/),
      expect.stringMatching(
        /^k2.io\/environments names unknown environment 'staging'; known: test, prod/,
      ),
      expect.stringMatching(/^k2.io\/replicas.qa refers to environment 'qa'/),
    ]);
    // What was valid still resolves.
    expect(spec.targets.map(t => t.environment.name)).toEqual(['test']);
    expect(spec.targets[0].clusters.map(c => c.name)).toEqual(['test']);
    expect(spec.port).toBe(8080);
    expect(spec.nodeSelector).toEqual({ pool: 'payments' });
    expect(spec.priorityClassName).toBeUndefined();
  });

  it('tells K2 services from other entities', () => {
    expect(isK2Service(service({ 'k2.io/environments': 'test' }))).toBe(true);
    expect(isK2Service(service({}))).toBe(false);
  });
});
