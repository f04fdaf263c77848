import { mockCredentials } from '@backstage/backend-test-utils';
import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import fc from 'fast-check';
import { Knex } from 'knex';
import { AddressInfo } from 'net';
import { startK2TestBackend } from './__testUtils__/testBackend';

/**
 * `POST /activity` fuzzed against the real k2 plugin on SQLite: generated bodies (any
 * JSON, raw text, and a valid entry with one field mutated), query strings, path
 * suffixes and callers. Never a 5xx; a refusal adds no row; a 201 adds exactly the
 * entry sent. {@link RUNS} cases from the seed in the test's name; a failure prints
 * the seed and path to replay it with `fc.assert(prop, { seed, path })`.
 */

const RUNS = 1000;
const SEED = 14101;

const databases = createK2TestDatabases();

const valid = {
  service: 'component:default/payment-gateway',
  environment: 'test',
  actor: 'user:default/alice',
  action: 'release-create',
  summary: 'Release #3: registry.example.com/pay/gw:1.4.2 to test',
  result: 'succeeded',
  releaseId: '0f0e0d0c-0b0a-4000-8000-000000000001',
};

/** Percent-encodes anything, lone surrogates included (they become U+FFFD). */
const encode = (s: string) =>
  encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));

const nastyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\n',
    "'; DROP TABLE k2_activity; --",
    '__proto__',
    '\uD800',
    '\u202Eevil',
    'component:default/x\u0000',
    'Component:default/x',
    `component:default/${'a'.repeat(300)}`,
    '💥'.repeat(1500),
    'x'.repeat(2001),
  ),
  // Past every maxLength, and past the 64 kB body limit.
  fc.constantFrom(2_001, 70_000).map(n => 'x'.repeat(n)),
);

const nastyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, 2 ** 53 + 2, 1e21, 1e308, -1e308),
);

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 500 }).map(depth => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  }),
);

const keys = Object.keys(valid) as Array<keyof typeof valid>;

/** A valid entry with one field replaced, removed, or one field added. */
const nearValid = fc.oneof(
  fc
    .tuple(fc.constantFrom(...keys), junkValue)
    .map(([k, v]) => ({ ...valid, [k]: v })),
  fc.constantFrom(...keys).map(k => {
    const { [k]: _, ...rest } = valid;
    return rest;
  }),
  // A computed key makes even `__proto__` an own field of the body.
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom('__proto__', 'constructor', 'id', 'createdAt'),
        fc.string({ maxLength: 20 }),
      ),
      junkValue,
    )
    .map(([k, v]) => ({ ...valid, [k]: v })),
);

type Body =
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; text: string; type: string };

const bodies: fc.Arbitrary<Body> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Body>({ kind: 'json', value: valid }) },
  {
    weight: 6,
    arbitrary: nearValid.map((value): Body => ({ kind: 'json', value })),
  },
  {
    weight: 3,
    arbitrary: junkValue.map((value): Body => ({ kind: 'json', value })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.constantFrom(
            '{',
            '[1,]',
            '{"summary": 1e400}',
            '{"__proto__": {"admin": true}}',
            'null',
          ),
          fc
            .integer({ min: 1, max: 30_000 })
            .map(n => '['.repeat(n) + ']'.repeat(n)),
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
        ),
      )
      .map(([text, type]): Body => ({ kind: 'raw', text, type })),
  },
);

const queries = fc.oneof(
  { weight: 8, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('limit', 'before', 'service', 'summary[$gt]'),
            fc.string({ maxLength: 10 }),
          ),
          nastyString.map(s => s.slice(0, 2000)),
        ),
        { minLength: 1, maxLength: 3 },
      )
      .map(pairs =>
        pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&'),
      ),
  },
);

/** Mostly `/activity` itself, else with a generated segment after it. */
const paths = fc.oneof(
  { weight: 9, arbitrary: fc.constant('/activity') },
  {
    weight: 1,
    arbitrary: fc
      .oneof(nastyString, fc.webSegment())
      .map(s => `/activity/${encode(s.slice(0, 500))}`),
  },
);

/** Mostly a K2 plugin (the only writers), else someone who may not write. */
const callers = fc.oneof(
  { weight: 8, arbitrary: fc.constant('plugin:k2-deploy') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'plugin:catalog',
      'plugin:k2x',
      'plugin:scaffolder',
      'user:default/alice',
      'none',
    ),
  },
);

const authorization = (caller: string): Record<string, string> => {
  if (caller === 'none') return {};
  if (caller.startsWith('user:')) {
    return { Authorization: mockCredentials.user.header(caller) };
  }
  return {
    Authorization: mockCredentials.service.header({
      onBehalfOf: mockCredentials.service(caller),
      targetPluginId: 'k2',
    }),
  };
};

describe('the k2 core API under fuzzing, on SQLite', () => {
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2TestBackend>>;

  beforeAll(async () => {
    knex = await databases.init('SQLITE_3');
    backend = await startK2TestBackend({ knex });
  });

  afterAll(() => backend.stop());

  const rows = async () => {
    const [{ n }] = await knex('k2_activity').count({ n: '*' });
    return Number(n);
  };

  const send = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Body,
  ) => {
    const { port } = backend.server.address() as AddressInfo;
    const all = { ...headers };
    let payload: string | undefined;
    if (body?.kind === 'json') {
      all['Content-Type'] = 'application/json';
      payload = JSON.stringify(body.value);
    } else if (body?.kind === 'raw') {
      all['Content-Type'] = body.type;
      payload = body.text;
    }
    const res = await fetch(`http://127.0.0.1:${port}/api/k2${path}`, {
      method,
      headers: all,
      body: payload,
    });
    return { status: res.status, text: await res.text() };
  };

  it(`POST /activity: ${RUNS} generated requests (seed ${SEED}), never a 5xx, no row added on a refusal`, async () => {
    const statuses: Record<string, number> = {};
    let cases = 0;
    const property = fc.asyncProperty(
      paths,
      queries,
      callers,
      bodies,
      async (path, query, caller, body) => {
        cases++;
        const before = await rows();
        const res = await send(
          'POST',
          `${path}${query ? `?${query}` : ''}`,
          authorization(caller),
          body,
        );
        const klass = `${Math.floor(res.status / 100)}xx`;
        statuses[klass] = (statuses[klass] ?? 0) + 1;
        if (res.status >= 500) {
          throw new Error(`${res.status} ${res.text.slice(0, 500)}`);
        }
        // A refusal adds no row; only a K2 plugin's entry inside the contract is
        // recorded, as sent.
        const created = res.status === 201;
        const last = created
          ? await knex('k2_activity').orderBy('id', 'desc').first()
          : undefined;
        expect({
          refusedOrCreated: created || res.status >= 400,
          added: (await rows()) - before,
          caller: created ? caller : undefined,
          entry: last && {
            service: last.service_ref,
            environment: last.environment ?? undefined,
            actor: last.actor,
            action: last.action,
            summary: last.summary,
            result: last.result,
            releaseId: last.release_id ?? undefined,
          },
        }).toEqual({
          refusedOrCreated: true,
          added: created ? 1 : 0,
          caller: created ? 'plugin:k2-deploy' : undefined,
          entry: created
            ? (body as { value: Record<string, unknown> }).value
            : undefined,
        });
      },
    );
    await fc.assert(property, { seed: SEED, numRuns: RUNS });
    expect(cases).toBe(RUNS);
    expect(statuses['2xx']).toBeGreaterThan(RUNS * 0.05);
    expect(statuses['4xx']).toBeGreaterThan(RUNS * 0.3);
  }, 120_000);

  // Issue 14 item 10: a malformed paging cursor is the caller's mistake, never a 500
  // nor a silent first page.
  it.each([
    ['before=abc', /before/],
    ['before=abc&environment=test', /before|environment/],
    ['before=0', /before/],
    ['before=1e3', /before/],
    ['before=99999999999999999999', /before/],
  ])('GET …/activity?%s: 400 naming the parameter', async (query, names) => {
    const res = await send(
      'GET',
      `/services/default/payment-gateway/activity?${query}`,
      { Authorization: mockCredentials.user.header('user:default/alice') },
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.message).toMatch(names);
  });
});
