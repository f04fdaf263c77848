import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { NGINX, haveNginx, itWithNginx } from '../__testUtils__/nginx';
import {
  CanaryRoute,
  canaryRouteVariable,
  canaryUpstreamName,
  renderCanaryRoute,
  validateCanaryRoute,
} from './canary';
import { upstreamName } from './upstreamName';
import { freePort } from '@internal/sandbox-cluster';

const site = { service: 'component:default/basket', environment: 'test' };

/**
 * A member answering every request with its name, as a pod of the track would, and
 * the request target it received in `x-received`.
 */
async function startMember(name: string) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, {
      'content-type': 'text/plain',
      'x-received': req.url ?? '',
    });
    res.end(name);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A real nginx on loopback serving one server per route: each proxies `/` to the
 * route's variable, between a stable upstream (two members) and a canary upstream
 * (one member), as a site with a canary is rendered.
 */
async function startNginx(
  routes: Array<{ upstream: string; route: CanaryRoute; port: number }>,
  members: { stable: number[]; canary: number[] },
) {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-canary-'));
  fs.mkdirSync(path.join(prefix, 'logs'));
  const blocks = routes.flatMap(({ upstream, route, port }) => [
    `upstream ${upstreamName(site, upstream)} {`,
    ...members.stable.map(p => `    server 127.0.0.1:${p};`),
    '}',
    `upstream ${canaryUpstreamName(site, upstream)} {`,
    ...members.canary.map(p => `    server 127.0.0.1:${p};`),
    '}',
    renderCanaryRoute(site, upstream, route),
    'server {',
    `    listen 127.0.0.1:${port};`,
    `    location / { proxy_pass http://${canaryRouteVariable(
      site,
      upstream,
    )}; }`,
    '}',
  ]);
  const conf = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(
    conf,
    [
      'daemon off;',
      'worker_processes 1;',
      'pid logs/nginx.pid;',
      'error_log logs/error.log warn;',
      'events { worker_connections 512; }',
      'http {',
      '    access_log off;',
      '    client_body_temp_path logs/client;',
      '    proxy_temp_path logs/proxy;',
      '    fastcgi_temp_path logs/fastcgi;',
      '    uwsgi_temp_path logs/uwsgi;',
      '    scgi_temp_path logs/scgi;',
      ...blocks,
      '}',
      '',
    ].join('\n'),
  );
  const master: ChildProcess = spawn(NGINX, ['-p', prefix, '-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  master.stderr!.on('data', d => (stderr += d));
  const exited = new Promise(resolve => master.once('exit', resolve));
  const ports = routes.map(r => r.port);
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    for (;;) {
      if (master.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      const up = await new Promise<boolean>(resolve => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (up) break;
      if (Date.now() > deadline) {
        throw new Error(`nginx did not listen on ${port}: ${stderr}`);
      }
      await new Promise(r => setTimeout(r, 50));
    }
  }
  return {
    async stop() {
      if (master.exitCode === null) {
        master.kill('SIGQUIT');
        await exited;
      }
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/**
 * `count` GETs through nginx from `concurrency` keep-alive loops (one address, few
 * connections: the case a per-client split would get wrong); how many each member
 * answered. A non-200 answer fails the run.
 */
async function countAnswers(
  port: number,
  count: number,
  headers: Record<string, string> = {},
  concurrency = 16,
): Promise<Record<string, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const answers: Record<string, number> = {};
  let sent = 0;
  const get = () =>
    new Promise<string>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/', headers, agent },
        res => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', c => (body += c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(body)
              : reject(new Error(`status ${res.statusCode}: ${body}`)),
          );
        },
      );
      req.on('error', reject);
    });
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < count) {
          sent++;
          const body = await get();
          answers[body] = (answers[body] ?? 0) + 1;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return answers;
}

describe('canary routes', () => {
  describe('validation', () => {
    it.each([
      [{ kind: 'weight', percent: 0 }, 'canary.percent'],
      [{ kind: 'weight', percent: 100 }, 'canary.percent'],
      [{ kind: 'weight', percent: 12.5 }, 'canary.percent'],
      [{ kind: 'weight', percent: '10' }, 'canary.percent'],
      [{ kind: 'header', name: 'X-Canary; return 200', value: 'a' }, 'name'],
      [{ kind: 'header', name: 'X-Canary\nreturn', value: 'a' }, 'name'],
      [{ kind: 'header', name: 'x_canary', value: 'a' }, 'name'],
      [{ kind: 'header', name: '$host', value: 'a' }, 'name'],
      [{ kind: 'header', name: 'X-Canary', value: 'a" return 200' }, 'value'],
      [{ kind: 'header', name: 'X-Canary', value: 'a{b}' }, 'value'],
      [{ kind: 'header', name: 'X-Canary', value: '$uri' }, 'value'],
      [{ kind: 'header', name: 'X-Canary', value: '' }, 'value'],
      [{ kind: 'cookie', name: 'k2-canary', value: 'a' }, 'name'],
      [{ kind: 'weight', percent: 10, name: 'x' }, 'canary.name'],
      [{ kind: 'regex', name: 'x', value: 'y' }, 'canary.kind'],
    ])('refuses %j naming the field', (input, field) => {
      expect(() => validateCanaryRoute(input, 'canary')).toThrow(
        expect.objectContaining({
          name: 'InputError',
          message: expect.stringContaining(field),
        }),
      );
    });

    it('accepts the edges of each kind as given', () => {
      expect(validateCanaryRoute({ kind: 'weight', percent: 1 })).toEqual({
        kind: 'weight',
        percent: 1,
      });
      expect(validateCanaryRoute({ kind: 'weight', percent: 99 })).toEqual({
        kind: 'weight',
        percent: 99,
      });
      expect(
        validateCanaryRoute({
          kind: 'header',
          name: 'X-K2-Canary',
          value: 'v2.1_beta~x',
        }),
      ).toEqual({ kind: 'header', name: 'X-K2-Canary', value: 'v2.1_beta~x' });
      expect(
        validateCanaryRoute({ kind: 'cookie', name: 'k2_canary', value: '1' }),
      ).toEqual({ kind: 'cookie', name: 'k2_canary', value: '1' });
    });
  });

  describe('through a real nginx', () => {
    let stable: Awaited<ReturnType<typeof startMember>>[] = [];
    let canary: Awaited<ReturnType<typeof startMember>>;
    let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
    const ports: Record<string, number> = {};

    beforeAll(async () => {
      if (!haveNginx) return;
      stable = [await startMember('stable'), await startMember('stable')];
      canary = await startMember('canary');
      for (const name of ['ten', 'thirtyseven', 'header', 'cookie']) {
        ports[name] = await freePort();
      }
      nginx = await startNginx(
        [
          {
            upstream: 'ten',
            route: { kind: 'weight', percent: 10 },
            port: ports.ten,
          },
          {
            upstream: 'thirtyseven',
            route: { kind: 'weight', percent: 37 },
            port: ports.thirtyseven,
          },
          {
            upstream: 'header',
            route: { kind: 'header', name: 'X-K2-Canary', value: 'v2.beta' },
            port: ports.header,
          },
          {
            upstream: 'cookie',
            route: { kind: 'cookie', name: 'k2_canary', value: 'on' },
            port: ports.cookie,
          },
        ],
        {
          stable: stable.map(m => m.port),
          canary: [canary.port],
        },
      );
    }, 30_000);

    afterAll(async () => {
      await nginx?.stop();
      await Promise.all(
        [...stable, canary].filter(Boolean).map(m => m.close()),
      );
    });

    for (const [name, percent] of [
      ['ten', 10],
      ['thirtyseven', 37],
    ] as const) {
      itWithNginx(
        `a ${percent} % weight sends that share of 10,000 requests to the canary (±3 %)`,
        async () => {
          const answers = await countAnswers(ports[name], 10_000);
          expect((answers.stable ?? 0) + (answers.canary ?? 0)).toBe(10_000);
          const share = ((answers.canary ?? 0) / 10_000) * 100;
          expect(Math.abs(share - percent)).toBeLessThanOrEqual(3);
        },
        60_000,
      );
    }

    itWithNginx(
      'every request with the header value reaches the canary, every other one stable',
      async () => {
        expect(
          await countAnswers(ports.header, 2_000, { 'x-k2-canary': 'v2.beta' }),
        ).toEqual({ canary: 2_000 });
        expect(await countAnswers(ports.header, 500)).toEqual({ stable: 500 });
        // Near misses: another case, a prefix, a longer value, '.' as any character.
        for (const value of ['V2.BETA', 'v2', 'v2.beta2', 'v2xbeta']) {
          expect(
            await countAnswers(ports.header, 50, { 'x-k2-canary': value }),
          ).toEqual({ stable: 50 });
        }
      },
      60_000,
    );

    itWithNginx(
      'both tracks receive the path and query string as the client sent them',
      async () => {
        const received = (headers: Record<string, string>) =>
          new Promise<string>((resolve, reject) => {
            http
              .get(
                {
                  host: '127.0.0.1',
                  port: ports.header,
                  path: '/orders/42?expand=lines&x=%20y',
                  headers,
                  agent: false,
                },
                res => {
                  let body = '';
                  res.setEncoding('utf8');
                  res.on('data', c => (body += c));
                  res.on('end', () =>
                    resolve(`${body} ${res.headers['x-received']}`),
                  );
                },
              )
              .on('error', reject);
          });
        expect(await received({})).toBe(
          'stable /orders/42?expand=lines&x=%20y',
        );
        expect(await received({ 'x-k2-canary': 'v2.beta' })).toBe(
          'canary /orders/42?expand=lines&x=%20y',
        );
      },
    );

    itWithNginx(
      'every request with the cookie value reaches the canary, every other one stable',
      async () => {
        expect(
          await countAnswers(ports.cookie, 2_000, {
            cookie: 'session=abc; k2_canary=on',
          }),
        ).toEqual({ canary: 2_000 });
        expect(
          await countAnswers(ports.cookie, 500, { cookie: 'k2_canary=off' }),
        ).toEqual({ stable: 500 });
        expect(await countAnswers(ports.cookie, 500)).toEqual({ stable: 500 });
      },
      60_000,
    );
  });
});
