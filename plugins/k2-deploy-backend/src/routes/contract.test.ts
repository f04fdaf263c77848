import { mockCredentials } from '@backstage/backend-test-utils';
import { AddressInfo } from 'net';
import { Readable } from 'stream';
import request from 'supertest';
import {
  deployServiceFakes,
  startDeployRouterBackend,
} from '../__testUtils__/routerBackend';

/**
 * The Deploy API's contract at the door: for every route, requests that break the
 * OpenAPI document get a 400 naming the parameter or field, and no service is called;
 * the same route with a valid request reaches its service.
 */

const release = {
  id: '0f0e0d0c-0b0a-4000-8000-000000000001',
  service: 'component:default/checkout',
  environment: 'test',
  namespace: 'shop',
  kind: 'release',
  status: 'applying',
  number: 1,
  spec: { env: [] },
  createdBy: 'user:default/alice',
  createdAt: '2026-11-26T00:00:00.000Z',
  progress: [],
  template: {},
};

/** Every service method the routes may call, each recording its calls. */
const fakes = () => deployServiceFakes(release);
type Fakes = ReturnType<typeof fakes>;

const service = '/services/default/checkout';
const environment = `${service}/environments/test`;
const instance = `${environment}/instances/test/checkout-7d9c-x2x`;
const id = release.id;

/** A route, a valid request to it, and requests that break the contract. */
const routes: Array<{
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  body?: object;
  reaches: (f: Fakes) => jest.Mock;
  broken: Array<{
    path?: string;
    query?: string;
    body?: unknown;
    names: RegExp;
  }>;
}> = [
  {
    method: 'get',
    path: `${service}/runtime`,
    reaches: f => f.runtime.getRuntime,
    broken: [
      {
        path: '/services/default/not%20a%20name/runtime',
        names: /Path parameter 'name' must match pattern/,
      },
      {
        path: '/services/-default/checkout/runtime',
        names: /Path parameter 'namespace'/,
      },
      { query: 'verbose=true', names: /Unknown query parameter 'verbose'/ },
    ],
  },
  {
    method: 'get',
    path: `${service}/releases`,
    reaches: f => f.store.history,
    broken: [
      { query: 'limit=0', names: /Query parameter 'limit' must be >= 1/ },
      { query: 'limit=101', names: /Query parameter 'limit' must be <= 100/ },
      { query: 'limit=ten', names: /Query parameter 'limit' must be integer/ },
      { query: 'environment=Prod', names: /Query parameter 'environment'/ },
      {
        query: 'environment=a&environment=b',
        names: /Query parameter 'environment' must be string/,
      },
    ],
  },
  {
    method: 'post',
    path: `${service}/releases`,
    body: { environment: 'test', image: '1.0.0' },
    reaches: f => f.engine.release,
    broken: [
      {
        body: { environment: 'test', image: '1.0.0', colour: 'blue' },
        names:
          /Unknown field\(s\) 'colour'; the request takes environment, image, replicas, resources, env, volumes, configFiles, message/,
      },
      { body: { environment: 'test' }, names: /'image' is required/ },
      {
        body: { environment: 'test', image: '1.0.0', replicas: '3' },
        names: /'replicas' must be integer/,
      },
      {
        body: { environment: 'test', image: '1.0.0', replicas: 1001 },
        names: /'replicas' must be <= 1000/,
      },
      {
        body: { environment: 'test', image: '1.0.0', resources: { gpu: '1' } },
        names:
          /Unknown field\(s\) 'resources.gpu'; 'resources' takes cpu, memory/,
      },
      {
        body: {
          environment: 'test',
          image: '1.0.0',
          env: [{ name: 'A', value: 'b', hidden: true }],
        },
        names: /Unknown field\(s\) 'env\[0\].hidden'/,
      },
      {
        body: {
          environment: 'test',
          image: '1.0.0',
          env: [{ name: '1A', value: 'b' }],
        },
        names: /'env\[0\].name' must match pattern/,
      },
      {
        body: { environment: 'test', image: '1.0.0', message: 'x'.repeat(501) },
        names: /'message' must NOT have more than 500 characters/,
      },
      { body: ['test'], names: /The request body must be object/ },
      {
        path: `/services/default/checkout-/releases`,
        names: /Path parameter 'name'/,
      },
    ],
  },
  {
    method: 'post',
    path: `${service}/releases/preview`,
    body: { environment: 'test', image: '1.0.0' },
    reaches: f => f.engine.preview,
    broken: [
      {
        body: { environment: 'test', image: '1.0.0', colour: 'blue' },
        names:
          /Unknown field\(s\) 'colour'; the request takes environment, image, replicas, resources, env, volumes, configFiles, message/,
      },
      { body: { image: '1.0.0' }, names: /'environment' is required/ },
      {
        body: { environment: 'test', image: '1.0.0', replicas: 0 },
        names: /'replicas' must be >= 1/,
      },
      {
        body: {
          environment: 'test',
          image: '1.0.0',
          env: [{ name: 'A', value: 'b', hidden: true }],
        },
        names: /Unknown field\(s\) 'env\[0\].hidden'/,
      },
      {
        path: `/services/default/checkout-/releases/preview`,
        names: /Path parameter 'name'/,
      },
    ],
  },
  {
    method: 'get',
    path: `${environment}/release-defaults`,
    reaches: f => f.engine.releaseDefaults,
    broken: [
      {
        path: `${service}/environments/Test/release-defaults`,
        names: /Path parameter 'environment'/,
      },
      { query: 'image=1.0.0', names: /Unknown query parameter 'image'/ },
    ],
  },
  {
    method: 'get',
    path: `${service}/mounts`,
    reaches: f => f.mounts.list,
    broken: [
      {
        path: '/services/default/not%20a%20name/mounts',
        names: /Path parameter 'name'/,
      },
      { query: 'environment=test', names: /Unknown query parameter/ },
    ],
  },
  {
    method: 'get',
    path: `/releases/${id}`,
    reaches: f => f.store.get,
    broken: [{ path: '/releases/42', names: /Path parameter 'id'/ }],
  },
  {
    method: 'post',
    path: `/releases/${id}/rollback`,
    body: { message: 'Back to the last good one' },
    reaches: f => f.engine.rollback,
    broken: [
      { body: { message: 7 }, names: /'message' must be string/ },
      { body: { reason: 'x' }, names: /Unknown field\(s\) 'reason'/ },
      { path: '/releases/latest/rollback', names: /Path parameter 'id'/ },
    ],
  },
  {
    method: 'post',
    path: `/releases/${id}/approve`,
    body: {},
    reaches: f => f.engine.decide,
    broken: [
      {
        body: { reason: 'fine' },
        names: /Unknown field\(s\) 'reason'; the request takes no fields/,
      },
      { path: '/releases/x/approve', names: /Path parameter 'id'/ },
    ],
  },
  {
    method: 'post',
    path: `/releases/${id}/reject`,
    body: { reason: 'Not on a Friday' },
    reaches: f => f.engine.decide,
    broken: [
      { body: { reason: false }, names: /'reason' must be string/ },
      { body: { because: 'x' }, names: /Unknown field\(s\) 'because'/ },
    ],
  },
  {
    method: 'post',
    path: `${environment}/scale`,
    body: { replicas: 0 },
    reaches: f => f.engine.scale,
    broken: [
      { body: { replicas: -1 }, names: /'replicas' must be >= 0/ },
      { body: { replicas: 2.5 }, names: /'replicas' must be integer/ },
      { body: {}, names: /'replicas' is required/ },
      {
        body: { replicas: 2, force: true },
        names: /Unknown field\(s\) 'force'/,
      },
      {
        path: `${service}/environments/Prod/scale`,
        names: /Path parameter 'environment'/,
      },
    ],
  },
  {
    method: 'post',
    path: `${environment}/restart`,
    reaches: f => f.engine.restart,
    broken: [
      {
        path: `${service}/environments/test_1/restart`,
        names: /Path parameter 'environment'/,
      },
      { query: 'now=true', names: /Unknown query parameter 'now'/ },
    ],
  },
  {
    method: 'put',
    path: `${environment}/autoscaling`,
    body: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 60 },
    reaches: f => f.engine.setAutoscaling,
    broken: [
      {
        body: { minReplicas: 0, maxReplicas: 6, cpuUtilization: 60 },
        names: /'minReplicas' must be >= 1/,
      },
      {
        body: { minReplicas: 1, maxReplicas: 6, cpuUtilization: 101 },
        names: /'cpuUtilization' must be <= 100/,
      },
      { body: { minReplicas: 1 }, names: /'maxReplicas' is required/ },
      {
        body: { minReplicas: 1, maxReplicas: 2, target: 50 },
        names: /Unknown field\(s\) 'target'/,
      },
    ],
  },
  {
    method: 'delete',
    path: `${environment}/autoscaling`,
    reaches: f => f.engine.setAutoscaling,
    broken: [
      {
        path: `${service}/environments/-test/autoscaling`,
        names: /Path parameter 'environment'/,
      },
    ],
  },
  {
    method: 'get',
    path: `${environment}/recommendation`,
    reaches: f => f.engine.recommendReplicas,
    broken: [
      {
        path: `${service}/environments/TEST/recommendation`,
        names: /Path parameter 'environment'/,
      },
    ],
  },
  {
    method: 'get',
    path: `${service}/instances/history`,
    reaches: f => f.instanceHistory.list,
    broken: [
      { query: 'cluster=-a', names: /Query parameter 'cluster'/ },
      { query: 'limit=500', names: /Query parameter 'limit' must be <= 100/ },
      { query: 'before=', names: /query parameter 'before'/ },
    ],
  },
  {
    method: 'get',
    path: `${service}/events`,
    reaches: f => f.instanceEvents.list,
    broken: [
      {
        query: 'warningsOnly=yes',
        names: /Query parameter 'warningsOnly' must be boolean/,
      },
      { query: 'pod=Bad_Pod', names: /Query parameter 'pod'/ },
    ],
  },
  {
    method: 'get',
    path: `${instance}/logs`,
    reaches: f => f.instanceLogs.open,
    broken: [
      {
        query: 'tailLines=0',
        names: /Query parameter 'tailLines' must be >= 1/,
      },
      {
        query: 'tailLines=10001',
        names: /Query parameter 'tailLines' must be <= 10000/,
      },
      {
        query: 'follow=yes',
        names: /Query parameter 'follow' must be boolean/,
      },
      { query: 'container=Bad_Name', names: /Query parameter 'container'/ },
    ],
  },
  {
    method: 'get',
    path: `${instance}/usage`,
    reaches: f => f.instanceUsage.read,
    broken: [
      {
        path: `${environment}/instances/bad%20cluster/checkout-7d9c-x2x/usage`,
        names: /Path parameter 'cluster'/,
      },
    ],
  },
  {
    method: 'put',
    path: `${instance}/traffic`,
    body: { inTraffic: false },
    reaches: f => f.instanceActions.setTraffic,
    broken: [
      { body: { inTraffic: 'no' }, names: /'inTraffic' must be boolean/ },
      { body: {}, names: /'inTraffic' is required/ },
      {
        body: { inTraffic: true, drain: true },
        names: /Unknown field\(s\) 'drain'/,
      },
      {
        path: `${environment}/instances/test/Checkout_1/traffic`,
        names: /Path parameter 'pod'/,
      },
    ],
  },
  {
    method: 'post',
    path: `${instance}/restart`,
    reaches: f => f.instanceActions.end,
    broken: [
      {
        path: `${environment}/instances/test/-pod/restart`,
        names: /Path parameter 'pod'/,
      },
    ],
  },
  {
    method: 'delete',
    path: instance,
    reaches: f => f.instanceActions.end,
    broken: [
      {
        path: `${environment}/instances/test/POD`,
        names: /Path parameter 'pod'/,
      },
    ],
  },
];

describe('the Deploy API contract', () => {
  let backend: Awaited<ReturnType<typeof startDeployRouterBackend>>;
  let f: Fakes;

  beforeAll(async () => {
    f = fakes();
    backend = await startDeployRouterBackend(f);
  });

  afterAll(() => backend.stop());

  beforeEach(() => jest.clearAllMocks());

  const send = (
    method: string,
    path: string,
    options: { query?: string; body?: unknown },
  ) => {
    const url = `/api/k2-deploy${path}${
      options.query ? `?${options.query}` : ''
    }`;
    const req = (request(backend.server) as any)
      [method](url)
      .set(
        'Authorization',
        `Bearer ${mockCredentials.user.token('user:default/alice')}`,
      );
    return options.body === undefined ? req : req.send(options.body);
  };

  const allCalls = () =>
    Object.values(f).flatMap(group =>
      Object.entries(group).flatMap(([name, fn]) =>
        (fn as jest.Mock).mock.calls.map(() => name),
      ),
    );

  it.each(routes.map(r => [`${r.method.toUpperCase()} ${r.path}`, r]))(
    '%s: a valid request reaches the service',
    async (_, route) => {
      const res = await send(route.method, route.path, { body: route.body });
      expect(res.status).toBeLessThan(300);
      expect(route.reaches(f)).toHaveBeenCalledTimes(1);
    },
  );

  it.each(
    routes.flatMap(r =>
      r.broken.map(b => [
        `${r.method.toUpperCase()} ${b.path ?? r.path}${
          b.query ? `?${b.query}` : ''
        }${
          b.body !== undefined ? ` ${JSON.stringify(b.body).slice(0, 60)}` : ''
        }`,
        r,
        b,
      ]),
    ) as Array<
      [
        string,
        (typeof routes)[number],
        (typeof routes)[number]['broken'][number],
      ]
    >,
  )('%s: 400 naming the field, nothing written', async (_, route, broken) => {
    const res = await send(route.method, broken.path ?? route.path, {
      query: broken.query,
      body: broken.body ?? route.body,
    });
    expect({ status: res.status, message: res.body.error?.message }).toEqual({
      status: 400,
      message: expect.stringMatching(broken.names),
    });
    expect(res.body.error.name).toBe('InputError');
    expect(allCalls()).toEqual([]);
  });

  it('serves its OpenAPI document', async () => {
    const res = await send('get', '/openapi.json', {});
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toContain(
      '/api/k2-deploy/services/{namespace}/{name}/releases',
    );
  });

  it('streams a followed log as it comes: the validator does not buffer text/plain', async () => {
    const stream = new Readable({ read() {} });
    f.instanceLogs.open.mockResolvedValueOnce({ stream, filename: 'pod.log' });
    const { port } = backend.server.address() as AddressInfo;
    const res = await fetch(
      `http://127.0.0.1:${port}/api/k2-deploy${instance}/logs?follow=true`,
      {
        headers: {
          Authorization: `Bearer ${mockCredentials.user.token(
            'user:default/alice',
          )}`,
        },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    // Each line is written only once the one before has arrived at the client.
    for (const line of ['first\n', 'second\n']) {
      stream.push(line);
      const { value } = await reader.read();
      expect(decoder.decode(value)).toBe(line);
    }
    stream.push(null);
    expect((await reader.read()).done).toBe(true);
  });
});
