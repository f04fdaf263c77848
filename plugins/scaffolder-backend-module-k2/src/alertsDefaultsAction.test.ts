import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// The action is tested against the real Alerts backend it calls (promtool checks
// every group it compiles).
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import k2AlertsPlugin from '@internal/plugin-k2-alerts-backend';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the k2 core plugin beside the Alerts backend, as the app runs them
import {
  ALICE,
  BOB,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import fs from 'fs';
import knexFactory, { Knex } from 'knex';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { PassThrough } from 'stream';
import { createK2AlertsDefaultsAction } from './alertsDefaultsAction';
import { freePort } from '@internal/sandbox-cluster';

jest.setTimeout(90_000);

const checkout = serviceEntity('checkout', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
});

interface Rule {
  id: string;
  environment: string;
  name: string;
  templateId: string;
  parameters: Record<string, unknown>;
  severity: string;
  for: string;
  createdBy: string;
}

describe('k2:alerts:defaults', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let dir: string;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  let base: string;

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['test-token'],
      timeScale: 0.1,
    });
    await cluster.listen(0);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-alerts-defaults-'));
    // Rule files are written here; no Prometheus answers the reload, so delivery
    // is left to the retry task, which does not concern the step.
    const prometheus = `http://127.0.0.1:${await freePort()}`;
    backend = await startK2PluginTestBackend({
      plugin: k2AlertsPlugin,
      pluginId: 'k2-alerts',
      entities: [checkout],
      clusters: [cluster],
      knex,
      k2: {
        environments: [
          { name: 'test', clusters: [{ name: 'test' }] },
          { name: 'prod', production: true, clusters: [{ name: 'test' }] },
        ],
        alerts: {
          webhook: { token: 'unused' },
          environments: {
            test: {
              prometheus: { url: prometheus },
              delivery: { type: 'files', directory: path.join(dir, 'test') },
            },
            prod: {
              prometheus: { url: prometheus },
              delivery: { type: 'files', directory: path.join(dir, 'prod') },
            },
          },
        },
      },
    });
    base = `http://localhost:${(backend.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the action as `user`; resolves to its outputs and log lines. */
  async function run(input: object, user = ALICE, pluginId?: string) {
    const action = createK2AlertsDefaultsAction({
      auth: mockServices.auth(),
      discovery: {
        getBaseUrl: async id => `${base}/api/${pluginId ?? id}`,
        getExternalBaseUrl: async id => `${base}/api/${pluginId ?? id}`,
      },
      catalog: catalogServiceMock({ entities: [checkout] }),
    });
    const output: Record<string, string[]> = {};
    const logs: string[] = [];
    await action.handler({
      input,
      output: (key: string, value: string[]) => {
        output[key] = value;
      },
      logger: { info: (m: string) => logs.push(m) },
      logStream: new PassThrough(),
      getInitiatorCredentials: async () => mockCredentials.user(user),
      workspacePath: '/tmp',
      checkpoint: async ({ fn }: { fn: () => unknown }) => fn(),
      createTemporaryDirectory: async () => '/tmp',
    } as any);
    return { output, logs };
  }

  /** The service's rules as the Alerts API lists them. */
  async function rules(): Promise<Rule[]> {
    const response = await fetch(
      `${base}/api/k2-alerts/services/default/checkout/rules`,
      {
        headers: {
          Authorization: `Bearer ${mockCredentials.user.token(ALICE)}`,
        },
      },
    );
    expect(response.status).toBe(200);
    return (await response.json()).items;
  }

  it('creates the default rules in each of the service’s environments as the template runner', async () => {
    const { output, logs } = await run({
      entityRef: 'component:default/checkout',
    });
    expect(output.created).toHaveLength(8);
    expect(output.kept).toEqual([]);

    const stored = await rules();
    expect(stored.map(r => r.id).sort()).toEqual([...output.created].sort());
    for (const environment of ['test', 'prod']) {
      const inEnvironment = stored.filter(r => r.environment === environment);
      expect(
        inEnvironment
          .map(({ name, templateId, parameters, severity, for: f }) => ({
            name,
            templateId,
            parameters,
            severity,
            for: f,
          }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      ).toEqual([
        {
          name: 'InstancesUnavailable',
          templateId: 'instances-unavailable',
          parameters: { missing: 1 },
          severity: 'critical',
          for: '5m',
        },
        {
          name: 'MemoryUsage',
          templateId: 'memory-usage',
          parameters: { threshold: 90 },
          severity: 'warning',
          for: '5m',
        },
        {
          name: 'OomKilled',
          templateId: 'oom-killed',
          parameters: { window: '10m' },
          severity: 'critical',
          for: '0s',
        },
        {
          name: 'Restarts',
          templateId: 'restarts',
          parameters: { count: 3, window: '15m' },
          severity: 'warning',
          for: '0s',
        },
      ]);
    }
    // Each rule is alice’s, created through the API she would use on the Alerts tab.
    expect(new Set(stored.map(r => r.createdBy))).toEqual(new Set([ALICE]));
    expect(logs).toContain(
      'test: created MemoryUsage (memory-usage, warning, for 5m); delivery failed',
    );
  });

  it('keeps the rules the service already has on a second run, creating none twice', async () => {
    const before = await rules();
    const { output, logs } = await run({
      entityRef: 'component:default/checkout',
    });
    expect(output.created).toEqual([]);
    expect([...output.kept].sort()).toEqual(before.map(r => r.id).sort());
    expect(await rules()).toEqual(before);
    expect(logs).toContain(
      'prod: kept OomKilled (oom-killed), the rule component:default/checkout already has',
    );
  });

  it('creates named rules with their parameters in the environments the step names', async () => {
    const { output } = await run({
      entityRef: 'component:default/checkout',
      environments: ['test'],
      rules: [
        {
          templateId: 'cpu-usage',
          parameters: { threshold: 70 },
          severity: 'critical',
        },
        { templateId: 'memory-usage', parameters: { threshold: 50 } },
      ],
    });
    expect(output.created).toHaveLength(1);
    expect(output.kept).toHaveLength(1);
    const cpu = (await rules()).find(r => r.id === output.created[0])!;
    expect(cpu).toMatchObject({
      environment: 'test',
      name: 'CpuUsage',
      templateId: 'cpu-usage',
      parameters: { threshold: 70 },
      severity: 'critical',
      for: '10m',
    });
    // The kept rule is the one from the defaults, unchanged.
    const memory = (await rules()).find(r => r.id === output.kept[0])!;
    expect(memory).toMatchObject({
      environment: 'test',
      name: 'MemoryUsage',
      parameters: { threshold: 90 },
    });
  });

  it('fails the step with the backend’s refusal of a user of another team, creating nothing', async () => {
    const before = await rules();
    const failure = run(
      {
        entityRef: 'component:default/checkout',
        environments: ['test'],
        rules: [{ templateId: 'readiness-failing' }],
      },
      BOB,
    );
    await expect(failure).rejects.toThrow(
      'You may not manage the alert rules of component:default/checkout',
    );
    await expect(failure).rejects.toMatchObject({ statusCode: 403 });
    expect(await rules()).toEqual(before);
  });

  it('fails the step with the backend’s message naming an unknown template, creating nothing', async () => {
    const before = await rules();
    const failure = run({
      entityRef: 'component:default/checkout',
      environments: ['test'],
      rules: [{ templateId: 'no-such-template' }],
    });
    await expect(failure).rejects.toThrow(
      "No rule template 'no-such-template'",
    );
    await expect(failure).rejects.toMatchObject({ statusCode: 400 });
    expect(await rules()).toEqual(before);
  });

  it('logs and creates nothing where the Alerts plugin is not installed, but fails on its own 404', async () => {
    const before = await rules();
    // The same backend, asked under a plugin id nothing serves: as a portal without
    // the Alerts plugin answers.
    const skipped = await run(
      { entityRef: 'component:default/checkout' },
      ALICE,
      'k2-alerts-not-installed',
    );
    expect(skipped.output).toEqual({ created: [], kept: [] });
    expect(skipped.logs).toEqual([
      'The Alerts plugin is not installed in this portal (its API answered 404); no alert rules were created',
    ]);
    expect(await rules()).toEqual(before);

    await expect(
      run({
        entityRef: 'component:default/nobody-here',
        environments: ['test'],
      }),
    ).rejects.toMatchObject({ statusCode: 404 });
  });
});
