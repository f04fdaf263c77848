// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the real Middleware store beside the Deploy backend, as the app runs them, for its instances, bindings and Secret copies
import k2MiddlewareStorePlugin from '@internal/plugin-k2-middleware-store-backend';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

const NAMESPACE = 'shop';
const CLUSTERS = ['test-a', 'test-b'];
const STORE = '/api/k2-middleware-store';

/**
 * The Deploy backend beside the real Middleware store: an owner creates a Redis for
 * the service, binds it, and releases; the Deployment in every cluster reads the
 * password from the binding's copy of the instance's Secret.
 */
describe('releases of a service bound to a Middleware store instance, on sandbox clusters', () => {
  const bed = useK2DeployTestBed({ clusters: CLUSTERS });

  beforeAll(async () => {
    await bed.start({
      entities: [
        serviceEntity('cart', {
          'k2.io/environments': 'test',
          'k2.io/namespace': NAMESPACE,
          'k2.io/image': 'registry.k2.local/shop/cart',
        }),
      ],
      k2: {
        environments: [
          testEnvironment('test', {
            clusters: [{ name: 'test-a' }, { name: 'test-b' }],
            replicas: 2,
          }),
        ],
        middleware: {
          lifecycle: { frequency: { minutes: 30 } },
          environments: {
            test: {
              ttlDays: 7,
              maxTtlDays: 30,
              reminderDays: 2,
              retentionDays: 7,
            },
          },
        },
      },
      features: [k2MiddlewareStorePlugin],
    });
  });

  const server = () => request(bed.backend.server);

  async function secretData(cluster: string, name: string) {
    const res = await api(bed.cluster(cluster)).get(
      `/api/v1/namespaces/${NAMESPACE}/secrets/${name}`,
    );
    if (res.status === 404) return undefined;
    return Object.fromEntries(
      Object.entries(res.body.data as Record<string, string>).map(([k, v]) => [
        k,
        Buffer.from(v, 'base64').toString('utf8'),
      ]),
    );
  }

  it('the Deployment in every cluster reads the bound Redis’s password from its Secret copy, and no response carries it', async () => {
    const created = await server()
      .post(`${STORE}/services/default/cart/instances`)
      .set(as(ALICE))
      .send({
        environment: 'test',
        template: 'redis-7',
        name: 'cart-cache',
        parameters: { storageClass: 'nfs' },
      });
    expect(created.status).toBe(201);
    const { id } = created.body;
    await poll('the instance ready', async () => {
      const res = await server().get(`${STORE}/instances/${id}`).set(as(ALICE));
      return res.body.state === 'ready';
    });
    const bound = await server()
      .put(`${STORE}/instances/${id}/bindings/default/cart`)
      .set(as(ALICE));
    expect(bound.status).toBe(200);
    const password = (await secretData('test-a', 'k2-mw-cart-cache'))?.password;
    expect(password).toMatch(/.{8,}/);
    expect((await secretData('test-b', 'k2-mw-cart-cache'))?.password).toBe(
      password,
    );

    const res = await server()
      .post('/api/k2-deploy/services/default/cart/releases')
      .set(as(ALICE))
      .send({ environment: 'test', image: '1.0.0' });
    expect(res.status).toBe(201);
    const done = await releaseFinished(bed.backend, res.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.spec.bindings).toContainEqual({
      name: 'REDIS_PASSWORD',
      instance: 'cart-cache',
      secretKeyRef: { name: 'k2-mw-cart-cache', key: 'password' },
    });
    for (const cluster of CLUSTERS) {
      const deployment = await api(bed.cluster(cluster)).get(
        `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/cart`,
      );
      expect(deployment.status).toBe(200);
      const env = deployment.body.spec.template.spec.containers[0].env;
      expect(env).toContainEqual({
        name: 'REDIS_PASSWORD',
        valueFrom: {
          secretKeyRef: { name: 'k2-mw-cart-cache', key: 'password' },
        },
      });
      expect(env).toContainEqual({
        name: 'REDIS_HOST',
        value: expect.stringMatching(/^cart-cache\./),
      });
    }
    const history = await server()
      .get('/api/k2-deploy/services/default/cart/releases')
      .set(as(ALICE));
    for (const body of [res.text, history.text, JSON.stringify(done)]) {
      expect(body).not.toContain(password);
    }
  });
});
