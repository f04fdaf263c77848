import { mockCredentials } from '@backstage/backend-test-utils';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { parseAgentConfig } from './config';
import { K2Client } from './K2Client';
import { LiveConfig } from './LiveConfig';
import { createJsonLogger } from './log';
import { NginxAgent } from './NginxAgent';
import { NGINX, NginxHost, eventually, freePort } from './__testUtils__';
import {
  loopbackTemplates,
  startTrafficBackend,
} from './__testUtils__/trafficBackend';

const itWithNginx = NGINX ? it : it.skip;
const TOKEN = 'edge-agent-token-0123456789abcdef0123';
const DOMAIN = 'basket.test.k2.example.com';
const CANARY_FILE = 'members/test/default/basket/app.canary.conf';
const REQUESTS = 10_000;

jest.setTimeout(300_000);

/**
 * Canary routes end to end: basket's stable pods and its canary pods (a
 * `basket-canary` Deployment whose pods carry `k2.io/track: canary`) in a sandbox
 * cluster whose pods answer HTTP on loopback with their name, K2's real Traffic
 * backend rendering a site whose upstream `app` sends 10 % to its canary and whose
 * upstream `beta` sends requests with `X-Beta: yes` to it, the agent applying each
 * bundle to a real Nginx, and requests through that Nginx.
 */
describe('canary routes through K2, the agent and a real Nginx', () => {
  let k2: Awaited<ReturnType<typeof startTrafficBackend>>;
  let templates: string;
  let httpPort: number;
  let podPort: number;
  let host: NginxHost;
  let stopAgent: () => Promise<void>;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  const pods = () => k2.sandbox.type('', 'pods');
  const deployments = () => k2.sandbox.type('apps', 'deployments');
  const alice = {
    authorization: `Bearer ${mockCredentials.user.token('user:default/alice')}`,
    'content-type': 'application/json',
  };
  const siteApi = `/api/k2-traffic/services/default/basket/environments/test/site`;

  /** basket's ready pods of one Deployment, by name. */
  const readyPods = (deployment: string) =>
    k2.sandbox.registry
      .list(pods(), 'shop')
      .items.filter(
        p =>
          p.metadata.labels?.deployment === deployment &&
          !p.metadata.deletionTimestamp &&
          (p.status?.conditions ?? []).some(
            (c: { type: string; status: string }) =>
              c.type === 'Ready' && c.status === 'True',
          ),
      )
      .map(p => ({ name: p.metadata.name, ip: p.status?.podIP as string }));

  /** basket's Deployment `name`, its pods labelled with `track` when given. */
  const createDeployment = (name: string, replicas: number, track?: string) =>
    k2.sandbox.registry.create(deployments(), 'shop', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'shop' },
      spec: {
        replicas,
        selector: { matchLabels: { deployment: name } },
        template: {
          metadata: {
            labels: {
              deployment: name,
              'k2.io/service': 'basket',
              'backstage.io/kubernetes-id': 'basket',
              'k2.io/environment': 'test',
              'k2.io/traffic': 'on',
              ...(track ? { 'k2.io/track': track } : {}),
            },
          },
          spec: {
            containers: [
              {
                name: 'basket',
                image: `shop/${name}:1`,
                ports: [{ name: 'http', containerPort: podPort }],
              },
            ],
          },
        },
      },
    });

  /** GET `path` through Nginx with basket's domain and `headers`; the answering pod. */
  const get = (urlPath: string, headers: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port: httpPort,
          path: urlPath,
          headers: { host: DOMAIN, ...headers },
          agent,
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8').trim();
            if (res.statusCode === 200) resolve(body.split(' ')[0]);
            else reject(new Error(`${res.statusCode} ${body}`));
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    });

  /** How many of `count` requests each pod answered, eight at a time. */
  const answers = async (
    count: number,
    urlPath: string,
    headers: Record<string, string> = {},
  ) => {
    const byPod = new Map<string, number>();
    let sent = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (sent < count) {
          sent++;
          const pod = await get(urlPath, headers);
          byPod.set(pod, (byPod.get(pod) ?? 0) + 1);
        }
      }),
    );
    return byPod;
  };

  const sum = (byPod: Map<string, number>, names: string[]) =>
    names.reduce((total, name) => total + (byPod.get(name) ?? 0), 0);

  const versions = async () => {
    const res = await fetch(`${k2.url}${siteApi}/versions`, {
      headers: alice,
    });
    return (await res.json()).total as number;
  };

  const site = (
    app: Record<string, unknown>,
    beta: Record<string, unknown>,
  ) => ({
    template: 'default',
    upstreams: [
      { name: 'app', canary: app },
      { name: 'beta', canary: beta },
    ],
    locations: [
      { path: '/', upstream: 'app' },
      { path: '/beta/', upstream: 'beta' },
    ],
  });

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
      sandbox: { timeScale: 1, reachablePods: true, podNetwork: 232 },
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
    const nginxAgent = new NginxAgent({
      ...config,
      live: await LiveConfig.open(config),
      client: new K2Client(config),
      log: createJsonLogger([TOKEN], () => undefined),
    });
    const running = nginxAgent.run();
    stopAgent = async () => {
      nginxAgent.stop();
      await running;
    };
    await host.start();
    k2.sandbox.registry.create(k2.sandbox.type('', 'namespaces'), undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop' },
    });
    createDeployment('basket', 2);
    await k2.publish(
      'test',
      site(
        { kind: 'weight', percent: 10 },
        { kind: 'header', name: 'X-Beta', value: 'yes' },
      ),
      'A 10 % canary, and beta testers by header',
    );
  });

  afterAll(async () => {
    agent.destroy();
    if (!NGINX) return;
    await stopAgent?.();
    await host?.stop();
    await k2?.stop();
    fs.rmSync(templates, { recursive: true, force: true });
  });

  itWithNginx(
    'sends the configured share and the header-matched requests to the canary pods, and everything to stable once they are gone, without a publish',
    async () => {
      const stable = await eventually(() => {
        const now = readyPods('basket');
        return now.length === 2 ? now.map(p => p.name).sort() : undefined;
      }, 'two ready stable pods');
      // No canary pod yet: the canary holds the stable members, so the 10 % and the
      // header reach stable.
      await eventually(async () => {
        const byPod = await answers(50, '/');
        return sum(byPod, stable) === 50 && byPod.size === 2 ? true : undefined;
      }, 'both stable pods answering through Nginx');
      expect(sum(await answers(200, '/'), stable)).toBe(200);
      expect(
        sum(await answers(50, '/beta/', { 'X-Beta': 'yes' }), stable),
      ).toBe(50);

      createDeployment('basket-canary', 1, 'canary');
      const [canary] = await eventually(() => {
        const now = readyPods('basket-canary');
        return now.length === 1 ? now : undefined;
      }, 'a ready canary pod');
      await eventually(
        () =>
          host.readLive(CANARY_FILE).includes(`server ${canary.ip}:${podPort} `)
            ? true
            : undefined,
        'the canary pod in the canary member file Nginx reads',
      );
      // The canary pod is never a stable member.
      expect(
        host.readLive('members/test/default/basket/app.conf'),
      ).not.toContain(canary.ip);
      await eventually(async () => {
        const byPod = await answers(20, '/beta/', { 'X-Beta': 'yes' });
        return byPod.get(canary.name) === 20 ? true : undefined;
      }, 'Nginx to run the reloaded config');

      const started = Date.now();
      const byPod = await answers(REQUESTS, '/');
      const share = (byPod.get(canary.name) ?? 0) / REQUESTS;
      process.stdout.write(
        `10 % canary through Nginx: ${(share * 100).toFixed(
          2,
        )} % of ${REQUESTS} requests on the canary pod (${
          Date.now() - started
        } ms)\n`,
      );
      expect(share).toBeGreaterThanOrEqual(0.07);
      expect(share).toBeLessThanOrEqual(0.13);
      expect(sum(byPod, [...stable, canary.name])).toBe(REQUESTS);
      // Every request with the header value reaches the canary; other values and
      // requests without it reach stable.
      expect(
        (await answers(500, '/beta/', { 'X-Beta': 'yes' })).get(canary.name),
      ).toBe(500);
      expect(
        sum(await answers(200, '/beta/', { 'X-Beta': 'YES' }), stable),
      ).toBe(200);
      expect(sum(await answers(200, '/beta/'), stable)).toBe(200);
      // The Traffic tab's view lists the canary pod apart from the stable ones.
      const view = await fetch(`${k2.url}${siteApi}`, { headers: alice }).then(
        res => res.json(),
      );
      expect(view.canaryMembers).toEqual([
        {
          address: canary.ip,
          port: podPort,
          cluster: 'test',
          pod: canary.name,
        },
      ]);
      expect(view.podMembers.map((m: { pod: string }) => m.pod).sort()).toEqual(
        stable,
      );

      // The canary is aborted: its Deployment and pods go, and every request is on
      // stable again without anyone publishing.
      k2.sandbox.registry.delete(deployments(), 'shop', 'basket-canary');
      await eventually(
        async () => {
          const [all, beta] = await Promise.all([
            answers(200, '/'),
            answers(50, '/beta/', { 'X-Beta': 'yes' }),
          ]);
          return sum(all, stable) === 200 && sum(beta, stable) === 50
            ? true
            : undefined;
        },
        'every request on stable once the canary pods are gone',
        15_000,
      );
      expect(host.readLive(CANARY_FILE)).not.toContain(canary.ip);
      expect(await versions()).toBe(1);
    },
  );

  itWithNginx(
    'refuses a bad canary route naming the field, and publishes nothing',
    async () => {
      const before = await k2.status('edge', 'nginx-1');
      const refusal = async (body: object) => {
        const res = await fetch(`${k2.url}${siteApi}/versions`, {
          method: 'POST',
          headers: alice,
          body: JSON.stringify({ site: body, message: 'Bad canary' }),
        });
        return {
          status: res.status,
          message: (await res.json()).error.message,
        };
      };
      expect(
        await refusal(
          site(
            { kind: 'weight', percent: 100 },
            { kind: 'header', name: 'X-Beta', value: 'yes' },
          ),
        ),
      ).toEqual({
        status: 400,
        message:
          'site.upstreams[0].canary.percent: must be a whole number from 1 to 99 (the share of requests the canary gets)',
      });
      expect(
        await refusal(
          site(
            { kind: 'weight', percent: 10 },
            { kind: 'header', name: 'x; return 200', value: 'yes' },
          ),
        ),
      ).toEqual({
        status: 400,
        message:
          "site.upstreams[1].canary.name: a header name is a letter, then up to 63 letters, digits or '-'",
      });
      expect(
        await refusal(
          site(
            { kind: 'weight', percent: 10 },
            { kind: 'cookie', name: 'beta', value: 'a"b' },
          ),
        ),
      ).toEqual({
        status: 400,
        message:
          "site.upstreams[1].canary.value: 1 to 64 letters, digits or '.', '_', '~', '-'",
      });
      expect(await versions()).toBe(1);
      expect((await k2.status('edge', 'nginx-1')).version).toBe(before.version);
    },
  );
});
