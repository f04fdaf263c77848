import { mockCredentials } from '@backstage/backend-test-utils';
import fs from 'fs';
import path from 'path';
import { parseAgentConfig } from './config';
import { K2Client } from './K2Client';
import { LiveConfig } from './LiveConfig';
import { createJsonLogger } from './log';
import { NginxAgent } from './NginxAgent';
import {
  NGINX,
  NginxHost,
  eventually,
  freePort,
  request,
  startLoad,
} from './__testUtils__';
import {
  loopbackTemplates,
  startTrafficBackend,
} from './__testUtils__/trafficBackend';

const itWithNginx = NGINX ? it : it.skip;
const TOKEN = 'edge-agent-token-0123456789abcdef0123';
const DOMAIN = 'basket.test.k2.example.com';
const MEMBER_FILE = 'members/test/default/basket/app.conf';

jest.setTimeout(240_000);

/**
 * Live upstream membership end to end: basket's pods in a sandbox cluster whose pods
 * answer HTTP on loopback addresses, K2's real Traffic backend following them, the
 * agent applying each bundle to a real Nginx, and requests through that Nginx.
 */
describe('upstream members follow the pods through K2, the agent and a real Nginx', () => {
  let k2: Awaited<ReturnType<typeof startTrafficBackend>>;
  let templates: string;
  let httpPort: number;
  let podPort: number;
  let host: NginxHost;
  let stopAgent: () => Promise<void>;

  const pods = () => k2.sandbox.type('', 'pods');
  const deployments = () => k2.sandbox.type('apps', 'deployments');
  /** basket's pods: name, IP, image, whether ready and in traffic. */
  const basketPods = () =>
    k2.sandbox.registry
      .list(pods(), 'shop')
      .items.filter(p => p.metadata.labels?.app === 'basket')
      .map(p => ({
        name: p.metadata.name,
        ip: p.status?.podIP as string | undefined,
        image: p.spec.containers[0].image as string,
        ready: (p.status?.conditions ?? []).some(
          (c: { type: string; status: string }) =>
            c.type === 'Ready' && c.status === 'True',
        ),
        terminating: Boolean(p.metadata.deletionTimestamp),
        inTraffic: p.metadata.labels?.['k2.io/traffic'] === 'on',
      }));
  /** The addresses in the member file Nginx reads. */
  const liveMembers = () =>
    [
      ...host.readLive(MEMBER_FILE).matchAll(/^server (127\.[0-9.]+):(\d+) /gm),
    ].map(m => `${m[1]}:${m[2]}`);
  const activity = async () => {
    const res = await fetch(
      `${k2.url}/api/k2/services/default/basket/activity?limit=100`,
      {
        headers: {
          authorization: `Bearer ${mockCredentials.user.token(
            'user:default/alice',
          )}`,
        },
      },
    );
    const body = await res.json();
    return (body.items as Array<{ action: string; summary: string }>).filter(
      a => a.action === 'traffic-members',
    );
  };

  beforeAll(async () => {
    if (!NGINX) return;
    templates = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'k2-tpl-'));
    httpPort = await freePort();
    podPort = await freePort();
    loopbackTemplates(templates, httpPort, await freePort());
    k2 = await startTrafficBackend({
      templatesDirectory: templates,
      clusters: [
        { name: 'edge', environment: 'test', hosts: ['nginx-1'], token: TOKEN },
      ],
      // Real-time pods that answer on 127.231.x.y; a terminating pod answers for its
      // 5 s grace period, as a real one does during its preStop drain.
      sandbox: {
        timeScale: 1,
        reachablePods: true,
        podNetwork: 231,
        podTerminationMs: 10_000,
      },
    });
    host = new NginxHost();
    const config = parseAgentConfig(
      [
        ...host.agentArgs,
        '--k2-url',
        k2.url,
        '--cluster',
        'edge',
        '--host',
        'nginx-1',
      ],
      { K2_AGENT_TOKEN: TOKEN },
    );
    if (config === 'help') throw new Error('unexpected help');
    const agent = new NginxAgent({
      ...config,
      live: await LiveConfig.open(config),
      client: new K2Client(config),
      log: createJsonLogger([TOKEN], () => undefined),
    });
    const running = agent.run();
    stopAgent = async () => {
      agent.stop();
      await running;
    };
    await host.start();

    k2.sandbox.registry.create(k2.sandbox.type('', 'namespaces'), undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop' },
    });
    k2.sandbox.registry.create(deployments(), 'shop', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'basket', namespace: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'basket' } },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        },
        template: {
          metadata: {
            labels: {
              app: 'basket',
              'k2.io/service': 'basket',
              'backstage.io/kubernetes-id': 'basket',
              'k2.io/traffic': 'on',
            },
          },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: 'basket',
                image: 'shop/basket:1',
                ports: [{ name: 'http', containerPort: podPort }],
                readinessProbe: {
                  httpGet: { path: '/', port: 'http' },
                  initialDelaySeconds: 1,
                },
              },
            ],
          },
        },
      },
    });
    await k2.publish(
      'test',
      {
        template: 'default',
        upstreams: [{ name: 'app' }],
        locations: [{ path: '/', upstream: 'app' }],
      },
      'Basket from its pods',
    );
  });

  afterAll(async () => {
    if (!NGINX) return;
    await stopAgent?.();
    await host?.stop();
    await k2?.stop();
    fs.rmSync(templates, { recursive: true, force: true });
  });

  itWithNginx(
    'serves the ready pods, and an instance taken out of traffic leaves the live upstream within 5 s',
    async () => {
      const ready = await eventually(() => {
        const now = basketPods().filter(p => p.ready);
        return now.length === 2 ? now : undefined;
      }, 'two ready basket pods');
      const addresses = ready.map(p => `${p.ip}:${podPort}`).sort();
      await eventually(
        () =>
          JSON.stringify(liveMembers()) === JSON.stringify(addresses)
            ? true
            : undefined,
        'both pods in the member file Nginx reads',
      );
      // Requests through Nginx reach both pods, each answering with its name (once
      // Nginx's new workers took the reloaded config).
      const answering = async () => {
        const bodies = new Set<string>();
        for (let i = 0; i < 20; i++) {
          const res = await request(httpPort, DOMAIN);
          bodies.add(`${res.status} ${res.body.trim()}`);
        }
        return [...bodies].sort();
      };
      const both = ready.map(p => `200 ${p.name} shop/basket:1`).sort();
      await eventually(
        async () =>
          JSON.stringify(await answering()) === JSON.stringify(both)
            ? true
            : undefined,
        'requests through Nginx to reach both pods',
      );

      const [out, kept] = ready;
      const flipped = Date.now();
      k2.sandbox.registry.mutate(pods(), 'shop', out.name, pod => {
        pod.metadata.labels = {
          ...pod.metadata.labels,
          'k2.io/traffic': 'off',
        };
      });
      await eventually(
        () =>
          JSON.stringify(liveMembers()) ===
          JSON.stringify([`${kept.ip}:${podPort}`])
            ? true
            : undefined,
        `${out.name} gone from the member file`,
        5_000,
      );
      const fileMs = Date.now() - flipped;
      // The pod still runs (it only left traffic), yet requests stop reaching it.
      await eventually(
        async () =>
          JSON.stringify(await answering()) ===
          JSON.stringify([`200 ${kept.name} shop/basket:1`])
            ? true
            : undefined,
        `requests through Nginx to reach ${kept.name} only`,
        5_000,
      );
      const requestsMs = Date.now() - flipped;
      process.stdout.write(
        `taken out of traffic -> gone from Nginx's member file in ${fileMs} ms, from its answers in ${requestsMs} ms\n`,
      );
      expect(requestsMs).toBeLessThan(5_000);
      expect(basketPods().find(p => p.name === out.name)?.ready).toBe(true);
      // The Traffic tab's view lists the pod members with their pod and cluster.
      const view = await fetch(
        `${k2.url}/api/k2-traffic/services/default/basket/environments/test/site`,
        {
          headers: {
            authorization: `Bearer ${mockCredentials.user.token(
              'user:default/alice',
            )}`,
          },
        },
      ).then(res => res.json());
      expect(view.podMembers).toEqual([
        {
          address: kept.ip,
          port: podPort,
          cluster: 'test',
          pod: kept.name,
        },
      ]);
      // The member file names where each member comes from.
      expect(host.readLive(MEMBER_FILE)).toContain(
        `# pod test/shop/${kept.name}`,
      );
      const entries = await eventually(async () => {
        const now = await activity();
        return now.some(a => a.summary.includes('removed')) ? now : undefined;
      }, 'the membership change in the activity log');
      expect(entries[0].summary).toBe(
        `Nginx upstream members removed ${out.ip}:${podPort} (pod ${out.name} in test)`,
      );
    },
  );

  itWithNginx(
    'a relist of the watch caches changes no bundle and logs no membership change',
    async () => {
      const before = await k2.status('edge', 'nginx-1');
      const changes = (await activity()).length;
      const health = async () => {
        const res = await fetch(`${k2.url}/api/k2/clusters`, {
          headers: {
            authorization: `Bearer ${mockCredentials.user.token(
              'user:default/alice',
            )}`,
          },
        });
        const body = await res.json();
        return (body.items ?? body)[0] as { syncedAt?: string };
      };
      const syncedBefore = (await health()).syncedAt;
      const res = await fetch(`${k2.sandbox.url}/sandbox/watches/expire`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer test-token',
          'content-type': 'application/json',
        },
        body: '{}',
      });
      expect(res.status).toBe(200);
      await eventually(async () => {
        const now = (await health()).syncedAt;
        return now && now !== syncedBefore ? true : undefined;
      }, 'the caches to list the cluster again');
      // Longer than the debounce: a spurious change would have been stored by now.
      await new Promise(resolve => setTimeout(resolve, 2_000));
      const after = await k2.status('edge', 'nginx-1');
      expect(after.version).toBe(before.version);
      expect(after.host.appliedVersion).toBe(before.version);
      expect((await activity()).length).toBe(changes);
    },
  );

  itWithNginx(
    'a rolling release changes the members without a failed request',
    async () => {
      const load = startLoad(httpPort, DOMAIN, 4);
      k2.sandbox.registry.mutate(deployments(), 'shop', 'basket', d => {
        d.spec.template.spec.containers[0].image = 'shop/basket:2';
      });
      const rolled = await eventually(
        () => {
          const now = basketPods();
          const fresh = now.filter(
            p => p.image === 'shop/basket:2' && p.ready && !p.terminating,
          );
          return fresh.length === 2 &&
            now.every(p => p.image === 'shop/basket:2')
            ? fresh
            : undefined;
        },
        'the rollout to replace every pod',
        60_000,
      );
      await eventually(
        () =>
          JSON.stringify(liveMembers()) ===
          JSON.stringify(rolled.map(p => `${p.ip}:${podPort}`).sort())
            ? true
            : undefined,
        'the new pods to be the members',
        10_000,
      );
      const result = await load.stop();
      process.stdout.write(
        `rolling release through Nginx: ${result.ok} requests answered, ${result.failures.length} failed\n`,
      );
      if (result.failures.length > 0) {
        process.stdout.write(`Nginx's error log:\n${host.errorLog()}\n`);
      }
      expect(result.failures).toEqual([]);
      expect(result.ok).toBeGreaterThan(50);
      // Old pods answered until they left, new ones took over.
      expect(result.bodies.some(b => b.includes('shop/basket:1'))).toBe(true);
      expect(result.bodies.some(b => b.includes('shop/basket:2'))).toBe(true);
    },
  );
});
