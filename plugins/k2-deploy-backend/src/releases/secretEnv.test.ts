import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { K2Release } from '@internal/plugin-k2-common';
import {
  api,
  Kubectl,
  kubectlAvailable,
  poll,
} from '@internal/sandbox-cluster/testUtils';
import fs from 'fs';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  CAROL,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

/** Every line any plugin logs, audit events included (the auditor logs through it). */
const logLines: string[] = [];

function recordingLogger(meta: Record<string, unknown> = {}): LoggerService {
  const record = (level: string) => (message: string, extra?: unknown) => {
    logLines.push(
      `${level} ${message} ${JSON.stringify({ ...meta, extra }, (_k, v) =>
        v instanceof Error ? `${v.name}: ${v.message} ${v.stack}` : v,
      )}`,
    );
  };
  return {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    child: more => recordingLogger({ ...meta, ...more }),
  };
}

// The shared test backend with a root logger that keeps every line, so the test can
// search the backend's log for the secret.
jest.mock('@backstage/backend-test-utils', () => {
  const actual = jest.requireActual('@backstage/backend-test-utils');
  return {
    ...actual,
    startTestBackend: (options: { features: unknown[] }) =>
      actual.startTestBackend({
        ...options,
        features: [
          ...options.features,
          createServiceFactory({
            service: coreServices.rootLogger,
            deps: {},
            factory: () => recordingLogger() as any,
          }),
        ],
      }),
  };
});

const IMAGE = 'registry.k2.local/shop/checkout';
const SECRET = 'pa55-Wörd!';
const PROD_SECRET = 'prod-only-5ecret';
const MASK = '••••••';
/** Runs where kubectl is installed; `kubectlAvailable` fails under K2_REQUIRE_KUBECTL. */
const itWithKubectl = kubectlAvailable() ? it : it.skip;
const service = serviceEntity('checkout', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
  'k2.io/image': IMAGE,
});

describe('secret environment variables, on sandbox clusters', () => {
  const bed = useK2DeployTestBed({
    clusters: ['test', 'prod-a', 'prod-b'],
    databaseFile: true,
    backend: {
      entities: [service],
      k2: {
        environments: [
          testEnvironment('test'),
          testEnvironment('prod', {
            clusters: [
              { name: 'prod-a', weight: 50 },
              { name: 'prod-b', weight: 50 },
            ],
            replicas: 2,
            production: true,
          }),
        ],
      },
    },
  });
  /** The text of every API response of the scenario. */
  const responses: string[] = [];

  const cluster = (name: string) => bed.cluster(name);

  async function call(
    method: 'get' | 'post',
    url: string,
    user: string,
    body?: object,
  ) {
    const req = request(bed.backend.server)[method](url).set(as(user));
    const res = await (body ? req.send(body) : req);
    responses.push(res.text);
    return res;
  }

  /** The status, with the body in the failure message when it is not the one expected. */
  const expectStatus = (res: request.Response, status: number) =>
    expect({ status: res.status, body: res.body }).toMatchObject({ status });

  const release = (body: object, user = ALICE) =>
    call(
      'post',
      '/api/k2-deploy/services/default/checkout/releases',
      user,
      body,
    );

  async function finished(id: string): Promise<K2Release> {
    return poll(
      `release ${id} finished`,
      async () => {
        const r = (await call('get', `/api/k2-deploy/releases/${id}`, BOB))
          .body;
        return ['succeeded', 'failed', 'timed-out', 'rejected'].includes(
          r.status,
        )
          ? r
          : undefined;
      },
      60_000,
    );
  }

  /** A Secret as the API server holds it, its data decoded. */
  async function secretIn(name: string, secret = 'checkout-k2-env') {
    const res = await api(cluster(name)).get(
      `/api/v1/namespaces/shop/secrets/${secret}`,
    );
    if (res.status === 404) return undefined;
    return {
      labels: res.body.metadata.labels,
      data: Object.fromEntries(
        Object.entries(res.body.data ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v as string, 'base64').toString('utf8'),
        ]),
      ),
    };
  }

  async function containerEnv(name: string) {
    const d = await api(cluster(name)).get(
      '/apis/apps/v1/namespaces/shop/deployments/checkout',
    );
    return d.body.spec.template.spec.containers[0].env;
  }

  it('keeps a secret value in a Kubernetes Secret only, read by secretKeyRef; keeps it on re-release; only owners replace it', async () => {
    const first = await release({
      environment: 'test',
      image: '1.0.0',
      env: [
        { name: 'MODE', value: 'plain' },
        { name: 'DB_PASSWORD', value: SECRET, secret: true },
      ],
    });
    expectStatus(first, 201);
    expect(first.body.spec.env).toEqual([
      { name: 'MODE', value: 'plain' },
      {
        name: 'DB_PASSWORD',
        secret: true,
        value: MASK,
        version: expect.any(String),
      },
    ]);
    const version = first.body.spec.env[1].version;
    expect((await finished(first.body.id)).status).toBe('succeeded');

    // What the API server holds: the container reads the Secret, which holds the value.
    expect(await containerEnv('test')).toEqual(
      expect.arrayContaining([
        { name: 'MODE', value: 'plain' },
        {
          name: 'DB_PASSWORD',
          valueFrom: {
            secretKeyRef: { name: 'checkout-k2-env', key: 'DB_PASSWORD' },
          },
        },
      ]),
    );
    const stored = await secretIn('test');
    expect(stored?.data).toEqual({ DB_PASSWORD: SECRET });
    expect(stored?.labels).toMatchObject({
      'k2.io/service': 'checkout',
      'k2.io/environment': 'test',
      'app.kubernetes.io/managed-by': 'k2',
    });

    // Re-releasing names the secret without its value: the stored one is kept.
    const again = await release({
      environment: 'test',
      image: '1.1.0',
      env: [{ name: 'DB_PASSWORD', secret: true }],
    });
    expectStatus(again, 201);
    expect(again.body.spec.env).toEqual([
      { name: 'DB_PASSWORD', secret: true, value: MASK, version },
    ]);
    expect((await finished(again.body.id)).status).toBe('succeeded');
    expect((await secretIn('test'))?.data).toEqual({ DB_PASSWORD: SECRET });

    // Another team cannot replace it.
    const bob = await release(
      {
        environment: 'test',
        image: '1.1.0',
        env: [{ name: 'DB_PASSWORD', value: 'bobs-value', secret: true }],
      },
      BOB,
    );
    expectStatus(bob, 403);
    expect((await secretIn('test'))?.data).toEqual({ DB_PASSWORD: SECRET });

    // A secret to keep must exist; a plain variable needs its value.
    const unknown = await release({
      environment: 'test',
      image: '1.1.0',
      env: [{ name: 'API_KEY', secret: true }],
    });
    expectStatus(unknown, 400);
    expect(unknown.body.error.message).toMatch(
      /'env\[0\]': API_KEY has no stored value in cluster 'test'; give its value/,
    );
    const noValue = await release({
      environment: 'test',
      image: '1.1.0',
      env: [{ name: 'MODE' }],
    });
    expectStatus(noValue, 400);
    expect(noValue.body.error.message).toMatch(/'env\[0\].value' is required/);
  });

  it('changes nothing a pod reads before a production release is approved, and everything after', async () => {
    const res = await release({
      environment: 'prod',
      image: '1.0.0',
      env: [{ name: 'DB_PASSWORD', value: PROD_SECRET, secret: true }],
    });
    expectStatus(res, 201);
    expect(res.body.status).toBe('pending-approval');
    for (const name of ['prod-a', 'prod-b']) {
      // Staged where no pod reads it; the Secret the containers read is untouched.
      expect(await secretIn(name)).toBeUndefined();
      expect((await secretIn(name, 'checkout-k2-env-pending'))?.data).toEqual({
        DB_PASSWORD: PROD_SECRET,
      });
    }
    const approved = await call(
      'post',
      `/api/k2-deploy/releases/${res.body.id}/approve`,
      CAROL,
      {},
    );
    expectStatus(approved, 200);
    expect((await finished(res.body.id)).status).toBe('succeeded');
    for (const name of ['prod-a', 'prod-b']) {
      expect((await secretIn(name))?.data).toEqual({
        DB_PASSWORD: PROD_SECRET,
      });
      expect(await secretIn(name, 'checkout-k2-env-pending')).toBeUndefined();
      expect(await containerEnv(name)).toContainEqual({
        name: 'DB_PASSWORD',
        valueFrom: {
          secretKeyRef: { name: 'checkout-k2-env', key: 'DB_PASSWORD' },
        },
      });
    }
    // The test environment's Secret is its own.
    expect((await secretIn('test'))?.data).toEqual({ DB_PASSWORD: SECRET });
  });

  // The acceptance check as an operator makes it, with the real kubectl over HTTPS.
  itWithKubectl(
    'shows in kubectl the secret variable as a secretKeyRef, and its value only in the Secret',
    async () => {
      const kubectl = new Kubectl(bed.clusters);
      try {
        for (const [name, value] of [
          ['test', SECRET],
          ['prod-a', PROD_SECRET],
          ['prod-b', PROD_SECRET],
        ]) {
          const env = await kubectl.run(
            name,
            '--namespace',
            'shop',
            'set',
            'env',
            'deployment/checkout',
            '--list',
          );
          expect(env).toMatchObject({ code: 0, stderr: '' });
          expect(env.stdout).toContain(
            '# DB_PASSWORD from secret checkout-k2-env, key DB_PASSWORD',
          );
          expect(env.stdout).toContain('K2_ENVIRONMENT=');
          expect(env.stdout).not.toContain(value);

          const spec = await kubectl.run(
            name,
            '--namespace',
            'shop',
            'get',
            'deployment',
            'checkout',
            '--output',
            'yaml',
          );
          expect(spec.code).toBe(0);
          expect(spec.stdout).toMatch(
            /- name: DB_PASSWORD\n\s+valueFrom:\n\s+secretKeyRef:\n\s+key: DB_PASSWORD\n\s+name: checkout-k2-env\n/,
          );
          expect(spec.stdout).not.toContain(value);

          const stored = await kubectl.run(
            name,
            '--namespace',
            'shop',
            'get',
            'secret',
            'checkout-k2-env',
            '--output',
            'jsonpath={.data.DB_PASSWORD}',
          );
          expect(stored.code).toBe(0);
          expect(Buffer.from(stored.stdout, 'base64').toString('utf8')).toBe(
            value,
          );
        }
        // The copy staged for the production approval is gone once it was approved.
        const staged = await kubectl.run(
          'prod-a',
          '--namespace',
          'shop',
          'get',
          'secret',
          'checkout-k2-env-pending',
        );
        expect(staged.code).not.toBe(0);
        expect(staged.stderr).toContain(
          'secrets "checkout-k2-env-pending" not found',
        );
      } finally {
        kubectl.dispose();
      }
    },
  );

  it('leaves no secret value in the database, any response or the log', async () => {
    for (const environment of ['test', 'prod']) {
      const history = await call(
        'get',
        `/api/k2-deploy/services/default/checkout/releases?environment=${environment}`,
        BOB,
      );
      expectStatus(history, 200);
      for (const r of history.body.items) {
        await call('get', `/api/k2-deploy/releases/${r.id}`, BOB);
      }
    }
    const activity = await call(
      'get',
      '/api/k2/services/default/checkout/activity?limit=100',
      BOB,
    );
    expectStatus(activity, 200);
    expect(activity.body.items.length).toBeGreaterThan(3);

    const rows = await bed.knex('k2_releases').select();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const file = fs.readFileSync(bed.databaseFile);
    // The search finds what is there: the plain variable's value.
    expect(JSON.stringify(rows)).toContain('plain');
    expect(file.includes('plain')).toBe(true);
    expect(responses.join('\n')).toContain(MASK);
    expect(logLines.join('\n')).toMatch(/release-create/);

    for (const value of [SECRET, PROD_SECRET]) {
      const base64 = Buffer.from(value).toString('base64');
      for (const form of [value, base64]) {
        expect(JSON.stringify(rows)).not.toContain(form);
        expect(file.includes(form)).toBe(false);
        expect(responses.join('\n')).not.toContain(form);
        expect(logLines.join('\n')).not.toContain(form);
      }
    }
    expect(logLines.join('\n')).not.toContain('bobs-value');
  });
});
