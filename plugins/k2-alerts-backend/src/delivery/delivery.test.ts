import { mockServices } from '@backstage/backend-test-utils';
import { K2ClusterAccess, K2ClusterRegistry } from '@internal/plugin-k2-node';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import {
  describeWithMonitoring,
  MonitoringStack,
  startMonitoringStack,
} from '../__testUtils__/monitoring';
import { PrometheusClient } from '../prometheus/PrometheusClient';
import { compileGroup, RuleTarget } from '../rules/compile';
import { loadBuiltinTemplates } from '../templates/builtin';
import { FilesDelivery } from './FilesDelivery';
import { PrometheusRuleDelivery } from './PrometheusRuleDelivery';
import { GroupContent } from './types';

const templates = loadBuiltinTemplates();
const target: RuleTarget = {
  entityRef: 'component:default/basket',
  service: 'basket',
  environment: 'test',
  clusters: ['test-a'],
  namespace: 'shop',
  kubernetesId: 'basket',
  team: 'group:default/shop-team',
};

function content(
  rules: Array<{
    id: string;
    name: string;
    templateId: string;
    parameters: Record<string, string | number>;
  }>,
): GroupContent {
  const group = compileGroup(
    target,
    rules.map(r => ({ ...r, for: '0s', severity: 'warning', enabled: true })),
    id => templates.find(t => t.id === id),
  );
  return {
    target,
    name: group.name,
    yaml: group.rules.length ? group.yaml : undefined,
    groups: group.rules.length ? YAML.parse(group.yaml).groups : [],
    probes: rules
      .filter(r => typeof r.parameters.url === 'string')
      .map(r => ({ rule: r.id, url: String(r.parameters.url) })),
  };
}

/** An HTTP server answering 200 on /up and 500 elsewhere, for probes. */
async function startSite() {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/up' ? 200 : 500).end();
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

describeWithMonitoring('files delivery to a real Prometheus', () => {
  jest.setTimeout(120_000);
  let stack: MonitoringStack;
  let prometheus: PrometheusClient;
  let delivery: FilesDelivery;
  let site: Awaited<ReturnType<typeof startSite>>;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-files-delivery-'));
    site = await startSite();
    stack = await startMonitoringStack({
      sandboxTargets: [],
      webhookUrl: 'http://127.0.0.1:9/unused',
      token: 'unused',
      rulesDir: path.join(dir, 'rules', 'test'),
    });
    prometheus = new PrometheusClient(stack.prometheusUrl);
    delivery = new FilesDelivery({
      directory: stack.rulesDir,
      probeDirectory: stack.probesDir,
      prometheus,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await site?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const loaded = async () =>
    (await prometheus.ruleGroups()).find(g => g.name === 'k2-shop-basket');

  it('writes the group, reloads Prometheus, and removes it when no rule is left', async () => {
    await delivery.deliver(
      content([
        {
          id: 'r1',
          name: 'BasketMemory',
          templateId: 'memory-usage',
          parameters: { threshold: 90 },
        },
      ]),
    );
    expect((await loaded())?.rules.map(r => r.name)).toEqual(['BasketMemory']);
    expect(fs.readdirSync(stack.rulesDir)).toEqual(['k2-shop-basket.yml']);

    await delivery.deliver(content([]));
    expect(await loaded()).toBeUndefined();
    expect(fs.readdirSync(stack.rulesDir)).toEqual([]);
  });

  it('puts the previous file back when Prometheus refuses the new one', async () => {
    await delivery.deliver(
      content([
        {
          id: 'r1',
          name: 'BasketMemory',
          templateId: 'memory-usage',
          parameters: { threshold: 90 },
        },
      ]),
    );
    const good = fs.readFileSync(delivery.ruleFile('k2-shop-basket'), 'utf8');
    // A group promtool would refuse, delivered without its check: Prometheus refuses it.
    const bad = {
      ...content([]),
      yaml: 'groups:\n  - name: k2-shop-basket\n    rules:\n      - alert: Broken\n        expr: sum(\n',
    };
    await expect(delivery.deliver(bad)).rejects.toThrow(
      /did not reload \(500\)/,
    );
    expect(fs.readFileSync(delivery.ruleFile('k2-shop-basket'), 'utf8')).toBe(
      good,
    );
    expect((await loaded())?.rules.map(r => r.name)).toEqual(['BasketMemory']);
  });

  it('writes HTTP probe targets that Prometheus probes through the blackbox exporter', async () => {
    await delivery.deliver(
      content([
        {
          id: 'up-rule',
          name: 'SiteUp',
          templateId: 'http-probe',
          parameters: { url: `${site.url}/up` },
        },
        {
          id: 'down-rule',
          name: 'SiteDown',
          templateId: 'http-probe',
          parameters: { url: `${site.url}/down` },
        },
      ]),
    );
    expect(
      JSON.parse(fs.readFileSync(delivery.probeFile('k2-shop-basket'), 'utf8')),
    ).toEqual([
      { targets: [`${site.url}/up`], labels: { k2_rule: 'up-rule' } },
      { targets: [`${site.url}/down`], labels: { k2_rule: 'down-rule' } },
    ]);
    const samples = await poll(
      'probe_success of both probe targets',
      async () => {
        const result = await prometheus.query('probe_success{job="k2-probes"}');
        return result.length === 2 && result;
      },
      30_000,
    );
    expect(
      Object.fromEntries(samples.map(s => [s.labels.k2_rule, s.value])),
    ).toEqual({ 'up-rule': 1, 'down-rule': 0 });

    await delivery.deliver(content([]));
    expect(fs.existsSync(delivery.probeFile('k2-shop-basket'))).toBe(false);
  });
});

describe('prometheusRule delivery to a sandbox cluster', () => {
  jest.setTimeout(60_000);
  let cluster: SandboxCluster;
  let access: K2ClusterAccess;

  beforeAll(async () => {
    cluster = new SandboxCluster({ name: 'test-a', tokens: ['test-a-token'] });
    await cluster.listen(0);
    access = new K2ClusterAccess({
      registry: new K2ClusterRegistry([
        {
          name: 'test-a',
          url: cluster.url,
          serviceAccountToken: 'test-a-token',
          environments: [{ name: 'test', weight: 1 }],
          skipTLSVerify: false,
          configKey: 'clusters.test-a',
        },
      ]),
      logger: mockServices.logger.mock(),
    });
  });

  afterAll(async () => {
    await access?.stop();
    await cluster?.stop();
  });

  it('applies a PrometheusRule and Probes per service, and deletes them when no rule is left', async () => {
    const delivery = new PrometheusRuleDelivery({
      access,
      labels: { release: 'prometheus' },
      blackboxAddress: 'blackbox.monitoring:9115',
    });
    const k8s = api(cluster);
    await delivery.deliver(
      content([
        {
          id: 'r1',
          name: 'BasketMemory',
          templateId: 'memory-usage',
          parameters: { threshold: 90 },
        },
        {
          id: 'r2',
          name: 'Health',
          templateId: 'http-probe',
          parameters: { url: 'https://basket.example/health' },
        },
        {
          id: 'r3',
          name: 'Home',
          templateId: 'http-probe',
          parameters: { url: 'https://basket.example/' },
        },
      ]),
    );
    const rule = await k8s.get(
      '/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/k2-basket',
    );
    expect(rule.status).toBe(200);
    expect(rule.body.metadata.labels).toMatchObject({
      release: 'prometheus',
      'app.kubernetes.io/managed-by': 'k2',
      'k2.io/service': 'basket',
    });
    expect(rule.body.spec.groups[0].name).toBe('k2-shop-basket');
    expect(
      rule.body.spec.groups[0].rules.map((r: { alert: string }) => r.alert),
    ).toEqual(['BasketMemory', 'Health', 'Home']);
    const probes = await k8s.get(
      '/apis/monitoring.coreos.com/v1/namespaces/shop/probes',
    );
    expect(
      probes.body.items.map((p: { metadata: { name: string }; spec: any }) => [
        p.metadata.name,
        p.spec.targets.staticConfig,
        p.spec.prober.url,
      ]),
    ).toEqual([
      [
        'k2-basket-r2',
        {
          static: ['https://basket.example/health'],
          labels: { k2_rule: 'r2' },
        },
        'blackbox.monitoring:9115',
      ],
      [
        'k2-basket-r3',
        { static: ['https://basket.example/'], labels: { k2_rule: 'r3' } },
        'blackbox.monitoring:9115',
      ],
    ]);

    // One probe rule deleted: its Probe goes, the other stays.
    await delivery.deliver(
      content([
        {
          id: 'r1',
          name: 'BasketMemory',
          templateId: 'memory-usage',
          parameters: { threshold: 90 },
        },
        {
          id: 'r3',
          name: 'Home',
          templateId: 'http-probe',
          parameters: { url: 'https://basket.example/' },
        },
      ]),
    );
    const left = await k8s.get(
      '/apis/monitoring.coreos.com/v1/namespaces/shop/probes',
    );
    expect(
      left.body.items.map(
        (p: { metadata: { name: string } }) => p.metadata.name,
      ),
    ).toEqual(['k2-basket-r3']);

    await delivery.deliver(content([]));
    expect(
      (
        await k8s.get(
          '/apis/monitoring.coreos.com/v1/namespaces/shop/prometheusrules/k2-basket',
        )
      ).status,
    ).toBe(404);
    expect(
      (await k8s.get('/apis/monitoring.coreos.com/v1/namespaces/shop/probes'))
        .body.items,
    ).toEqual([]);
  });
});
