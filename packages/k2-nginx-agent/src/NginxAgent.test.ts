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
  StandInK2,
  eventually,
  freePort,
  request,
  siteBundle,
  startUpstream,
} from './__testUtils__';

const itWithNginx = NGINX ? it : it.skip;
const TOKEN = 'agent-token-4f1c9b7e2d-0123456789abcdef';

jest.setTimeout(60_000);

/** The agent as its CLI wires it, in this process, logging into `lines`. */
async function startAgent(host: NginxHost, k2: StandInK2) {
  const lines: string[] = [];
  const config = parseAgentConfig(
    [
      ...host.agentArgs,
      '--k2-url',
      k2.url,
      '--cluster',
      'edge',
      '--host',
      'nginx-1',
      '--retry-min-ms',
      '100',
      '--retry-max-ms',
      '800',
    ],
    { K2_AGENT_TOKEN: TOKEN },
  );
  if (config === 'help') throw new Error('unexpected help');
  const live = await LiveConfig.open(config);
  const agent = new NginxAgent({
    ...config,
    live,
    client: new K2Client(config),
    log: createJsonLogger([TOKEN], line => lines.push(line)),
  });
  const running = agent.run();
  return {
    lines,
    logged: () => lines.map(l => JSON.parse(l)),
    stop: async () => {
      agent.stop();
      await running;
    },
  };
}

/**
 * What the real backend (k2TrafficBackend.test.ts) cannot be made to do: go down, send
 * a wrong hash, or answer long polls in 300 ms instead of 25 s (so that a refused
 * version retried in a loop would show within a second).
 */
describe('NginxAgent against a real nginx and a stand-in for K2', () => {
  let host: NginxHost;
  let k2: StandInK2;
  let agent: Awaited<ReturnType<typeof startAgent>>;
  let listenPort: number;
  const upstreams: Array<{ port: number; close(): Promise<void> }> = [];

  beforeEach(async () => {
    if (!NGINX) return;
    host = new NginxHost();
    k2 = new StandInK2({
      cluster: 'edge',
      hosts: ['nginx-1'],
      token: TOKEN,
      holdMs: 300,
    });
    await k2.start();
    listenPort = await freePort();
    agent = await startAgent(host, k2);
    // As on a host: the agent's first start makes `k2` exist, then nginx starts.
    await host.start();
    upstreams.push(await startUpstream('blue'), await startUpstream('green'));
  });

  afterEach(async () => {
    if (!NGINX) return;
    await agent.stop();
    await k2.stop();
    await host.stop();
    await Promise.all(upstreams.splice(0).map(u => u.close()));
  });

  const serve = (upstream: number) =>
    siteBundle({
      listenPort,
      domain: 'shop.test.k2.local',
      upstreamPort: upstreams[upstream].port,
    });
  const through = () => request(listenPort, 'shop.test.k2.local');
  const servedBy = (name: string) =>
    eventually(
      async () => ((await through()).body === name ? true : undefined),
      `nginx to answer '${name}'`,
    );

  itWithNginx(
    'never makes live a bundle nginx -t rejects, reports why once, and applies the next good version',
    async () => {
      k2.publish('v1', serve(0));
      await k2.waitForReport(r => r.version === 'v1' && r.ok);
      await servedBy('blue');
      const liveBefore = fs.readlinkSync(path.join(host.confDir, 'k2'));

      // Valid k2.conf; the error is in a file it includes relatively, which nginx -t
      // must read from the staged bundle, not from the live one.
      const broken = siteBundle({
        listenPort,
        domain: 'shop.test.k2.local',
        upstreamPort: upstreams[1].port,
        extra: 'proxy_bogus_directive on;',
      });
      k2.publish('v2', broken);
      const refused = await k2.waitForReport(r => r.version === 'v2');
      expect(refused.ok).toBe(false);
      // nginx's words, naming the bundle file as K2 knows it: no temp path, no pid.
      expect(refused.error).toBe(
        [
          'nginx -t rejected the bundle:',
          '[emerg] unknown directive "proxy_bogus_directive" in k2/sites/shop.conf:9',
          'nginx: configuration file nginx.conf test failed',
        ].join('\n'),
      );

      expect(fs.readlinkSync(path.join(host.confDir, 'k2'))).toBe(liveBefore);
      expect(host.readLive('sites/shop.conf')).not.toContain('bogus');
      expect(await through()).toEqual({ status: 200, body: 'blue' });

      // Not retried in a loop: the agent polls past v2 and reports it once (K2 would
      // hold each of these polls for 25 s; the stand-in answers in 300 ms).
      const pullsAfterRefusal = k2.pulls.length;
      await eventually(
        () => (k2.pulls.length >= pullsAfterRefusal + 3 ? true : undefined),
        'three more long polls',
      );
      expect(k2.reports.filter(r => r.version === 'v2')).toHaveLength(1);
      expect(k2.pulls.slice(pullsAfterRefusal).map(p => p.after)).toEqual(
        expect.arrayContaining(['v2']),
      );
      expect(
        k2.pulls.slice(pullsAfterRefusal).every(p => p.after === 'v2'),
      ).toBe(true);

      k2.publish('v3', serve(1));
      await k2.waitForReport(r => r.version === 'v3' && r.ok);
      await servedBy('green');
      // The first pull named no version; every request carried the cluster token.
      expect(k2.pulls[0].after).toBeNull();
      expect(k2.pulls.every(p => p.authorization === `Bearer ${TOKEN}`)).toBe(
        true,
      );
    },
  );

  itWithNginx(
    'refuses a bundle whose files do not hash to its announced hash',
    async () => {
      k2.publish('v1', serve(0));
      await k2.waitForReport(r => r.version === 'v1' && r.ok);
      await servedBy('blue');

      const files = Object.entries(serve(1)).map(([p, content]) => ({
        path: p,
        content,
      }));
      k2.publishRaw({
        cluster: 'edge',
        version: 'v2',
        hash: `sha256:${'0'.repeat(64)}`,
        files,
      });
      const refused = await k2.waitForReport(r => r.version === 'v2');
      expect(refused.ok).toBe(false);
      expect(refused.error).toMatch(
        /^hash mismatch: the bundle announces sha256:0{64}, its files hash to sha256:[0-9a-f]{64}$/,
      );
      expect(host.readLive('upstreams/shop.members')).toBe(
        `server 127.0.0.1:${upstreams[0].port};\n`,
      );
      expect(await through()).toEqual({ status: 200, body: 'blue' });
    },
  );

  itWithNginx(
    'backs off with jitter while K2 is down, keeps nginx serving, and converges when K2 is back',
    async () => {
      k2.publish('v1', serve(0));
      await k2.waitForReport(r => r.version === 'v1' && r.ok);
      await servedBy('blue');

      await k2.stop();
      const down = () => agent.logged().filter(l => l.msg === 'K2 unreachable');
      const retries = await eventually(
        () => (down().length >= 4 ? down() : undefined),
        'four failed attempts',
      );
      // The open long poll is cut, then the port refuses connections.
      expect(retries[1].error).toContain('ECONNREFUSED');
      // Delays grow from [50, 100] ms towards the 800 ms cap, each within [cap/2, cap].
      retries.slice(0, 4).forEach((r, i) => {
        const cap = Math.min(800, 100 * 2 ** i);
        expect(r.retryInMs).toBeGreaterThanOrEqual(cap / 2);
        expect(r.retryInMs).toBeLessThanOrEqual(cap);
      });
      expect(await through()).toEqual({ status: 200, body: 'blue' });

      k2.publish('v2', serve(1));
      await k2.start();
      await k2.waitForReport(r => r.version === 'v2' && r.ok);
      await servedBy('green');
      expect(agent.lines.join('')).not.toContain(TOKEN);
    },
  );
  itWithNginx(
    'drops a report K2 refuses as invalid (400) instead of sending it forever, and reports the next version',
    async () => {
      k2.failReports = { count: 1, status: 400, message: 'version too long' };
      k2.publish('v1', serve(0));
      await servedBy('blue');
      await eventually(
        () =>
          agent.logged().find(l => l.msg === 'report dropped')
            ? true
            : undefined,
        'the report to be dropped',
      );
      expect(
        agent.logged().find(l => l.msg === 'report dropped'),
      ).toMatchObject({
        level: 'error',
        version: 'v1',
        error: 'K2 refused the report as invalid (400): version too long',
      });
      const pulls = k2.pulls.length;
      await eventually(
        () => (k2.pulls.length >= pulls + 2 ? true : undefined),
        'two more long polls',
      );
      expect(k2.refusedReports.map(r => r.version)).toEqual(['v1']);
      expect(k2.reports).toEqual([]);

      k2.publish('v2', serve(1));
      await k2.waitForReport(r => r.version === 'v2' && r.ok);
    },
  );
});
