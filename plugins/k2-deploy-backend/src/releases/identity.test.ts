import { Entity } from '@backstage/catalog-model';
import { K2ServiceRuntime } from '@internal/plugin-k2-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(90_000);

const IMAGE = 'registry.k2.local/shop/app';

/** The service that holds `shop/checkout` in test: first by entity ref. */
const checkout = serviceEntity('checkout', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
  'k2.io/image': IMAGE,
});
/** Another team's component claiming checkout's namespace and kubernetes-id. */
const copycat = serviceEntity('copycat', {
  'backstage.io/kubernetes-id': 'checkout',
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
  'k2.io/image': IMAGE,
});
/** A component pointing K2 at the cluster's own namespace. */
const sysgrab = serviceEntity('sysgrab', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'kube-system',
  'k2.io/image': IMAGE,
});
/** A service whose Deployment someone else already made by hand. */
const billing = serviceEntity('billing', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'billing',
  'k2.io/image': IMAGE,
});

describe('workload identity, as another user would try it', () => {
  const bed = useK2DeployTestBed({
    clusters: ['test'],
    backend: {
      entities: [copycat, checkout, sysgrab, billing],
      k2: {
        releases: { applyRetryTimeout: '2s' },
        environments: [testEnvironment('test')],
      },
    },
  });
  const cluster = bed.cluster('test');

  beforeAll(async () => {
    // Two services claim shop/checkout: until the cluster is listed, nobody can tell
    // which one runs there, so wait for the card to say who holds it.
    await poll('the claim on shop/checkout decided', async () =>
      (await problems('copycat')).length > 0 ? true : undefined,
    );
  });

  const release = (name: string, image: string) =>
    request(bed.backend.server)
      .post(`/api/k2-deploy/services/default/${name}/releases`)
      .set(as(ALICE))
      .send({ environment: 'test', image });

  const finished = (id: string) => releaseFinished(bed.backend, id);

  async function problems(name: string): Promise<string[]> {
    const res = await request(bed.backend.server)
      .get(`/api/k2-deploy/services/default/${name}/runtime`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body.problems;
  }

  const deployment = async (namespace: string, name: string) =>
    (
      await api(cluster).get(
        `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
      )
    ).body;

  it("refuses a component claiming another service's namespace and id, leaving its Deployment alone", async () => {
    const first = await release('checkout', '1.0.0');
    expect(first.status).toBe(201);
    expect((await finished(first.body.id)).status).toBe('succeeded');
    const before = await deployment('shop', 'checkout');

    expect(await problems('checkout')).toEqual([]);
    expect(await problems('copycat')).toEqual([
      expect.stringContaining(
        "k2.io/namespace 'shop' with backstage.io/kubernetes-id 'checkout' in environment 'test' is claimed by component:default/checkout",
      ),
    ]);

    const takeover = await release('copycat', '6.6.6');
    expect(takeover.status).toBe(409);
    expect(takeover.body.error.message).toMatch(
      /is claimed by component:default\/checkout/,
    );

    // Nor can it act on checkout's pods, which carry the same id.
    const pods = await api(cluster).get(
      '/api/v1/namespaces/shop/pods?labelSelector=k2.io/service%3Dcheckout',
    );
    const pod = pods.body.items[0].metadata.name;
    const restart = await request(bed.backend.server)
      .post(
        `/api/k2-deploy/services/default/copycat/environments/test/instances/test/${pod}/restart`,
      )
      .set(as(ALICE))
      .send({});
    expect(restart.status).toBe(409);
    expect(restart.body.error.message).toMatch(/component:default\/checkout/);

    const after = await deployment('shop', 'checkout');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec.template.spec.containers[0].image).toBe(`${IMAGE}:1.0.0`);
    const still = await api(cluster).get(`/api/v1/namespaces/shop/pods/${pod}`);
    expect(still.status).toBe(200);
    expect(still.body.metadata.deletionTimestamp).toBeUndefined();
  });

  it('refuses kube-system: a problem on the card and 400 on release naming the annotation', async () => {
    expect(await problems('sysgrab')).toEqual([
      "k2.io/namespace 'kube-system' is a system namespace; K2 does not act on services in it",
    ]);
    const res = await release('sysgrab', '1.0.0');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /k2.io\/namespace 'kube-system' is a system namespace/,
    );
    expect((await deployment('kube-system', 'sysgrab')).kind).not.toBe(
      'Deployment',
    );
  });

  it('fails a release over a Deployment someone else made, naming it, and leaves it unchanged', async () => {
    await api(cluster).post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'billing' },
    });
    const created = await api(cluster).post(
      '/apis/apps/v1/namespaces/billing/deployments',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'billing',
          // Labelled for the stock Kubernetes tab, but not by K2.
          labels: { app: 'billing', 'backstage.io/kubernetes-id': 'billing' },
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'billing' } },
          template: {
            metadata: { labels: { app: 'billing' } },
            spec: {
              containers: [{ name: 'billing', image: 'example/billing:7' }],
            },
          },
        },
      },
    );
    expect(created.status).toBe(201);
    // K2's watch cache (shown by the runtime view) sees it before the release.
    await poll('billing Deployment in the cache', async () => {
      const res = await request(bed.backend.server)
        .get('/api/k2-deploy/services/default/billing/runtime')
        .set(as(BOB));
      return JSON.stringify(res.body).includes('example/billing:7')
        ? true
        : undefined;
    });

    const res = await release('billing', '1.0.0');
    expect(res.status).toBe(201);
    const done = await finished(res.body.id);
    expect(done.status).toBe('failed');
    expect(done.reason).toMatch(
      /Deployment billing\/billing in cluster 'test' exists and is not K2's \(no app.kubernetes.io\/managed-by: k2 label\)/,
    );
    const after = await deployment('billing', 'billing');
    // Its spec never changed (the controller still updates its status), and K2
    // manages none of its fields.
    expect(after.metadata.generation).toBe(created.body.metadata.generation);
    expect(
      (after.metadata.managedFields ?? []).map((f: any) => f.manager),
    ).not.toContain('k2');
    expect(after.metadata.labels).toEqual({
      app: 'billing',
      'backstage.io/kubernetes-id': 'billing',
    });
    expect(after.spec.template.spec.containers[0].image).toBe(
      'example/billing:7',
    );
  });
});

/** An established service in `finance`. */
const ledger = serviceEntity('ledger', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'finance',
  'k2.io/image': IMAGE,
});
/** Registered later, by another team, for ledger's namespace and id; sorts first. */
const accounts = serviceEntity('accounts', {
  'backstage.io/kubernetes-id': 'ledger',
  'k2.io/environments': 'test',
  'k2.io/namespace': 'finance',
  'k2.io/image': IMAGE,
});

describe('workload identity: an established service keeps it against a newcomer', () => {
  const bed = useK2DeployTestBed({ clusters: ['test'], databaseFile: true });
  const cluster = bed.cluster('test');

  /** A backend on the same cluster and database, with this catalog. */
  async function startWith(entities: Entity[]) {
    await bed.backend?.stop();
    await bed.start({
      entities,
      k2: {
        releases: { applyRetryTimeout: '2s' },
        environments: [testEnvironment('test', { replicas: 2 })],
      },
    });
  }

  const release = (name: string, image: string) =>
    request(bed.backend.server)
      .post(`/api/k2-deploy/services/default/${name}/releases`)
      .set(as(ALICE))
      .send({ environment: 'test', image });

  const finished = (id: string) => releaseFinished(bed.backend, id);

  async function runtime(name: string): Promise<K2ServiceRuntime> {
    const res = await request(bed.backend.server)
      .get(`/api/k2-deploy/services/default/${name}/runtime`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body;
  }

  const ledgerDeployment = async () =>
    (
      await api(cluster).get(
        '/apis/apps/v1/namespaces/finance/deployments/ledger',
      )
    ).body;

  it('refuses the newcomer with 409 naming the service that runs there, which keeps its pods and releases', async () => {
    // ledger is released while it is the only claimant; its workload carries its ref.
    await startWith([ledger]);
    const first = await release('ledger', '1.0.0');
    expect(first.status).toBe(201);
    expect((await finished(first.body.id)).status).toBe('succeeded');
    expect((await ledgerDeployment()).metadata.annotations).toMatchObject({
      'k2.io/entity-ref': 'component:default/ledger',
    });

    // Then accounts, whose ref sorts before ledger's, claims finance/ledger too.
    await startWith([accounts, ledger]);
    const claimed =
      "k2.io/namespace 'finance' with backstage.io/kubernetes-id 'ledger' in environment 'test' is claimed by component:default/ledger (it runs there: k2.io/entity-ref on its workload); K2 does not act on this service there";
    await poll('the newcomer told who holds the workload', async () =>
      (await runtime('accounts')).problems.includes(claimed) ? true : undefined,
    );
    const takeover = await release('accounts', '6.6.6');
    expect(takeover.status).toBe(409);
    expect(takeover.body.error.message).toBe(claimed);

    // ledger's page still shows its pods and no problem, and it releases as before.
    const view = await runtime('ledger');
    expect(view.problems).toEqual([]);
    const pods = view.environments[0].clusters[0].pods.filter(
      p => !p.terminating,
    );
    expect(pods.map(p => p.images)).toEqual([
      [`${IMAGE}:1.0.0`],
      [`${IMAGE}:1.0.0`],
    ]);
    const next = await release('ledger', '2.0.0');
    expect(next.status).toBe(201);
    expect((await finished(next.body.id)).status).toBe('succeeded');
    const after = await ledgerDeployment();
    expect(after.spec.template.spec.containers[0].image).toBe(`${IMAGE}:2.0.0`);
    expect(after.metadata.annotations['k2.io/entity-ref']).toBe(
      'component:default/ledger',
    );
  });
});
