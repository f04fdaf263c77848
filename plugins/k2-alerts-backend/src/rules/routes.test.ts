// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the Alerts plugin, as the app does
import {
  ALICE,
  as,
  BOB,
  DAVE,
  OTHER_TEAM,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import YAML from 'yaml';
import {
  describeWithMonitoring,
  MonitoringStack,
  startMonitoringStack,
} from '../__testUtils__/monitoring';
import { k2AlertsPlugin } from '../plugin';
import { PrometheusClient } from '../prometheus/PrometheusClient';
import { freePort } from '@internal/sandbox-cluster';

const MI = 2 ** 20;
const API = '/api/k2-alerts';
const RULES = `${API}/services/default/basket/rules`;

/** Runs in test and prod; K2 also knows a staging it does not run in. */
const basket = serviceEntity('basket', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
});
const ledger = serviceEntity(
  'ledger',
  { 'k2.io/environments': 'test', 'k2.io/namespace': 'finance' },
  { owner: OTHER_TEAM },
);

const memoryRule = {
  environment: 'test',
  name: 'BasketMemory',
  templateId: 'memory-usage',
  parameters: { threshold: 80 },
};

describeWithMonitoring(
  'alert rules through the API, delivered to a real Prometheus',
  () => {
    jest.setTimeout(180_000);
    let test: SandboxCluster;
    let prod: SandboxCluster;
    let stack: MonitoringStack;
    let knex: Knex;
    let dir: string;
    let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
    let prometheus: PrometheusClient;
    /** Where prod's Prometheus is configured: nothing listens until a test says so. */
    let prodPort: number;
    let proxy: net.Server | undefined;
    const server = () => request(backend.server);
    const ruleFile = () => path.join(stack.rulesDir, 'k2-shop-basket.yml');
    const groupLoaded = async () =>
      (await prometheus.ruleGroups()).find(g => g.name === 'k2-shop-basket');

    beforeAll(async () => {
      test = new SandboxCluster({
        name: 'test-a',
        tokens: ['test-a-token'],
        timeScale: 0.05,
      });
      prod = new SandboxCluster({
        name: 'prod-a',
        tokens: ['prod-a-token'],
        timeScale: 0.05,
      });
      await Promise.all([test.listen(0), prod.listen(0)]);
      const k8s = api(test);
      await k8s.post('/api/v1/namespaces', { metadata: { name: 'shop' } });
      await k8s.post('/apis/apps/v1/namespaces/shop/deployments', {
        metadata: { name: 'basket' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'basket' } },
          template: {
            metadata: { labels: { app: 'basket' } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'registry.northwind.example/shop/basket:1.0.0',
                  resources: { limits: { cpu: '1', memory: '1Gi' } },
                },
              ],
            },
          },
        },
      });
      test.usage.steer('shop', 'basket', { memory: 512 * MI });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-alert-rules-'));
      stack = await startMonitoringStack({
        sandboxTargets: [
          { cluster: 'test-a', url: test.url, token: 'test-a-token' },
        ],
        webhookUrl: 'http://127.0.0.1:9/unused',
        token: 'unused',
        rulesDir: path.join(dir, 'rules', 'test'),
      });
      prometheus = new PrometheusClient(stack.prometheusUrl);
      prodPort = await freePort();
      knex = knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      });
      backend = await startK2PluginTestBackend({
        plugin: k2AlertsPlugin,
        pluginId: 'k2-alerts',
        entities: [basket, ledger],
        clusters: [test, prod],
        knex,
        // The real scheduler, so the delivery retry task runs as in production.
        features: [schedulerServiceFactory],
        k2: {
          environments: [
            { name: 'test', clusters: [{ name: 'test-a' }] },
            { name: 'prod', production: true, clusters: [{ name: 'prod-a' }] },
            { name: 'staging', clusters: [{ name: 'test-a' }] },
          ],
          alerts: {
            webhook: { token: 'unused' },
            environments: {
              test: {
                prometheus: { url: stack.prometheusUrl },
                delivery: {
                  type: 'files',
                  directory: stack.rulesDir,
                  probeDirectory: stack.probesDir,
                },
              },
              // Prometheus is down until a test puts a proxy to the real one here.
              prod: {
                prometheus: { url: `http://127.0.0.1:${prodPort}` },
                delivery: {
                  type: 'files',
                  directory: path.join(dir, 'rules', 'prod'),
                },
              },
            },
          },
        },
      });
    });

    afterAll(async () => {
      await backend?.stop();
      await new Promise(resolve => (proxy ? proxy.close(resolve) : resolve(0)));
      await knex?.destroy();
      await stack?.stop();
      await Promise.all([test?.stop(), prod?.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('lists the built-in templates to everyone signed in', async () => {
      const res = await server().get(`${API}/templates`).set(as(BOB));
      expect(res.status).toBe(200);
      expect(res.body.items.map((t: { id: string }) => t.id)).toEqual(
        expect.arrayContaining(['memory-usage', 'oom-killed', 'http-probe']),
      );
      expect(
        res.body.items.find((t: { id: string }) => t.id === 'memory-usage'),
      ).toMatchObject({ builtin: true, scope: 'service', defaultFor: '5m' });
    });

    it("previews a template rule with the live value of the service's containers", async () => {
      // Prometheus scrapes the sandbox every second; wait for the basket pod's series.
      const preview = await poll(
        "the basket pod's memory series in the preview",
        async () => {
          const res = await server()
            .post(`${RULES}/preview`)
            .set(as(ALICE))
            .send(memoryRule);
          return res.body.current?.series?.length > 0 && res;
        },
        30_000,
      );
      expect(preview.status).toBe(200);
      expect(preview.body.expr).toMatch(/> 80$/);
      expect(preview.body.query).not.toMatch(/> 80$/);
      expect(preview.body.group).toContain('name: k2-shop-basket');
      const [series] = preview.body.current.series;
      expect(series.labels).toMatchObject({
        cluster: 'test-a',
        namespace: 'shop',
        container: 'app',
      });
      expect(series.labels.pod).toMatch(/^basket-[a-z0-9]+-[a-z0-9]+$/);
      // 512 MiB of 1 GiB: the working set as the sandbox reports it, about 50%.
      expect(series.value).toBeGreaterThan(30);
      expect(series.value).toBeLessThan(80);
      // Nothing stored by a preview.
      expect(await knex('k2_alert_rules').count({ n: '*' })).toEqual([
        { n: 0 },
      ]);
    });

    it('creates a rule, writes its group file and Prometheus loads it with every K2 label', async () => {
      const res = await server().post(RULES).set(as(ALICE)).send(memoryRule);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        entityRef: 'component:default/basket',
        environment: 'test',
        name: 'BasketMemory',
        templateId: 'memory-usage',
        parameters: { threshold: 80 },
        for: '5m',
        severity: 'warning',
        enabled: true,
        delivery: { state: 'delivered' },
        createdBy: ALICE,
      });
      expect(res.body).not.toHaveProperty('summary');
      const file = YAML.parse(fs.readFileSync(ruleFile(), 'utf8'));
      expect(file.groups[0].rules[0].labels).toEqual({
        k2_entity: 'component:default/basket',
        k2_service: 'basket',
        k2_rule: res.body.id,
        environment: 'test',
        namespace: 'shop',
        team: 'group:default/shop-team',
        severity: 'warning',
      });
      const loaded = await groupLoaded();
      expect(loaded?.rules.map(r => r.name)).toEqual(['BasketMemory']);
      expect(loaded?.rules[0].labels?.k2_rule).toBe(res.body.id);

      const list = await server().get(`${RULES}?environment=test`).set(as(BOB));
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({
          id: res.body.id,
          delivery: expect.objectContaining({ state: 'delivered' }),
        }),
      ]);
    });

    it.each([
      [
        'bob, of another team',
        BOB,
        memoryRule,
        403,
        /may not manage the alert rules of component:default\/basket/,
      ],
      [
        'an environment the service is not in',
        ALICE,
        { ...memoryRule, environment: 'staging', name: 'Staging' },
        400,
        /does not run in 'staging'/,
      ],
      [
        'a threshold beyond its bounds',
        ALICE,
        { ...memoryRule, name: 'Huge', parameters: { threshold: 5000 } },
        400,
        /threshold.*between 1 and 100, not 5000/,
      ],
      [
        'a parameter the template does not have',
        ALICE,
        { ...memoryRule, name: 'Odd', parameters: { limit: 3 } },
        400,
        /no parameter 'limit'/,
      ],
      [
        'a for beyond 24 hours',
        ALICE,
        { ...memoryRule, name: 'Slow', for: '25h' },
        400,
        /for must be between 0s and 86400s/,
      ],
      [
        'a name longer than 64 characters',
        ALICE,
        { ...memoryRule, name: `N${'x'.repeat(64)}` },
        400,
        /name/,
      ],
      [
        'raw PromQL from an owner',
        ALICE,
        {
          environment: 'test',
          name: 'Raw',
          expr: 'up == 0',
          for: '1m',
          severity: 'warning',
        },
        403,
        /Only platform admins may write alert rules as raw PromQL/,
      ],
      [
        'a pod that is not the service’s',
        ALICE,
        {
          environment: 'test',
          name: 'OtherPod',
          templateId: 'container-memory',
          parameters: { pod: 'ledger-5d4c3b2a1-abcde', container: 'app' },
        },
        400,
        /Pod 'ledger-5d4c3b2a1-abcde' is not one of basket's/,
      ],
      [
        'a raw expression Prometheus cannot parse',
        DAVE,
        {
          environment: 'test',
          name: 'Broken',
          expr: 'sum(up{namespace="shop"} > ',
          for: '1m',
          severity: 'warning',
        },
        400,
        /does not parse|promtool/,
      ],
    ])(
      'refuses %s, storing nothing',
      async (_, user, body, status, message) => {
        const before = fs.readFileSync(ruleFile(), 'utf8');
        const res = await server().post(RULES).set(as(user)).send(body);
        expect(res.status).toBe(status);
        expect(res.body.error.message).toMatch(message);
        expect(await knex('k2_alert_rules').count({ n: '*' })).toEqual([
          { n: 1 },
        ]);
        expect(fs.readFileSync(ruleFile(), 'utf8')).toBe(before);
      },
    );

    it('lets a platform admin add raw PromQL, warning when it reaches beyond the namespace', async () => {
      const res = await server().post(RULES).set(as(DAVE)).send({
        environment: 'test',
        name: 'AnyTargetDown',
        expr: 'up{namespace="finance"} == 0',
        for: '1m',
        severity: 'critical',
      });
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([
        expect.stringContaining(`namespace="finance"`),
      ]);
      // The group holds the service's rules of the environment by name.
      expect((await groupLoaded())?.rules.map(r => r.name)).toEqual([
        'AnyTargetDown',
        'BasketMemory',
      ]);
      // An owner cannot delete the admin's raw rule.
      const refused = await server()
        .delete(`${RULES}/${res.body.id}`)
        .set(as(ALICE));
      expect(refused.status).toBe(403);
      const deleted = await server()
        .delete(`${RULES}/${res.body.id}`)
        .set(as(DAVE));
      expect(deleted.status).toBe(204);
      expect((await groupLoaded())?.rules.map(r => r.name)).toEqual([
        'BasketMemory',
      ]);
    });

    it('disabling the only rule removes the group file and Prometheus drops the group', async () => {
      const [{ id }] = (await server().get(RULES).set(as(ALICE))).body.items;
      const res = await server()
        .put(`${RULES}/${id}`)
        .set(as(ALICE))
        .send({ ...memoryRule, enabled: false });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        enabled: false,
        delivery: { state: 'delivered' },
        updatedBy: ALICE,
      });
      expect(fs.existsSync(ruleFile())).toBe(false);
      expect(await groupLoaded()).toBeUndefined();

      const enabled = await server()
        .put(`${RULES}/${id}`)
        .set(as(ALICE))
        .send({ ...memoryRule, parameters: { threshold: 95 }, enabled: true });
      expect(enabled.status).toBe(200);
      expect((await groupLoaded())?.rules[0].query).toMatch(/> 95$/);
    });

    it('writes the probe target of a URL rule, and removes it with the rule', async () => {
      const probes = path.join(dir, 'probes', 'test', 'k2-shop-basket.json');
      const res = await server()
        .post(RULES)
        .set(as(ALICE))
        .send({
          environment: 'test',
          name: 'BasketHealth',
          templateId: 'http-probe',
          parameters: { url: 'http://127.0.0.1:9/health' },
        });
      expect(res.status).toBe(201);
      expect(JSON.parse(fs.readFileSync(probes, 'utf8'))).toEqual([
        {
          targets: ['http://127.0.0.1:9/health'],
          labels: { k2_rule: res.body.id },
        },
      ]);
      const deleted = await server()
        .delete(`${RULES}/${res.body.id}`)
        .set(as(ALICE));
      expect(deleted.status).toBe(204);
      expect(fs.existsSync(probes)).toBe(false);
    });

    it('records a failed delivery when Prometheus is down, and the preview says so instead of failing', async () => {
      const body = { ...memoryRule, environment: 'prod', name: 'ProdMemory' };
      const preview = await server()
        .post(`${RULES}/preview`)
        .set(as(ALICE))
        .send(body);
      expect(preview.status).toBe(200);
      expect(preview.body.current).toBeNull();
      expect(preview.body.error).toMatch(/could not be reached/);

      const res = await server().post(RULES).set(as(ALICE)).send(body);
      expect(res.status).toBe(201);
      expect(res.body.delivery).toMatchObject({
        state: 'failed',
        message: expect.stringMatching(/could not be reached/),
      });
      // The file is written; Prometheus will load it when it comes back (the retry
      // task reloads it).
      expect(
        fs.existsSync(path.join(dir, 'rules', 'prod', 'k2-shop-basket.yml')),
      ).toBe(true);
      const [group] = await knex('k2_alert_rule_groups').where({
        environment: 'prod',
      });
      expect(group).toMatchObject({ state: 'failed', attempts: 1 });
    });

    it('delivers a failed group again once Prometheus is back', async () => {
      const upstream = new URL(stack.prometheusUrl);
      proxy = net.createServer(socket => {
        const to = net.connect(Number(upstream.port), upstream.hostname);
        socket.pipe(to).pipe(socket);
        to.on('error', () => socket.destroy());
        socket.on('error', () => to.destroy());
      });
      await new Promise<void>(resolve =>
        proxy!.listen(prodPort, '127.0.0.1', resolve),
      );
      // The retry task runs 15 s after start and every 30 s.
      await poll(
        'the prod group delivered by the retry task',
        async () => {
          const [group] = await knex('k2_alert_rule_groups').where({
            environment: 'prod',
          });
          return group?.state === 'delivered' && group;
        },
        60_000,
      );
      const list = await server()
        .get(`${RULES}?environment=prod`)
        .set(as(ALICE));
      expect(list.body.items).toEqual([
        expect.objectContaining({
          name: 'ProdMemory',
          delivery: expect.objectContaining({ state: 'delivered' }),
        }),
      ]);
      expect(list.body.items[0].delivery.message).toBeUndefined();
    });

    it('lets platform admins manage custom templates, which rules then use', async () => {
      const template = {
        id: 'up-missing',
        title: 'Scrape target down',
        parameters: [
          {
            name: 'count',
            title: 'Targets',
            type: 'number',
            required: true,
            default: 1,
            min: 1,
            max: 100,
          },
        ],
        defaultSeverity: 'warning',
        defaultFor: '2m',
        scope: 'service',
        expr: 'count by (cluster, namespace) (up{{{ selector }}} == 0) >= {{ count }}',
      };
      const refused = await server()
        .post(`${API}/templates`)
        .set(as(ALICE))
        .send(template);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(
        /Only platform admins may manage alert rule templates/,
      );

      const broken = await server()
        .post(`${API}/templates`)
        .set(as(DAVE))
        .send({
          ...template,
          id: 'broken',
          expr: 'count(up{{{ selector }}} == ',
        });
      expect(broken.status).toBe(400);
      expect(broken.body.error.message).toMatch(/promtool check rules/);
      const builtin = await server()
        .post(`${API}/templates`)
        .set(as(DAVE))
        .send({ ...template, id: 'oom-killed' });
      expect(builtin.status).toBe(409);

      const created = await server()
        .post(`${API}/templates`)
        .set(as(DAVE))
        .send(template);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: 'up-missing', builtin: false });

      const rule = await server().post(RULES).set(as(ALICE)).send({
        environment: 'test',
        name: 'TargetsDown',
        templateId: 'up-missing',
      });
      expect(rule.status).toBe(201);
      expect(rule.body).toMatchObject({
        parameters: { count: 1 },
        for: '2m',
        delivery: { state: 'delivered' },
      });
      const loaded = await groupLoaded();
      expect(
        loaded?.rules.find(r => r.name === 'TargetsDown')?.query,
      ).toContain(
        'up{cluster=~"test-a",namespace="shop",pod=~"basket-[a-z0-9]+-[a-z0-9]+"} == 0',
      );

      // Changing the template delivers the groups that use it again.
      const changed = await server()
        .put(`${API}/templates/up-missing`)
        .set(as(DAVE))
        .send({
          ...template,
          defaultFor: '3m',
          expr: template.expr.replace('== 0', '< 1'),
        });
      expect(changed.status).toBe(200);
      expect(
        (await groupLoaded())?.rules.find(r => r.name === 'TargetsDown')?.query,
      ).toContain('} < 1) >= 1');

      const inUse = await server()
        .delete(`${API}/templates/up-missing`)
        .set(as(DAVE));
      expect(inUse.status).toBe(409);
      expect(inUse.body.error.message).toMatch(/used by 1 rule/);
      expect(
        (await server().delete(`${RULES}/${rule.body.id}`).set(as(ALICE)))
          .status,
      ).toBe(204);
      expect(
        (await server().delete(`${API}/templates/up-missing`).set(as(DAVE)))
          .status,
      ).toBe(204);
    });

    it("puts every rule change and refusal in the service's activity log", async () => {
      const res = await server()
        .get('/api/k2/services/default/basket/activity?limit=100')
        .set(as(BOB));
      expect(res.status).toBe(200);
      const entries = (
        res.body.items as Array<{
          actor: string;
          action: string;
          result: string;
          summary: string;
        }>
      ).map(e => [e.actor, e.action, e.result, e.summary]);
      expect(entries).toEqual(
        expect.arrayContaining([
          [
            ALICE,
            'alert-rule-create',
            'succeeded',
            'Created alert rule BasketMemory (memory-usage); delivery delivered',
          ],
          [
            ALICE,
            'alert-rule-update',
            'succeeded',
            'Disabled alert rule BasketMemory; delivery delivered',
          ],
          [
            DAVE,
            'alert-rule-delete',
            'succeeded',
            'Deleted alert rule AnyTargetDown; delivery delivered',
          ],
          [
            ALICE,
            'alert-rule-create',
            'succeeded',
            'Created alert rule ProdMemory (memory-usage); delivery failed',
          ],
          [
            BOB,
            'alert-rule-create',
            'failed',
            expect.stringMatching(/^Refused/),
          ],
        ]),
      );
    });

    it('refuses a rule beyond the 100 a service may have', async () => {
      const now = new Date();
      await knex('k2_alert_rules').insert(
        Array.from({ length: 98 }, (_, i) => ({
          id: `filler-${i}`,
          service_ref: 'component:default/basket',
          environment: 'prod',
          name: `Filler${i}`,
          template_id: 'readiness-failing',
          parameters: '{}',
          for: '5m',
          severity: 'info',
          enabled: false,
          created_by: ALICE,
          created_at: now,
          updated_by: ALICE,
          updated_at: now,
        })),
      );
      const res = await server()
        .post(RULES)
        .set(as(ALICE))
        .send({ ...memoryRule, name: 'OneTooMany' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/has 100 alert rules/);
    });
  },
);
