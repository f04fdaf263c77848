import fs from 'fs';
import path from 'path';
import { parseAgentConfig } from './config';
import { K2Client } from './K2Client';
import { LiveConfig } from './LiveConfig';
import { createJsonLogger } from './log';
import { NginxAgent } from './NginxAgent';
import {
  AgentProcess,
  NGINX,
  NginxHost,
  eventually,
  freePort,
  request,
  spawnAgent,
  startLoad,
  startUpstream,
} from './__testUtils__';
import {
  basketSite,
  loopbackTemplates,
  startTrafficBackend,
} from './__testUtils__/trafficBackend';

const itWithNginx = NGINX ? it : it.skip;
/** Cluster `edge` serves environment test; the in-process agent's. */
const EDGE_TOKEN = 'edge-agent-token-0123456789abcdef0123';
/** Cluster `edge-b` serves environment stage; the agent processes'. */
const EDGE_B_TOKEN = 'edge-b-agent-token-0123456789abcdef01';
/** A certificate K2's config names, at paths this Nginx host does not have. */
const MISSING_CERT = '/nonexistent/k2-agent-test/basket.crt';
const MISSING_KEY = '/nonexistent/k2-agent-test/basket.key';

// Starting a Backstage backend takes minutes when the suite keeps both cores busy.
jest.setTimeout(300_000);

/**
 * The agent against K2's real Traffic backend: its OpenAPI-validated agent routes, its
 * bundles (rendered from published sites, hashed, gated by the backend's own nginx -t),
 * its 25 s long poll, and its record of what each host applied.
 */
describe('k2-nginx-agent against the real k2-traffic backend and a real Nginx', () => {
  let k2: Awaited<ReturnType<typeof startTrafficBackend>>;
  let templates: string;
  let httpPort: number;
  const upstreams: Array<Awaited<ReturnType<typeof startUpstream>>> = [];

  beforeAll(async () => {
    if (!NGINX) return;
    templates = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'k2-tpl-'));
    httpPort = await freePort();
    loopbackTemplates(templates, httpPort, await freePort());
    upstreams.push(
      await startUpstream('basket v1'),
      await startUpstream('basket v2'),
    );
    k2 = await startTrafficBackend({
      templatesDirectory: templates,
      clusters: [
        {
          name: 'edge',
          environment: 'test',
          hosts: ['nginx-1'],
          token: EDGE_TOKEN,
          certificates: [
            { name: 'basket', certificate: MISSING_CERT, key: MISSING_KEY },
          ],
        },
        {
          name: 'edge-b',
          environment: 'stage',
          hosts: ['nginx-b'],
          token: EDGE_B_TOKEN,
        },
      ],
    });
  });

  afterAll(async () => {
    if (!NGINX) return;
    await k2?.stop();
    await Promise.all(upstreams.map(u => u.close()));
    fs.rmSync(templates, { recursive: true, force: true });
  });

  /** The first state of `cluster` where the host has reported and `check` holds. */
  const hostState = (
    cluster: string,
    host: string,
    what: string,
    check: (s: Awaited<ReturnType<typeof k2.status>>) => boolean,
  ) =>
    eventually(async () => {
      const s = await k2.status(cluster, host);
      return s.host.reportedAt && check(s) ? s : undefined;
    }, what);

  describe('one agent in this process', () => {
    let host: NginxHost;
    let stopAgent: () => Promise<void>;
    const lines: string[] = [];
    const DOMAIN = 'basket.test.k2.example.com';
    const answers = async () => (await request(httpPort, DOMAIN)).body;

    beforeAll(async () => {
      if (!NGINX) return;
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
        { K2_AGENT_TOKEN: EDGE_TOKEN },
      );
      if (config === 'help') throw new Error('unexpected help');
      const agent = new NginxAgent({
        ...config,
        live: await LiveConfig.open(config),
        client: new K2Client(config),
        log: createJsonLogger([EDGE_TOKEN], line => lines.push(line)),
      });
      const running = agent.run();
      stopAgent = async () => {
        agent.stop();
        await running;
      };
      await host.start();
    });

    afterAll(async () => {
      if (!NGINX) return;
      await stopAgent?.();
      await host?.stop();
    });

    itWithNginx(
      "applies each published bundle, serves it, refuses one the host's nginx -t rejects, and K2 shows what the host runs",
      async () => {
        // The cluster's first bundle (no site yet) is applied and reported.
        const empty = await hostState(
          'edge',
          'nginx-1',
          'the first bundle applied',
          s => s.host.appliedVersion === s.version,
        );
        expect(empty.host.drift).toBe(false);

        await k2.publish('test', basketSite(upstreams[0].port), 'Basket');
        const v1 = await hostState(
          'edge',
          'nginx-1',
          'the published bundle applied',
          s =>
            s.version !== empty.version && s.host.appliedVersion === s.version,
        );
        expect(v1.host).toEqual({
          name: 'nginx-1',
          appliedVersion: v1.version,
          reportedAt: expect.any(String),
          drift: false,
        });
        // The test domain K2 gave the site reaches its member through Nginx.
        await eventually(
          async () => ((await answers()) === 'basket v1' ? true : undefined),
          `nginx to proxy ${DOMAIN}`,
        );
        expect(host.readLive('k2.conf')).toContain(
          'include k2/sites/test/default/basket.conf;',
        );

        // The next version moves the site to the other member; requests arriving
        // throughout the swap and the graceful reload all succeed.
        const load = startLoad(httpPort, DOMAIN);
        await k2.publish('test', basketSite(upstreams[1].port), 'Move');
        const v2 = await hostState(
          'edge',
          'nginx-1',
          'the second bundle applied',
          s => s.version !== v1.version && s.host.appliedVersion === s.version,
        );
        await eventually(
          async () => ((await answers()) === 'basket v2' ? true : undefined),
          'nginx to proxy to the new member',
        );
        await new Promise(resolve => setTimeout(resolve, 500));
        const underLoad = await load.stop();
        expect(underLoad.failures).toEqual([]);
        expect(underLoad.bodies).toEqual(['basket v1', 'basket v2']);
        expect(underLoad.ok).toBeGreaterThan(50);

        // K2's nginx -t passes (it checks with a certificate of its own), but this host
        // has no file at the certificate's path: the host's nginx -t refuses.
        await k2.publish(
          'test',
          basketSite(upstreams[0].port, { certificate: 'basket' }),
          'HTTPS',
        );
        const refused = await hostState(
          'edge',
          'nginx-1',
          "the host's refusal",
          s => s.version !== v2.version && Boolean(s.host.error),
        );
        // The host still runs the version it applied before; K2 shows the drift.
        expect(refused.host).toEqual({
          name: 'nginx-1',
          appliedVersion: v2.version,
          reportedAt: expect.any(String),
          error: expect.stringContaining(
            `nginx -t rejected the bundle:\n[emerg] cannot load certificate "${MISSING_CERT}"`,
          ),
          drift: true,
        });
        expect(refused.host.error).not.toContain('.k2-agent');
        expect(host.readLive('sites/test/default/basket.conf')).not.toContain(
          'ssl_certificate',
        );
        expect(await answers()).toBe('basket v2');

        // The next good version is applied again; the drift is gone.
        await k2.publish('test', basketSite(upstreams[0].port), 'Plain HTTP');
        const fixed = await hostState(
          'edge',
          'nginx-1',
          'the fixed bundle applied',
          s =>
            s.version !== refused.version &&
            s.host.appliedVersion === s.version,
        );
        expect(fixed.host).toEqual({
          name: 'nginx-1',
          appliedVersion: fixed.version,
          reportedAt: expect.any(String),
          drift: false,
        });
        await eventually(
          async () => ((await answers()) === 'basket v1' ? true : undefined),
          'nginx to proxy to the first member again',
        );
        expect(lines.join('')).not.toContain(EDGE_TOKEN);
      },
    );
  });

  describe('the agent as a process', () => {
    let host: NginxHost;
    const agents: AgentProcess[] = [];
    const DOMAIN = 'basket.stage.k2.example.com';
    const answers = async () => (await request(httpPort, DOMAIN)).body;
    const answering = (body: string) =>
      eventually(
        async () => ((await answers()) === body ? true : undefined),
        `nginx to answer '${body}'`,
      );
    const applied = (what: string, check: (version: string) => boolean) =>
      hostState(
        'edge-b',
        'nginx-b',
        what,
        s =>
          s.host.appliedVersion === s.version &&
          Boolean(s.version && check(s.version)),
      );
    const start = (extra: string[] = []) => {
      const a = spawnAgent(
        [
          ...host.agentArgs,
          '--k2-url',
          k2.url,
          '--cluster',
          'edge-b',
          '--host',
          'nginx-b',
          ...extra,
        ],
        EDGE_B_TOKEN,
      );
      agents.push(a);
      return a;
    };
    const stop = async (a: AgentProcess) => {
      const at = Date.now();
      a.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      return Date.now() - at;
    };

    beforeAll(() => {
      if (!NGINX) return;
      host = new NginxHost();
    });

    afterAll(async () => {
      if (!NGINX) return;
      for (const a of agents) {
        if (a.running()) a.kill();
        await a.exited;
      }
      await host?.stop();
    });

    itWithNginx(
      'stops on SIGTERM mid long poll; killed between stage and swap or between swap and reload, the next start converges; never prints the token',
      async () => {
        await k2.publish('stage', basketSite(upstreams[0].port), 'Basket');
        const first = start();
        await eventually(
          () =>
            fs.existsSync(path.join(host.confDir, 'k2')) ? true : undefined,
          'the agent to create k2',
        );
        await host.start();
        const v1 = await applied('v1 applied', () => true);
        await answering('basket v1');

        // K2 holds the agent's long poll for 25 s; SIGTERM does not wait for it.
        expect(await stop(first)).toBeLessThan(5000);
        expect(first.stdout()).toContain('"msg":"agent stopped"');

        // Killed while nginx -t runs on the staged v2: between stage and swap.
        const liveLink = fs.readlinkSync(path.join(host.confDir, 'k2'));
        const testing = path.join(host.prefix, 'testing');
        const slowTest = path.join(host.prefix, 'slow-test-nginx');
        fs.writeFileSync(
          slowTest,
          [
            '#!/bin/sh',
            'for a in "$@"; do',
            `  if [ "$a" = "-t" ]; then touch '${testing}'; exec sleep 60; fi`,
            'done',
            `exec '${NGINX}' "$@"`,
            '',
          ].join('\n'),
          { mode: 0o755 },
        );
        await k2.publish('stage', basketSite(upstreams[1].port), 'Move');
        const killedInTest = start(['--nginx', slowTest]);
        await eventually(
          () => (fs.existsSync(testing) ? true : undefined),
          'the agent to test v2',
        );
        killedInTest.kill();
        await killedInTest.exited;
        expect(fs.readlinkSync(path.join(host.confDir, 'k2'))).toBe(liveLink);
        expect(
          fs.readdirSync(path.join(host.confDir, '.k2-agent', 'releases')),
        ).toHaveLength(2);
        expect(await answers()).toBe('basket v1');
        expect((await k2.status('edge-b', 'nginx-b')).host).toMatchObject({
          appliedVersion: v1.version,
          drift: true,
        });

        // The next start removes the leftovers and applies v2.
        const second = start();
        const v2 = await applied('v2 applied', v => v !== v1.version);
        await answering('basket v2');
        expect(fs.readdirSync(path.join(host.confDir, '.k2-agent'))).toEqual([
          'releases',
        ]);
        expect(
          fs.readdirSync(path.join(host.confDir, '.k2-agent', 'releases')),
        ).toHaveLength(1);
        await stop(second);

        // Killed after v3 is swapped in, before Nginx is told: a reload command that
        // works once (the agent's start) and then hangs.
        const reloading = path.join(host.prefix, 'reloading');
        const once = path.join(host.prefix, 'reloaded-once');
        const slowReload = path.join(host.prefix, 'slow-reload');
        fs.writeFileSync(
          slowReload,
          [
            '#!/bin/sh',
            `if [ -e '${once}' ]; then touch '${reloading}'; exec sleep 60; fi`,
            `touch '${once}'`,
            `exec '${NGINX}' -p '${host.prefix}' -c '${host.nginxConf}' -s reload`,
            '',
          ].join('\n'),
          { mode: 0o755 },
        );
        await k2.publish(
          'stage',
          {
            ...basketSite(upstreams[0].port),
            upstreams: [
              {
                name: 'app',
                method: 'least_conn',
                members: [{ address: '127.0.0.1', port: upstreams[0].port }],
              },
            ],
          },
          'Back to the first member',
        );
        const killedInReload = start(['--reload-command', slowReload]);
        await eventually(
          () => (fs.existsSync(reloading) ? true : undefined),
          'the agent to reload for v3',
        );
        killedInReload.kill();
        await killedInReload.exited;
        expect(
          host.readLive('members/stage/default/basket/app.conf'),
        ).toContain(`server 127.0.0.1:${upstreams[0].port}`);
        expect(await answers()).toBe('basket v2');

        // The next start reloads Nginx, which then serves what is live.
        const third = start();
        await applied('v3 applied', v => v !== v1.version && v !== v2.version);
        await answering('basket v1');
        await stop(third);

        for (const a of agents) {
          expect(a.stdout() + a.stderr()).not.toContain(EDGE_B_TOKEN);
          for (const line of a.stdout().trim().split('\n')) {
            expect(JSON.parse(line)).toMatchObject({
              time: expect.any(String),
              level: expect.stringMatching(/^(info|warn|error)$/),
              msg: expect.any(String),
            });
          }
        }
      },
    );
  });
});
