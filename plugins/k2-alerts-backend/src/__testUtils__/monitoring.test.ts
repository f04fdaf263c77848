import fs from 'fs';
import http from 'http';
import net from 'net';
import path from 'path';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import {
  describeWithMonitoring,
  MonitoringStack,
  startMonitoringStack,
} from './monitoring';

const MI = 2 ** 20;
const TOKEN = 'webhook-token-for-the-test';

interface Delivery {
  authorization?: string;
  body: {
    version: string;
    status: string;
    receiver: string;
    groupLabels: Record<string, string>;
    alerts: {
      status: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      startsAt: string;
      endsAt: string;
      fingerprint: string;
    }[];
  };
}

/** A stand-in for K2's webhook: records what Alertmanager POSTs. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/k2-alerts/webhook/alertmanager`,
    deliveries,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

/** A rule file as K2's files delivery writes one: K2's labels, usage − cache. */
const RULE_FILE = `groups:
  - name: component:default/web
    rules:
      - alert: Memory usage of web
        expr: >-
          sum by (cluster, namespace) (
            container_memory_usage_bytes{namespace="shop",container="web"}
            - container_memory_cache{namespace="shop",container="web"}
          ) > ${400 * MI}
        for: 0s
        labels:
          k2_entity: component:default/web
          k2_service: web
          k2_rule: rule-1
          environment: test
          team: group:default/shop-team
          severity: warning
        annotations:
          summary: web uses more than 400 MiB of memory
`;

describeWithMonitoring('startMonitoringStack', () => {
  jest.setTimeout(120_000);
  let cluster: SandboxCluster;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stack: MonitoringStack | undefined;

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['sandbox-token'],
      timeScale: 0.05,
    });
    await cluster.listen(0);
    receiver = await startReceiver();
    const client = api(cluster);
    await client.post('/api/v1/namespaces', { metadata: { name: 'shop' } });
    const created = await client.post(
      '/apis/apps/v1/namespaces/shop/deployments',
      {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'registry.northwind.example/shop/web:1.0.0',
                  resources: {
                    requests: { cpu: '100m', memory: '1Gi' },
                    limits: { memory: '1Gi' },
                  },
                },
              ],
            },
          },
        },
      },
    );
    if (created.status !== 201) {
      throw new Error(`creating shop/web answered ${created.status}`);
    }
    cluster.usage.steer('shop', 'web', { memory: 50 * MI });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
    await cluster?.stop();
  });

  it('evaluates a rule file over the sandbox metrics and sends the alert to the webhook, firing and resolved', async () => {
    stack = await startMonitoringStack({
      sandboxTargets: [
        { cluster: 'test', url: cluster.url, token: 'sandbox-token' },
      ],
      webhookUrl: receiver.url,
      token: TOKEN,
    });
    const prometheus = stack.prometheusUrl;
    const query = async (promql: string) => {
      const res = await fetch(
        `${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`,
      );
      return (await res.json()).data.result as {
        metric: Record<string, string>;
        value: [number, string];
      }[];
    };
    // The sandbox is scraped with the cluster label the target gives it.
    const scraped = await poll(
      'the pod of shop/web in Prometheus',
      async () => {
        const result = await query(
          'container_memory_usage_bytes{namespace="shop",container="web"}',
        );
        return result.length > 0 && result;
      },
      30_000,
    );
    expect(scraped[0].metric.cluster).toBe('test');

    fs.writeFileSync(path.join(stack.rulesDir, 'web.yml'), RULE_FILE);
    await stack.reload();
    await poll(
      'the rule loaded',
      async () => {
        const res = await fetch(`${prometheus}/api/v1/rules`);
        const groups = (await res.json()).data.groups as { name: string }[];
        return groups.some(g => g.name === 'component:default/web');
      },
      10_000,
    );
    // Below the threshold: nothing fires for a few evaluations.
    await new Promise(r => setTimeout(r, 3000));
    expect(receiver.deliveries).toEqual([]);

    cluster.usage.steer('shop', 'web', { memory: 900 * MI });
    const firing = await poll(
      'a firing notification',
      () => receiver.deliveries.find(d => d.body.status === 'firing'),
      30_000,
    );
    expect(firing.authorization).toBe(`Bearer ${TOKEN}`);
    expect(firing.body.version).toBe('4');
    expect(firing.body.receiver).toBe('k2');
    expect(firing.body.groupLabels).toEqual({
      k2_entity: 'component:default/web',
      environment: 'test',
      k2_rule: 'rule-1',
    });
    expect(firing.body.alerts).toHaveLength(1);
    expect(firing.body.alerts[0]).toMatchObject({
      status: 'firing',
      labels: {
        alertname: 'Memory usage of web',
        cluster: 'test',
        namespace: 'shop',
        k2_entity: 'component:default/web',
        team: 'group:default/shop-team',
        severity: 'warning',
      },
      annotations: { summary: 'web uses more than 400 MiB of memory' },
    });

    cluster.usage.steer('shop', 'web', { memory: 50 * MI });
    const resolved = await poll(
      'a resolved notification',
      () => receiver.deliveries.find(d => d.body.status === 'resolved'),
      30_000,
    );
    expect(resolved.authorization).toBe(`Bearer ${TOKEN}`);
    expect(resolved.body.alerts[0].status).toBe('resolved');
    expect(resolved.body.alerts[0].fingerprint).toBe(
      firing.body.alerts[0].fingerprint,
    );
    expect(resolved.body.alerts[0].startsAt).toBe(
      firing.body.alerts[0].startsAt,
    );
    expect(Date.parse(resolved.body.alerts[0].endsAt)).toBeGreaterThan(
      Date.parse(resolved.body.alerts[0].startsAt),
    );
  });

  it('stops every process it started', async () => {
    const running = stack!;
    await running.stop();
    stack = undefined;
    await expect(fetch(`${running.prometheusUrl}/-/ready`)).rejects.toThrow();
    await expect(fetch(`${running.alertmanagerUrl}/-/ready`)).rejects.toThrow();
    expect(fs.existsSync(running.dir)).toBe(false);
  });
});
