import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { readEnvironmentModel } from '../environments';
import { readServiceSpec } from './readServiceSpec';

const model = readEnvironmentModel(
  new ConfigReader({
    k2: {
      environments: [
        { name: 'test', clusters: [{ name: 'test-a' }] },
        {
          name: 'prod',
          clusters: [{ name: 'prod-a' }],
          namespaces: { allowed: ['payments-*'] },
        },
      ],
    },
  }),
);

function entity(
  annotations: Record<string, string>,
  spec: Record<string, string> = {},
  name = 'checkout',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'k2.io/environments': 'test,prod', ...annotations },
    },
    spec: { type: 'service', owner: 'team', ...spec },
  };
}

const identity = (e: Entity) =>
  readServiceSpec(e, model).targets.map(t => [
    t.environment.name,
    t.identityProblem,
  ]);

describe('readServiceSpec: workload identity', () => {
  it('accepts a DNS-label id in an allowed namespace', () => {
    const spec = readServiceSpec(
      entity({
        'backstage.io/kubernetes-id': 'checkout',
        'k2.io/namespace': 'payments-core',
      }),
      model,
    );
    expect(spec.problems).toEqual([]);
    expect(spec.targets.map(t => t.identityProblem)).toEqual([
      undefined,
      undefined,
    ]);
  });

  it.each([
    'Checkout',
    'check_out',
    'checkout.v2',
    '-checkout',
    'a'.repeat(64),
  ])(
    'refuses kubernetes-id %s in every environment, naming the annotation',
    id => {
      const e = entity({
        'backstage.io/kubernetes-id': id,
        'k2.io/namespace': 'payments-core',
      });
      const problem = `backstage.io/kubernetes-id '${id}' is not a DNS-1123 label`;
      expect(readServiceSpec(e, model).problems).toEqual([
        expect.stringContaining(problem),
      ]);
      expect(identity(e)).toEqual([
        ['test', expect.stringContaining(problem)],
        ['prod', expect.stringContaining(problem)],
      ]);
    },
  );

  it('checks the entity name when kubernetes-id is missing', () => {
    const e = entity({ 'k2.io/namespace': 'payments-core' }, {}, 'Checkout_2');
    expect(identity(e)[0][1]).toMatch(
      /backstage.io\/kubernetes-id 'Checkout_2' \(the entity name\) is not a DNS-1123 label/,
    );
  });

  it.each([
    'kube-system',
    'kube-public',
    'kube-node-lease',
    'default',
    'kube-x',
  ])('refuses the system namespace %s', ns => {
    const e = entity({
      'backstage.io/kubernetes-id': 'checkout',
      'k2.io/namespace': ns,
    });
    expect(readServiceSpec(e, model).problems).toEqual([
      `k2.io/namespace '${ns}' is a system namespace; K2 does not act on services in it`,
    ]);
    expect(identity(e).map(([, p]) => p)).toEqual([
      expect.stringMatching(/system namespace/),
      expect.stringMatching(/system namespace/),
    ]);
  });

  it('refuses the default namespace a service gets without k2.io/namespace or system', () => {
    const e = entity({ 'backstage.io/kubernetes-id': 'checkout' });
    expect(identity(e)[0][1]).toBe(
      "k2.io/namespace 'default' (not set, so taken from the entity's namespace) is a system namespace; K2 does not act on services in it",
    );
  });

  it('refuses an invalid namespace instead of using it', () => {
    const e = entity({
      'backstage.io/kubernetes-id': 'checkout',
      'k2.io/namespace': 'Shop_Team',
    });
    expect(identity(e)[1][1]).toMatch(
      /k2.io\/namespace 'Shop_Team' is not a valid Kubernetes namespace name/,
    );
  });

  it("refuses a namespace outside an environment's allowed patterns there only", () => {
    const e = entity({
      'backstage.io/kubernetes-id': 'checkout',
      'k2.io/namespace': 'shop',
    });
    expect(identity(e)).toEqual([
      ['test', undefined],
      [
        'prod',
        "k2.io/namespace 'shop' is not allowed in environment 'prod' (allowed: payments-*); K2 does not act on this service there",
      ],
    ]);
    expect(readServiceSpec(e, model).problems).toHaveLength(1);
  });
});
