import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
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
const TOKEN = 'cli-token-9e8d7c6b5a';
const ENTRY = path.resolve(__dirname, 'index.ts');
const TRANSFORM = require.resolve('@backstage/cli/config/nodeTransform.cjs');

jest.setTimeout(120_000);

/** The agent as a host runs it: its own process (group), token from the environment. */
function spawnAgent(args: string[]) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', TRANSFORM, ENTRY, ...args],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, K2_AGENT_TOKEN: TOKEN },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', d => (stdout += d));
  child.stderr!.on('data', d => (stderr += d));
  const exited = new Promise<number | null>(resolve =>
    child.on('exit', code => resolve(code)),
  );
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** The whole process group, so an nginx -t it started dies with it. */
    kill: () => process.kill(-child.pid!, 'SIGKILL'),
  };
}

describe('k2-nginx-agent as a process against a real nginx', () => {
  let host: NginxHost;
  let k2: StandInK2;
  const agents: Array<ReturnType<typeof spawnAgent>> = [];
  const upstreams: Array<{ port: number; close(): Promise<void> }> = [];

  beforeEach(async () => {
    if (!NGINX) return;
    host = new NginxHost();
    // Long polls stay open for as long as a test runs, as K2's do for 25 s.
    k2 = new StandInK2({
      cluster: 'edge',
      hosts: ['nginx-1'],
      token: TOKEN,
      holdMs: 60_000,
    });
    await k2.start();
    upstreams.push(await startUpstream('blue'), await startUpstream('green'));
  });

  afterEach(async () => {
    if (!NGINX) return;
    for (const a of agents.splice(0)) {
      if (a.child.exitCode === null && a.child.signalCode === null) a.kill();
      await a.exited;
    }
    await k2.stop();
    await host.stop();
    await Promise.all(upstreams.splice(0).map(u => u.close()));
  });

  itWithNginx(
    'stops on SIGTERM, survives a kill between staging and swapping with the live config intact, converges on restart, and never prints the token',
    async () => {
      const listenPort = await freePort();
      const bundle = (upstream: number) =>
        siteBundle({
          listenPort,
          domain: 'shop.test.k2.local',
          upstreamPort: upstreams[upstream].port,
        });
      const servedBy = (name: string) =>
        eventually(
          async () =>
            (await request(listenPort, 'shop.test.k2.local')).body === name
              ? true
              : undefined,
          `nginx to answer '${name}'`,
        );
      const args = (nginx: string) => [
        ...host.agentArgs,
        '--nginx',
        nginx,
        '--k2-url',
        k2.url,
        '--cluster',
        'edge',
        '--host',
        'nginx-1',
        '--retry-min-ms',
        '100',
      ];
      const start = (nginx = NGINX!) => {
        const a = spawnAgent(args(nginx));
        agents.push(a);
        return a;
      };

      // First start: K2 first answers with an error that quotes the token.
      k2.failNext = {
        count: 1,
        status: 401,
        message: `token ${TOKEN} is not valid`,
      };
      k2.publish('v1', bundle(0));
      const first = start();
      await eventually(
        () => (fs.existsSync(path.join(host.confDir, 'k2')) ? true : undefined),
        'the agent to create k2',
      );
      await host.start();
      await k2.waitForReport(r => r.version === 'v1' && r.ok);
      await servedBy('blue');

      // SIGTERM ends the open long poll and the process.
      await eventually(
        () => (k2.pulls.at(-1)?.after === 'v1' ? true : undefined),
        'a long poll past v1',
      );
      const stopAt = Date.now();
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(Date.now() - stopAt).toBeLessThan(5000);
      expect(first.stdout()).toContain('"msg":"agent stopped"');
      expect(first.stdout()).toContain('[redacted] is not valid');

      // Killed while nginx -t runs on the staged v2: between stage and swap.
      const liveLink = fs.readlinkSync(path.join(host.confDir, 'k2'));
      const mark = path.join(host.prefix, 'testing');
      const slowNginx = path.join(host.prefix, 'slow-nginx');
      fs.writeFileSync(
        slowNginx,
        [
          '#!/bin/sh',
          'for a in "$@"; do',
          `  if [ "$a" = "-t" ]; then touch '${mark}'; exec sleep 60; fi`,
          'done',
          `exec '${NGINX}' "$@"`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      k2.publish('v2', bundle(1));
      const killed = start(slowNginx);
      await eventually(
        () => (fs.existsSync(mark) ? true : undefined),
        'the agent to test v2',
      );
      killed.kill();
      await killed.exited;
      expect(fs.readlinkSync(path.join(host.confDir, 'k2'))).toBe(liveLink);
      expect(host.readLive('upstreams/shop.members')).toBe(
        `server 127.0.0.1:${upstreams[0].port};\n`,
      );
      expect(
        fs.readdirSync(path.join(host.confDir, '.k2-agent', 'releases')),
      ).toHaveLength(2);
      expect(await request(listenPort, 'shop.test.k2.local')).toEqual({
        status: 200,
        body: 'blue',
      });
      expect(k2.reports.filter(r => r.version === 'v2')).toEqual([]);

      // The next start reports what is live, cleans up, and applies v2.
      const restarted = start();
      await k2.waitForReport(r => r.version === 'v2');
      // v1 applied by the first agent, then re-reported by each start; v2 once.
      expect(k2.reports.map(r => [r.version, r.ok])).toEqual([
        ['v1', true],
        ['v1', true],
        ['v1', true],
        ['v2', true],
      ]);
      await servedBy('green');
      expect(fs.readdirSync(path.join(host.confDir, '.k2-agent'))).toEqual([
        'releases',
      ]);
      expect(
        fs.readdirSync(path.join(host.confDir, '.k2-agent', 'releases')),
      ).toHaveLength(1);
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);

      for (const a of [first, killed, restarted]) {
        expect(a.stdout() + a.stderr()).not.toContain(TOKEN);
        for (const line of a.stdout().trim().split('\n')) {
          expect(JSON.parse(line)).toMatchObject({
            time: expect.any(String),
            level: expect.stringMatching(/^(info|warn|error)$/),
            msg: expect.any(String),
          });
        }
      }
      expect(k2.pulls.every(p => p.authorization === `Bearer ${TOKEN}`)).toBe(
        true,
      );
    },
  );
  itWithNginx(
    'killed between swapping and reloading, the next start reloads Nginx so it serves what is live',
    async () => {
      const listenPort = await freePort();
      const bundle = (upstream: number) =>
        siteBundle({
          listenPort,
          domain: 'shop.test.k2.local',
          upstreamPort: upstreams[upstream].port,
        });
      const served = async () =>
        (await request(listenPort, 'shop.test.k2.local')).body;
      const start = (nginx: string, reloadCommand?: string) => {
        const a = spawnAgent([
          ...host.agentArgs,
          '--nginx',
          nginx,
          ...(reloadCommand ? ['--reload-command', reloadCommand] : []),
          '--k2-url',
          k2.url,
          '--cluster',
          'edge',
          '--host',
          'nginx-1',
        ]);
        agents.push(a);
        return a;
      };

      k2.publish('v1', bundle(0));
      const first = start(NGINX!);
      await eventually(
        () => (fs.existsSync(path.join(host.confDir, 'k2')) ? true : undefined),
        'the agent to create k2',
      );
      await host.start();
      await k2.waitForReport(r => r.version === 'v1' && r.ok);
      await eventually(
        async () => ((await served()) === 'blue' ? true : undefined),
        "nginx to answer 'blue'",
      );
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      // A reload command that works once (the start's), then hangs: the agent is
      // killed after v2 is swapped in, before Nginx is told.
      const mark = path.join(host.prefix, 'reloading');
      const once = path.join(host.prefix, 'reloaded-once');
      const slowReload = path.join(host.prefix, 'slow-reload');
      fs.writeFileSync(
        slowReload,
        [
          '#!/bin/sh',
          `if [ -e '${once}' ]; then touch '${mark}'; exec sleep 60; fi`,
          `touch '${once}'`,
          `exec '${NGINX}' -p '${host.prefix}' -c '${host.nginxConf}' -s reload`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      k2.publish('v2', bundle(1));
      const killed = start(NGINX!, slowReload);
      await eventually(
        () => (fs.existsSync(mark) ? true : undefined),
        'the agent to reload for v2',
      );
      killed.kill();
      await killed.exited;
      expect(host.readLive('upstreams/shop.members')).toBe(
        `server 127.0.0.1:${upstreams[1].port};\n`,
      );
      expect(await served()).toBe('blue');
      expect(k2.reports.filter(r => r.version === 'v2')).toEqual([]);

      start(NGINX!);
      await k2.waitForReport(r => r.version === 'v2');
      await eventually(
        async () => ((await served()) === 'green' ? true : undefined),
        "nginx to answer 'green'",
      );
      expect(k2.reports.map(r => [r.version, r.ok])).toEqual([
        ['v1', true],
        ['v1', true],
        ['v2', true],
      ]);
    },
  );
});
