import fs from 'fs';
import path from 'path';
import {
  AgentProcess,
  NGINX,
  NginxHost,
  StandInK2,
  eventually,
  freePort,
  siteBundle,
  spawnAgent,
  startUpstream,
} from './__testUtils__';

const itWithNginx = NGINX ? it : it.skip;
const TOKEN = 'cli-token-9e8d7c6b5a-0123456789abcdef';

jest.setTimeout(120_000);

/**
 * The process's output when K2 misbehaves in a way the real backend never does: its
 * error message quotes the token (the process tests against the real backend are in
 * k2TrafficBackend.test.ts).
 */
describe('k2-nginx-agent as a process, against a stand-in K2 that quotes the token', () => {
  let host: NginxHost;
  let k2: StandInK2;
  let agent: AgentProcess | undefined;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;

  beforeEach(async () => {
    if (!NGINX) return;
    host = new NginxHost();
    k2 = new StandInK2({
      cluster: 'edge',
      hosts: ['nginx-1'],
      token: TOKEN,
      holdMs: 60_000,
    });
    await k2.start();
    upstream = await startUpstream('blue');
  });

  afterEach(async () => {
    if (!NGINX) return;
    if (agent?.running()) agent.kill();
    await agent?.exited;
    await k2.stop();
    await host.stop();
    await upstream.close();
  });

  itWithNginx(
    'prints JSON lines only, with the token redacted even where K2 echoes it',
    async () => {
      k2.failNext = {
        count: 1,
        status: 401,
        message: `token ${TOKEN} is not valid`,
      };
      k2.publish(
        'v1',
        siteBundle({
          listenPort: await freePort(),
          domain: 'shop.test.k2.local',
          upstreamPort: upstream.port,
        }),
      );
      agent = spawnAgent(
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
        ],
        TOKEN,
      );
      await eventually(
        () => (fs.existsSync(path.join(host.confDir, 'k2')) ? true : undefined),
        'the agent to create k2',
      );
      await host.start();
      await k2.waitForReport(r => r.version === 'v1' && r.ok);
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);

      const lines = agent
        .stdout()
        .trim()
        .split('\n')
        .map(l => JSON.parse(l));
      expect(lines.find(l => l.msg === 'K2 refused the agent')).toMatchObject({
        level: 'error',
        error: `K2 refused the agent token for cluster 'edge' (401): token [redacted] is not valid`,
      });
      expect(lines.map(l => l.msg)).toEqual(
        expect.arrayContaining([
          'agent started',
          'bundle applied',
          'reported to K2',
          'stopping',
          'agent stopped',
        ]),
      );
      for (const line of lines) {
        expect(line).toMatchObject({
          time: expect.any(String),
          level: expect.stringMatching(/^(info|warn|error)$/),
          msg: expect.any(String),
        });
      }
      expect(agent.stdout() + agent.stderr()).not.toContain(TOKEN);
      // The stand-in did receive it, in the Authorization header only.
      expect(k2.pulls.at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);
    },
  );
});
