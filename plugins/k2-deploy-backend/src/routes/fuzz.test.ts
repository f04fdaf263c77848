import { mockCredentials } from '@backstage/backend-test-utils';
import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import fc from 'fast-check';
import { AddressInfo } from 'net';
import { DatabaseInstanceStore } from '../database/DatabaseInstanceStore';
import { DatabaseReleaseStore } from '../database/DatabaseReleaseStore';
import {
  deployServiceFakes,
  startDeployRouterBackend,
} from '../__testUtils__/routerBackend';

/**
 * The Deploy API's write endpoints, fuzzed: generated bodies (arbitrary JSON, raw
 * text, and valid bodies with one field mutated), path segments and query strings go
 * through the real router (the OpenAPI contract and every route) to recording fakes.
 * Whatever comes in, the answer is never a 5xx; a 4xx writes nothing; a 2xx reached
 * its service exactly once. Each property runs {@link RUNS} cases from a fixed seed
 * (in the test's name): a failure prints the seed and path to replay it with
 * `fc.assert(prop, { seed, path })`.
 */

const RUNS = 1000;

const release = {
  id: '0f0e0d0c-0b0a-4000-8000-000000000001',
  service: 'component:default/checkout',
  environment: 'test',
  namespace: 'shop',
  kind: 'release',
  status: 'applying',
  number: 1,
  spec: {
    name: 'checkout',
    namespace: 'shop',
    image: 'registry.example.com/shop/checkout:1.4.2',
    replicas: 2,
    clusters: [{ name: 'test-a', replicas: 2, weight: 1 }],
    resources: {
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '1', memory: '1Gi' },
    },
    env: [],
    port: 8080,
    probes: {},
    drainSeconds: 10,
    terminationGracePeriodSeconds: 40,
    logDirectory: '/log-dir/k2-logs/shop/checkout',
    volumes: [],
    configFiles: [],
    nodeSelector: {},
    timeoutSeconds: 600,
    autoRollback: false,
  },
  createdBy: 'user:default/alice',
  createdAt: '2026-11-26T00:00:00.000Z',
  progress: [],
  template: {},
};

/** The services behind the routes; the write methods record their calls. */
const fakes = () => deployServiceFakes(release);
type Fakes = ReturnType<typeof fakes>;

/** Every method that changes something. */
const writes = (f: Fakes) => ({
  release: f.engine.release,
  rollback: f.engine.rollback,
  decide: f.engine.decide,
  cancel: f.engine.cancel,
  adopt: f.adoption.adopt,
  scale: f.engine.scale,
  restart: f.engine.restart,
  setAutoscaling: f.engine.setAutoscaling,
  setTraffic: f.instanceActions.setTraffic,
  end: f.instanceActions.end,
});
type Write = keyof ReturnType<typeof writes>;

// ---- generators ---------------------------------------------------------------------

/** Percent-encodes anything, lone surrogates included (they become U+FFFD). */
const encode = (s: string) =>
  encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));

/** Strings that break things: unicode, control characters, huge, path and SQL tricks. */
const nastyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\n\r\t',
    '..',
    '../../etc/passwd',
    '%00',
    '%2e%2e',
    "'; DROP TABLE k2_releases; --",
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
    '\uD800',
    '\u202Eevil',
    '💥'.repeat(300),
    '1e400',
    'NaN',
    '-0',
    'null',
  ),
  // Past every maxLength, and past the 1 MB body limit.
  fc.constantFrom(70_000, 1_100_000).map(n => 'x'.repeat(n)),
);

/** Numbers at and past every edge (NaN and ±Infinity become null in JSON). */
const nastyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    1000,
    1001,
    2 ** 31,
    2 ** 53 + 2,
    1e21,
    1e308,
    -1e308,
    Number.MIN_VALUE,
  ),
);

/** Arbitrary JSON nested deeper than any schema expects. */
const deepJunk = fc
  .tuple(fc.integer({ min: 1, max: 500 }), fc.constantFrom('array', 'object'))
  .map(([depth, kind]) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
    return v;
  });

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.anything({ maxDepth: 2 }).map(v => {
    try {
      return JSON.parse(JSON.stringify(v) ?? 'null');
    } catch {
      return null;
    }
  }),
  deepJunk,
);

const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'id'),
  fc.string({ maxLength: 20 }),
);

/** A valid body with one field replaced, removed, or one field added. */
function nearValid(valid: Record<string, unknown>) {
  const keys = Object.keys(valid);
  const mutate = keys.length
    ? [
        fc
          .tuple(fc.constantFrom(...keys), junkValue)
          .map(([k, v]) => ({ ...valid, [k]: v })),
        fc.constantFrom(...keys).map(k => {
          const { [k]: _, ...rest } = valid;
          return rest;
        }),
      ]
    : [];
  return fc.oneof(
    ...mutate,
    // A computed key makes even `__proto__` an own field of the body.
    fc.tuple(extraKey, junkValue).map(([k, v]) => ({ ...valid, [k]: v })),
  );
}

/** What is sent as the body: nothing, a JSON value, or raw text as JSON. */
type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; text: string; type: string };

const rawText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,]',
    '{"replicas": 1e400}',
    '{"replicas": -1e400}',
    '{"inTraffic": tru}',
    'null',
    '"text"',
    '0',
    '{"__proto__": {"admin": true}}',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
    '\uFEFF{}',
  ),
  fc.integer({ min: 1, max: 100_000 }).map(n => '['.repeat(n) + ']'.repeat(n)),
);

function bodies(
  valid: Record<string, unknown> | undefined,
): fc.Arbitrary<Body> {
  const json = (a: fc.Arbitrary<unknown>) =>
    a.map((value): Body => ({ kind: 'json', value }));
  return fc.oneof(
    ...(valid
      ? [
          { weight: 2, arbitrary: json(fc.constant(valid)) },
          { weight: 6, arbitrary: json(nearValid(valid)) },
        ]
      : [{ weight: 3, arbitrary: fc.constant<Body>({ kind: 'none' }) }]),
    { weight: 3, arbitrary: json(junkValue) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          rawText,
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-16',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
          ),
        )
        .map(([text, type]): Body => ({ kind: 'raw', text, type })),
    },
  );
}

/** Query strings: none mostly, else generated keys and values, raw or encoded. */
const queries = fc.oneof(
  { weight: 8, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(
              'limit',
              'before',
              'environment',
              'limit[$gt]',
              '__proto__[x]',
              'a[]',
            ),
            fc.string({ maxLength: 10 }),
          ),
          fc.oneof(nastyString, nastyNumber.map(String)),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map(pairs =>
        pairs
          .map(([k, v]) => `${encode(k)}=${encode(v).slice(0, 4000)}`)
          .join('&'),
      ),
  },
  { weight: 1, arbitrary: fc.webQueryParameters() },
);

/** A path segment: mostly the valid one, else something generated (URL-encoded). */
const segment = (valid: string) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(valid) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(nastyString, fc.webSegment())
        .map(s => encode(s.slice(0, 2000))),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%',
        '%zz',
        '%C0%AE',
        '..',
        '.',
        valid.toUpperCase(),
        `${valid}-`,
        `${valid}%2F..`,
        'a'.repeat(300),
      ),
    },
  );

// ---- the endpoints ------------------------------------------------------------------

const ID = release.id;

const endpoints: Array<{
  name: string;
  seed: number;
  method: 'post' | 'put' | 'delete';
  /** The path, from its segments. */
  path: (s: Record<string, string>) => string;
  segments: Record<string, string>;
  body?: Record<string, unknown>;
  write: Write;
}> = [
  {
    name: 'POST /services/{namespace}/{name}/releases',
    seed: 14001,
    method: 'post',
    path: s => `/services/${s.namespace}/${s.name}/releases`,
    segments: { namespace: 'default', name: 'checkout' },
    body: {
      environment: 'test',
      image: 'registry.example.com/shop/checkout:1.4.2',
      replicas: 3,
      resources: { cpu: '500m', memory: '512Mi' },
      env: [{ name: 'MODE', value: 'fast' }],
      message: 'Friday fix',
    },
    write: 'release',
  },
  {
    name: 'POST /releases/{id}/rollback',
    seed: 14002,
    method: 'post',
    path: s => `/releases/${s.id}/rollback`,
    segments: { id: ID },
    body: { message: 'Back to the last good one' },
    write: 'rollback',
  },
  {
    name: 'POST /releases/{id}/approve',
    seed: 14003,
    method: 'post',
    path: s => `/releases/${s.id}/approve`,
    segments: { id: ID },
    body: {},
    write: 'decide',
  },
  {
    name: 'POST /releases/{id}/reject',
    seed: 14004,
    method: 'post',
    path: s => `/releases/${s.id}/reject`,
    segments: { id: ID },
    body: { reason: 'Not on a Friday' },
    write: 'decide',
  },
  {
    name: 'POST /releases/{id}/cancel',
    seed: 14012,
    method: 'post',
    path: s => `/releases/${s.id}/cancel`,
    segments: { id: ID },
    body: { reason: 'Superseded by 1.4.3' },
    write: 'cancel',
  },
  {
    name: 'POST /services/{namespace}/{name}/environments/{environment}/adopt',
    seed: 14013,
    method: 'post',
    path: s =>
      `/services/${s.namespace}/${s.name}/environments/${s.environment}/adopt`,
    segments: { namespace: 'default', name: 'checkout', environment: 'test' },
    write: 'adopt',
  },
  {
    name: 'POST /services/{namespace}/{name}/environments/{environment}/scale',
    seed: 14005,
    method: 'post',
    path: s =>
      `/services/${s.namespace}/${s.name}/environments/${s.environment}/scale`,
    segments: { namespace: 'default', name: 'checkout', environment: 'test' },
    body: { replicas: 3 },
    write: 'scale',
  },
  {
    name: 'POST /services/{namespace}/{name}/environments/{environment}/restart',
    seed: 14006,
    method: 'post',
    path: s =>
      `/services/${s.namespace}/${s.name}/environments/${s.environment}/restart`,
    segments: { namespace: 'default', name: 'checkout', environment: 'test' },
    write: 'restart',
  },
  {
    name: 'PUT /services/{namespace}/{name}/environments/{environment}/autoscaling',
    seed: 14007,
    method: 'put',
    path: s =>
      `/services/${s.namespace}/${s.name}/environments/${s.environment}/autoscaling`,
    segments: { namespace: 'default', name: 'checkout', environment: 'test' },
    body: {
      minReplicas: 2,
      maxReplicas: 6,
      cpuUtilization: 60,
      memoryUtilization: 80,
    },
    write: 'setAutoscaling',
  },
  {
    name: 'DELETE /services/{namespace}/{name}/environments/{environment}/autoscaling',
    seed: 14008,
    method: 'delete',
    path: s =>
      `/services/${s.namespace}/${s.name}/environments/${s.environment}/autoscaling`,
    segments: { namespace: 'default', name: 'checkout', environment: 'test' },
    write: 'setAutoscaling',
  },
  {
    name: 'PUT …/instances/{cluster}/{pod}/traffic',
    seed: 14009,
    method: 'put',
    path: s =>
      `/services/${s.namespace}/${s.name}/environments/${s.environment}/instances/${s.cluster}/${s.pod}/traffic`,
    segments: {
      namespace: 'default',
      name: 'checkout',
      environment: 'test',
      cluster: 'test-a',
      pod: 'checkout-7d9c-x2x',
    },
    body: { inTraffic: false },
    write: 'setTraffic',
  },
  {
    name: 'POST …/instances/{cluster}/{pod}/restart',
    seed: 14010,
    method: 'post',
    path: s =>
      `/services/${s.namespace}/${s.name}/environments/${s.environment}/instances/${s.cluster}/${s.pod}/restart`,
    segments: {
      namespace: 'default',
      name: 'checkout',
      environment: 'test',
      cluster: 'test-a',
      pod: 'checkout-7d9c-x2x',
    },
    write: 'end',
  },
  {
    name: 'DELETE …/instances/{cluster}/{pod}',
    seed: 14011,
    method: 'delete',
    path: s =>
      `/services/${s.namespace}/${s.name}/environments/${s.environment}/instances/${s.cluster}/${s.pod}`,
    segments: {
      namespace: 'default',
      name: 'checkout',
      environment: 'test',
      cluster: 'test-a',
      pod: 'checkout-7d9c-x2x',
    },
    write: 'end',
  },
];

describe('the Deploy API under fuzzing', () => {
  let backend: Awaited<ReturnType<typeof startDeployRouterBackend>>;
  let f: Fakes;
  const token = mockCredentials.user.token('user:default/alice');

  beforeAll(async () => {
    f = fakes();
    backend = await startDeployRouterBackend(f);
  });

  afterAll(() => backend.stop());

  /** Sent with fetch: its kept-alive connections let 1,000 requests run fast. */
  const send = async (method: string, url: string, body: Body) => {
    const { port } = backend.server.address() as AddressInfo;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
    };
    let payload: string | undefined;
    if (body.kind === 'json') {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body.value);
    } else if (body.kind === 'raw') {
      headers['Content-Type'] = body.type;
      payload = body.text;
    }
    const res = await fetch(`http://127.0.0.1:${port}/api/k2-deploy${url}`, {
      method: method.toUpperCase(),
      headers,
      body: payload,
    });
    const text = await res.text();
    return { status: res.status, text };
  };

  const calls = () =>
    Object.entries(writes(f)).flatMap(([name, fn]) =>
      fn.mock.calls.map(() => name),
    );

  it.each(endpoints.map(e => [e.name, e.seed, e] as const))(
    `%s: ${RUNS} generated requests (seed %d), never a 5xx, nothing written on a 4xx`,
    async (_, seed, endpoint) => {
      const statuses: Record<string, number> = {};
      let cases = 0;
      const segments = fc.record(
        Object.fromEntries(
          Object.entries(endpoint.segments).map(([k, v]) => [k, segment(v)]),
        ),
      );
      const property = fc.asyncProperty(
        segments,
        queries,
        bodies(endpoint.body),
        async (s, query, body) => {
          cases++;
          jest.clearAllMocks();
          const url = `${endpoint.path(s)}${query ? `?${query}` : ''}`;
          const res = await send(endpoint.method, url, body);
          const klass = `${Math.floor(res.status / 100)}xx`;
          statuses[klass] = (statuses[klass] ?? 0) + 1;
          if (res.status >= 500) {
            throw new Error(`${res.status} ${res.text.slice(0, 500)}`);
          }
          // A 4xx writes nothing; reaching the service is the only way to a 2xx.
          expect(calls()).toEqual(res.status >= 400 ? [] : [endpoint.write]);
        },
      );
      await fc.assert(property, { seed, numRuns: RUNS });
      expect(cases).toBe(RUNS);
      // The generators reach both sides of the contract, often.
      expect(statuses['2xx']).toBeGreaterThan(RUNS * 0.02);
      expect(statuses['4xx']).toBeGreaterThan(RUNS * 0.3);
    },
    120_000,
  );
});

/**
 * Issue 14 item 10: a paging cursor that no page gave is the caller's mistake, with an
 * environment or without: 400 naming `before`, never a 500 nor a silent page. Here the
 * real stores on SQLite answer the history routes.
 */
describe('paging cursors of the histories, on SQLite', () => {
  let backend: Awaited<ReturnType<typeof startDeployRouterBackend>>;
  const databases = createK2TestDatabases();

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    const database = { database: { getClient: async () => knex } };
    const store = await DatabaseReleaseStore.create(database);
    const instances = await DatabaseInstanceStore.create(database);
    for (let n = 1; n <= 3; n++) {
      await store.create({
        service: 'component:default/checkout',
        environment: 'test',
        namespace: 'shop',
        kind: 'release',
        status: 'succeeded',
        spec: release.spec,
        createdBy: 'user:default/alice',
      } as any);
    }
    await instances.record(
      [1, 2, 3].map(n => ({
        id: `test-a/uid-${n}/app/0`,
        serviceId: 'checkout',
        environment: 'test',
        cluster: 'test-a',
        namespace: 'shop',
        pod: `checkout-abc-${n}`,
        container: 'app',
        run: 0,
        endedAt: new Date(Date.UTC(2026, 10, 20, 11, n)).toISOString(),
        end: 'replaced' as const,
        message: 'Replaced',
        events: [],
      })),
    );
    const f = {
      ...fakes(),
      store,
      // The service's own step (which targets a reader may see) stands aside: the
      // service's test environment, straight to the store.
      instanceHistory: {
        list: async (
          ref: { name: string },
          q: { environment?: string; limit: number; before?: string },
        ) =>
          instances.list({
            serviceId: ref.name,
            targets: [
              { environment: q.environment ?? 'test', namespace: 'shop' },
            ],
            limit: q.limit,
            before: q.before,
          }),
      },
    };
    backend = await startDeployRouterBackend(f);
  });

  afterAll(() => backend.stop());

  const get = async (path: string) => {
    const { port } = backend.server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/api/k2-deploy${path}`, {
      headers: {
        Authorization: `Bearer ${mockCredentials.user.token(
          'user:default/alice',
        )}`,
      },
    });
    return { status: res.status, body: await res.json() };
  };

  const histories = [
    '/services/default/checkout/releases',
    '/services/default/checkout/instances/history',
  ];

  it.each(
    histories.flatMap(path =>
      [
        'before=abc',
        'environment=test&before=abc',
        'before=0',
        'environment=test&before=0',
        'environment=test&before=1.5',
        'before=2026-11-20T11:02:00.000Z',
        'before=2026-13-45T11:02:00.000Z|x',
        'before=abc|def',
        'before=|',
      ].map(query => [`${path}?${query}`]),
    ),
  )('GET %s: 400 naming before', async url => {
    const res = await get(url);
    expect({ status: res.status, message: res.body.error?.message }).toEqual({
      status: 400,
      message: expect.stringMatching(/before/),
    });
  });

  it.each(
    histories.flatMap(path => [
      [path, ''],
      [path, 'environment=test&'],
    ]),
  )(
    'GET %s?%slimit=2: the next page follows the cursor given',
    async (path, query) => {
      const first = await get(`${path}?${query}limit=2`);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      const second = await get(
        `${path}?${query}limit=2&before=${encodeURIComponent(
          first.body.nextCursor,
        )}`,
      );
      expect(second.status).toBe(200);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.nextCursor).toBeUndefined();
    },
  );
});
