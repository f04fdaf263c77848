import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { K2Release } from '@internal/plugin-k2-common';
import type { K2MiddlewareBindingEnv } from '@internal/plugin-k2-middleware-store-common';
import { api } from '@internal/sandbox-cluster/testUtils';
import Router from 'express-promise-router';
import request from 'supertest';
import {
  ALICE,
  as,
  CAROL,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(90_000);

const NAMESPACE = 'shop';
const CLUSTERS = ['test-a', 'test-b'];
/** The production environment's one cluster, where releases wait for an approver. */
const PROD = 'prod-a';

/**
 * The Middleware store's bindings route as its contract gives it (`GET
 * /services/{namespace}/{name}/environments/{environment}/bindings`), over bindings a
 * test sets by service; `down` answers 503, `missing` falls through to the backend's
 * 404 as when the store is not installed.
 */
const store = {
  down: false,
  missing: false,
  bindings: new Map<
    string,
    Array<{ instance: string; env: K2MiddlewareBindingEnv[] }>
  >(),
};
const storeStandIn = createBackendPlugin({
  pluginId: 'k2-middleware-store',
  register(env) {
    env.registerInit({
      deps: { httpRouter: coreServices.httpRouter },
      async init({ httpRouter }) {
        const router = Router();
        router.get(
          '/services/:namespace/:name/environments/:environment/bindings',
          async (req, res, next) => {
            if (store.missing) {
              next();
              return;
            }
            if (store.down) {
              res.status(503).json({
                error: {
                  name: 'ServiceUnavailableError',
                  message: 'the database is not answering',
                },
              });
              return;
            }
            const { namespace, name, environment } = req.params;
            const items = (
              store.bindings.get(`${namespace}/${name}/${environment}`) ?? []
            ).map(b => ({
              ...b,
              entityRef: `resource:default/${environment}-${b.instance}`,
            }));
            res.json({ items });
          },
        );
        httpRouter.use(router);
      },
    });
  },
});

/** Redis's connection variables, as the store lists them for a bound instance. */
const redisEnv = (instance: string): K2MiddlewareBindingEnv[] => [
  { name: 'REDIS_HOST', value: `${instance}.${NAMESPACE}.svc` },
  { name: 'REDIS_PORT', value: '6379' },
  {
    name: 'REDIS_PASSWORD',
    secretKeyRef: { name: `k2-mw-${instance}`, key: 'password' },
  },
];

describe('releases of services bound to middleware, on sandbox clusters', () => {
  const bed = useK2DeployTestBed({ clusters: [...CLUSTERS, PROD] });

  beforeAll(async () => {
    for (const cluster of [...CLUSTERS, PROD]) {
      const res = await api(bed.cluster(cluster)).post('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: NAMESPACE },
      });
      if (res.status !== 201) {
        throw new Error(`creating namespace ${NAMESPACE}: ${res.text}`);
      }
    }
    await bed.start({
      entities: ['cart', 'orders', 'search', 'plain', 'payments'].map(name =>
        serviceEntity(name, {
          'k2.io/environments': 'test,prod',
          'k2.io/namespace': NAMESPACE,
          'k2.io/image': `registry.k2.local/shop/${name}`,
        }),
      ),
      k2: {
        environments: [
          testEnvironment('test', {
            clusters: [{ name: 'test-a' }, { name: 'test-b' }],
            replicas: 2,
          }),
          testEnvironment('prod', {
            clusters: [{ name: PROD }],
            production: true,
          }),
        ],
      },
      features: [storeStandIn],
    });
  });

  afterEach(() => {
    store.down = false;
    store.missing = false;
  });

  /** The instance's Secret as the Middleware store copies it on bind, in every cluster. */
  async function copySecret(instance: string, clusters = CLUSTERS) {
    for (const cluster of clusters) {
      const res = await api(bed.cluster(cluster)).post(
        `/api/v1/namespaces/${NAMESPACE}/secrets`,
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: `k2-mw-${instance}`,
            labels: {
              'app.kubernetes.io/managed-by': 'k2',
              'k2.io/middleware': instance,
              'k2.io/environment': cluster === PROD ? 'prod' : 'test',
            },
          },
          data: { password: Buffer.from('s3cret-pw').toString('base64') },
        },
      );
      expect(res.status).toBe(201);
    }
  }

  async function deleteSecret(instance: string, clusters = CLUSTERS) {
    for (const cluster of clusters) {
      const res = await api(bed.cluster(cluster)).delete(
        `/api/v1/namespaces/${NAMESPACE}/secrets/k2-mw-${instance}`,
      );
      expect(res.status).toBe(200);
    }
  }

  const release = (service: string, body: object) =>
    request(bed.backend.server)
      .post(`/api/k2-deploy/services/default/${service}/releases`)
      .set(as(ALICE))
      .send(body);

  async function succeeded(res: request.Response): Promise<K2Release> {
    expect(res.status).toBe(201);
    const done = await releaseFinished(bed.backend, res.body.id);
    expect(done.status).toBe('succeeded');
    return done;
  }

  /** The container's variables as kubectl would show them, without K2's own. */
  async function envOf(cluster: string, service: string) {
    const res = await api(bed.cluster(cluster)).get(
      `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${service}`,
    );
    expect(res.status).toBe(200);
    return (
      res.body.spec.template.spec.containers[0].env as Array<{ name: string }>
    ).filter(e => !/^(K2_|POD_|NODE_NAME$)/.test(e.name));
  }

  it('a bound instance’s variables reach the container, the password by reference to its Secret; unbound, a rollback to that release is refused', async () => {
    await copySecret('cart-cache');
    store.bindings.set(`default/cart/test`, [
      { instance: 'cart-cache', env: redisEnv('cart-cache') },
    ]);
    const first = await succeeded(
      await release('cart', {
        environment: 'test',
        image: '1.0.0',
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
      }),
    );
    expect(first.spec.bindings).toEqual([
      {
        name: 'REDIS_HOST',
        instance: 'cart-cache',
        value: 'cart-cache.shop.svc',
      },
      { name: 'REDIS_PORT', instance: 'cart-cache', value: '6379' },
      {
        name: 'REDIS_PASSWORD',
        instance: 'cart-cache',
        secretKeyRef: { name: 'k2-mw-cart-cache', key: 'password' },
      },
    ]);
    for (const cluster of CLUSTERS) {
      expect(await envOf(cluster, 'cart')).toEqual([
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'REDIS_HOST', value: 'cart-cache.shop.svc' },
        { name: 'REDIS_PORT', value: '6379' },
        {
          name: 'REDIS_PASSWORD',
          valueFrom: {
            secretKeyRef: { name: 'k2-mw-cart-cache', key: 'password' },
          },
        },
      ]);
    }
    // The history shows what the release received, and never a secret value.
    const recorded = await request(bed.backend.server)
      .get(`/api/k2-deploy/releases/${first.id}`)
      .set(as(ALICE));
    expect(JSON.stringify(recorded.body)).not.toContain('s3cret-pw');

    // Unbound: the store lists nothing and has deleted its Secret copy. The next
    // release goes without, and its preview names what goes.
    store.bindings.delete(`default/cart/test`);
    await deleteSecret('cart-cache');
    // What runs still reads it: a restart or more replicas would start pods that
    // cannot, so both are refused; fewer replicas are not.
    const envBase = '/api/k2-deploy/services/default/cart/environments/test';
    const restart = await request(bed.backend.server)
      .post(`${envBase}/restart`)
      .set(as(ALICE));
    expect(restart.status).toBe(409);
    expect(restart.body.error.message).toContain(
      'The connection settings of middleware instance cart-cache are not in cluster test-a',
    );
    const scaleUp = await request(bed.backend.server)
      .post(`${envBase}/scale`)
      .set(as(ALICE))
      .send({ replicas: 3 });
    expect(scaleUp.status).toBe(409);
    const scaleDown = await request(bed.backend.server)
      .post(`${envBase}/scale`)
      .set(as(ALICE))
      .send({ replicas: 1 });
    expect(scaleDown.status).toBe(201);
    expect((await releaseFinished(bed.backend, scaleDown.body.id)).status).toBe(
      'succeeded',
    );
    const preview = await request(bed.backend.server)
      .post('/api/k2-deploy/services/default/cart/releases/preview')
      .set(as(ALICE))
      .send({ environment: 'test', image: '1.0.1' });
    expect(preview.status).toBe(200);
    expect(
      preview.body.changes.filter((c: { path: string }) =>
        c.path.startsWith('bindings.'),
      ),
    ).toEqual([
      {
        path: 'bindings.REDIS_HOST',
        before: 'cart-cache.shop.svc (cart-cache)',
      },
      { path: 'bindings.REDIS_PORT', before: '6379 (cart-cache)' },
      {
        path: 'bindings.REDIS_PASSWORD',
        before: 'secret k2-mw-cart-cache/password (cart-cache)',
      },
    ]);
    const second = await succeeded(
      await release('cart', { environment: 'test', image: '1.0.1' }),
    );
    expect(second.spec.bindings).toBeUndefined();
    expect(await envOf('test-a', 'cart')).toEqual([]);

    // Rolling back to the first release would start pods reading a Secret that is gone.
    const rollback = await request(bed.backend.server)
      .post(`/api/k2-deploy/releases/${first.id}/rollback`)
      .set(as(ALICE))
      .send({});
    expect(rollback.status).toBe(409);
    expect(rollback.body.error.message).toBe(
      `Cannot roll back to release #${first.number}: The connection settings of middleware instance cart-cache are not in cluster test-a (no Secret shop/k2-mw-cart-cache); it is no longer bound to the service in test, bind it again on the Middleware tab or release without it`,
    );

    // Bound again: the rollback restores the spec it ran with, bindings included.
    await copySecret('cart-cache');
    const restored = await succeeded(
      await request(bed.backend.server)
        .post(`/api/k2-deploy/releases/${first.id}/rollback`)
        .set(as(ALICE))
        .send({}),
    );
    expect(restored.spec.bindings).toEqual(first.spec.bindings);
    expect(await envOf('test-b', 'cart')).toContainEqual({
      name: 'REDIS_PASSWORD',
      valueFrom: {
        secretKeyRef: { name: 'k2-mw-cart-cache', key: 'password' },
      },
    });
  });

  it('a variable the release sets itself wins over the bound instance’s', async () => {
    await copySecret('orders-cache');
    store.bindings.set(`default/orders/test`, [
      { instance: 'orders-cache', env: redisEnv('orders-cache') },
    ]);
    const done = await succeeded(
      await release('orders', {
        environment: 'test',
        image: '2.0.0',
        env: [{ name: 'REDIS_HOST', value: 'redis.legacy.internal' }],
      }),
    );
    expect(done.spec.bindings?.map(b => b.name)).toEqual([
      'REDIS_PORT',
      'REDIS_PASSWORD',
    ]);
    const env = await envOf('test-a', 'orders');
    expect(env.filter(e => e.name === 'REDIS_HOST')).toEqual([
      { name: 'REDIS_HOST', value: 'redis.legacy.internal' },
    ]);
  });

  it('two bound instances giving the same variable are refused, naming both', async () => {
    await copySecret('search-a');
    await copySecret('search-b');
    store.bindings.set(`default/search/test`, [
      { instance: 'search-a', env: redisEnv('search-a') },
      { instance: 'search-b', env: redisEnv('search-b') },
    ]);
    const res = await release('search', {
      environment: 'test',
      image: '1.0.0',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      "Middleware instances search-a and search-b bound to search in test both give REDIS_HOST; unbind one, or set REDIS_HOST in the release's variables to choose its value",
    );
  });

  it('a production release whose binding was removed while it waited is not approved until the instance is bound again', async () => {
    await copySecret('payments-db', [PROD]);
    store.bindings.set(`default/payments/prod`, [
      {
        instance: 'payments-db',
        env: [
          {
            name: 'MYSQL_PASSWORD',
            secretKeyRef: { name: 'k2-mw-payments-db', key: 'password' },
          },
        ],
      },
    ]);
    const waiting = await release('payments', {
      environment: 'prod',
      image: '3.0.0',
    });
    expect(waiting.status).toBe(201);
    expect(waiting.body.status).toBe('pending-approval');

    await deleteSecret('payments-db', [PROD]);
    const approve = () =>
      request(bed.backend.server)
        .post(`/api/k2-deploy/releases/${waiting.body.id}/approve`)
        .set(as(CAROL))
        .send({});
    const refused = await approve();
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      'The connection settings of middleware instance payments-db are not in cluster prod-a (no Secret shop/k2-mw-payments-db); it is no longer bound to the service in prod, bind it again on the Middleware tab or release without it',
    );

    await copySecret('payments-db', [PROD]);
    expect((await approve()).status).toBe(200);
    const done = await releaseFinished(bed.backend, waiting.body.id);
    expect(done.status).toBe('succeeded');
    expect(await envOf(PROD, 'payments')).toEqual([
      {
        name: 'MYSQL_PASSWORD',
        valueFrom: {
          secretKeyRef: { name: 'k2-mw-payments-db', key: 'password' },
        },
      },
    ]);
  });

  it('a Middleware store that cannot answer refuses the release; one that is not installed lets it go without bindings', async () => {
    store.down = true;
    const refused = await release('plain', {
      environment: 'test',
      image: '1.0.0',
    });
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain(
      'Could not read the middleware bound to default/plain in test from the Middleware store (k2-middleware-store)',
    );
    const history = await request(bed.backend.server)
      .get('/api/k2-deploy/services/default/plain/releases')
      .set(as(ALICE));
    expect(history.body.total).toBe(0);

    store.down = false;
    store.missing = true;
    const done = await succeeded(
      await release('plain', { environment: 'test', image: '1.0.0' }),
    );
    expect(done.spec.bindings).toBeUndefined();
  });
});
