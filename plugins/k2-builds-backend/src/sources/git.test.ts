import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { GitServer, startGitServer } from '@internal/git-server';
import childProcess from 'child_process';
import { promises as fs } from 'fs';
import http from 'http';
import type { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { devGit, TestRepository } from '../__testUtils__/gitRepository';
import { cloneAt, gitEnv, resolveRef } from './git';

const TOKEN = 'source-token-5f1c9a';

jest.setTimeout(60_000);

/**
 * A reverse proxy in front of the Git server that wants the token as a Basic
 * password (as GitHub does), and records the Authorization headers it saw.
 */
async function startTokenProxy(target: string) {
  const seen: string[] = [];
  const expected = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString(
    'base64',
  )}`;
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== expected) {
      res
        .writeHead(401, { 'www-authenticate': 'Basic realm="source"' })
        .end('token needed');
      req.resume();
      return;
    }
    const forward = http.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      response => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('sources: resolveRef and cloneAt against a real Git server', () => {
  let work: string;
  let server: GitServer;
  let cloneUrl: string;
  let proxy: Awaited<ReturnType<typeof startTokenProxy>>;
  const commits: Record<string, string> = {};

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-sources-'));
    server = await startGitServer({
      root: path.join(work, 'repos'),
      port: 0,
      pushToken: 'push-secret',
    });
    const repository = await TestRepository.create({
      serverUrl: server.url,
      pushToken: 'push-secret',
      owner: 'payments',
      name: 'ledger',
      dir: work,
    });
    cloneUrl = repository.cloneUrl;
    const g = repository.git.bind(repository);
    commits.first = await repository.commit(
      { 'README.md': 'ledger\n' },
      'First commit',
    );
    await g('tag', '-a', 'v1.0.0', '-m', 'Release 1.0.0');
    await g('tag', 'light');
    commits.main = await repository.commit(
      { 'README.md': 'ledger 2\n' },
      'Second commit',
    );
    await g('checkout', '-q', '-b', 'feature/fx');
    commits.feature = await repository.commit({ 'fx.txt': 'fx\n' }, 'FX rates');
    await repository.push('main', 'feature/fx', '--tags');

    proxy = await startTokenProxy(server.url);
  });

  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const env = () => gitEnv([], cloneUrl);

  it('resolves the default branch when no ref is given', async () => {
    await expect(resolveRef(cloneUrl, undefined, env())).resolves.toEqual({
      ref: 'main',
      commit: commits.main,
    });
  });

  it('resolves a branch, an annotated tag to its commit, and a lightweight tag', async () => {
    await expect(resolveRef(cloneUrl, 'feature/fx', env())).resolves.toEqual({
      ref: 'feature/fx',
      commit: commits.feature,
    });
    await expect(resolveRef(cloneUrl, 'v1.0.0', env())).resolves.toEqual({
      ref: 'v1.0.0',
      commit: commits.first,
    });
    await expect(resolveRef(cloneUrl, 'light', env())).resolves.toEqual({
      ref: 'light',
      commit: commits.first,
    });
  });

  it('refuses an unknown ref, a ref that only ends like one, and a ref git would read as an option', async () => {
    const unknown = resolveRef(cloneUrl, 'release/9', env());
    await expect(unknown).rejects.toBeInstanceOf(InputError);
    await expect(unknown).rejects.toThrow(
      `Branch or tag 'release/9' is not in ${cloneUrl}`,
    );
    // "fx" is the tail of refs/heads/feature/fx, which ls-remote's pattern matches.
    await expect(resolveRef(cloneUrl, 'fx', env())).rejects.toThrow(
      `Branch or tag 'fx' is not in ${cloneUrl}`,
    );
    await expect(
      resolveRef(cloneUrl, '--upload-pack=touch /tmp/x', env()),
    ).rejects.toThrow(/is not a branch or tag name/);
  });

  it('says which repository cannot be read or reached', async () => {
    const missing = `${server.url}/payments/nothing.git`;
    await expect(resolveRef(missing, 'main', env())).rejects.toBeInstanceOf(
      InputError,
    );
    const port = proxy.url.split(':').pop();
    await proxy.close();
    try {
      const down = `http://127.0.0.1:${port}/payments/ledger.git`;
      await expect(
        resolveRef(down, undefined, gitEnv([], down)),
      ).rejects.toBeInstanceOf(ServiceUnavailableError);
    } finally {
      proxy = await startTokenProxy(server.url);
    }
  });

  it('refuses a file: or ext:: URL even when asked directly', async () => {
    const local = `file://${path.join(
      work,
      'repos',
      'payments',
      'ledger.git',
    )}`;
    await expect(
      resolveRef(local, 'main', gitEnv([], 'http://example.com/')),
    ).rejects.toThrow(/cannot be read: .*transport 'file' not allowed/);
  });

  it('clones a branch at the resolved commit, and a tag', async () => {
    const dir = path.join(work, 'clone-feature');
    await cloneAt(cloneUrl, 'feature/fx', commits.feature, dir, env());
    await expect(fs.readFile(path.join(dir, 'fx.txt'), 'utf8')).resolves.toBe(
      'fx\n',
    );
    expect(await devGit(work, dir, 'rev-parse', 'HEAD')).toBe(commits.feature);

    const tagDir = path.join(work, 'clone-tag');
    await cloneAt(cloneUrl, 'v1.0.0', commits.first, tagDir, env());
    await expect(
      fs.readFile(path.join(tagDir, 'README.md'), 'utf8'),
    ).resolves.toBe('ledger\n');
  });

  it('checks out an older commit of the branch than its head', async () => {
    const dir = path.join(work, 'clone-older');
    await cloneAt(cloneUrl, 'main', commits.first, dir, env());
    expect(await devGit(work, dir, 'rev-parse', 'HEAD')).toBe(commits.first);
  });

  it('reads with a token from the environment only, never in an argument list', async () => {
    const proxied = `${proxy.url}/payments/ledger.git`;
    const host = new URL(proxy.url).host;
    const withToken = gitEnv(
      [
        { host: 'github.com', token: 'another-token' },
        { host, token: TOKEN },
      ],
      proxied,
    );
    expect(JSON.stringify(withToken)).not.toContain('another-token');
    expect(withToken).toMatchObject({
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `http.http://${host}/.extraHeader`,
    });

    const spawned: string[][] = [];
    const original = childProcess.execFile;
    const recording = jest.spyOn(childProcess, 'execFile').mockImplementation(((
      file: string,
      args: string[],
      ...rest: any[]
    ) => {
      spawned.push([file, ...args]);
      return (original as any)(file, args, ...rest);
    }) as any);
    try {
      await expect(resolveRef(proxied, undefined, withToken)).resolves.toEqual({
        ref: 'main',
        commit: commits.main,
      });
      const dir = path.join(work, 'clone-token');
      await cloneAt(proxied, 'main', commits.main, dir, withToken);
      // Nothing of the token in the clone's configuration either.
      const config = await fs.readFile(
        path.join(dir, '.git', 'config'),
        'utf8',
      );
      expect(config).not.toContain(TOKEN);
      expect(config).not.toContain(
        Buffer.from(`x-access-token:${TOKEN}`).toString('base64'),
      );
    } finally {
      recording.mockRestore();
    }
    expect(spawned.length).toBeGreaterThanOrEqual(3);
    const encoded = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    for (const argv of spawned) {
      expect(argv.join(' ')).not.toContain(TOKEN);
      expect(argv.join(' ')).not.toContain(encoded);
    }
    expect(proxy.seen).toContain(`Basic ${encoded}`);

    // Without the token the proxy refuses, and git does not prompt.
    await expect(
      resolveRef(proxied, undefined, gitEnv([], proxied)),
    ).rejects.toBeInstanceOf(InputError);
  });
});
