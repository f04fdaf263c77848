import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import path from 'path';
import {
  closedPort,
  eventually,
  gitIn,
  rawRequest,
  Receiver,
  startReceiver,
  tempDir,
} from '../__testUtils__/git';
import { parsePushEvent } from '../webhooks/pushEvent';
import { verifyPushSignature } from '../webhooks/signature';
import { GitServer, startGitServer } from './gitServer';

const SECRET = 'a shared webhook secret';
const ZERO = '0'.repeat(40);

jest.setTimeout(60_000);

describe('the local Git server', () => {
  let work: string;
  let git: ReturnType<typeof gitIn>;
  let receiver: Receiver;
  let server: GitServer;
  let token: string;
  let logLines: string[];
  // A second server whose receiver is down and whose pushes are capped at 1 MiB.
  let lonely: GitServer;
  let lonelyToken: string;
  let lonelyLog: string[];

  const authed = (base: string, t: string) => {
    const url = new URL(base);
    url.username = 'k2';
    url.password = t;
    return url.href.replace(/\/$/, '');
  };
  const createRepo = (base: string, t: string | undefined, body: unknown) =>
    fetch(`${base}/api/repos`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(t
          ? {
              authorization: `Basic ${Buffer.from(`k2:${t}`).toString(
                'base64',
              )}`,
            }
          : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    work = await tempDir('server');
    git = gitIn(work);
    receiver = await startReceiver();
    logLines = [];
    server = await startGitServer({
      root: path.join(work, 'repos'),
      port: 0,
      webhookUrls: [receiver.url],
      webhookSecret: SECRET,
      log: line => logLines.push(line),
    });
    token = (await fs.readFile(server.pushTokenFile!, 'utf8')).trim();
    lonelyLog = [];
    lonely = await startGitServer({
      root: path.join(work, 'lonely'),
      port: 0,
      webhookUrls: [`http://127.0.0.1:${await closedPort()}/hooks`],
      webhookSecret: SECRET,
      maxPushBytes: 1024 * 1024,
      log: line => lonelyLog.push(line),
    });
    lonelyToken = (await fs.readFile(lonely.pushTokenFile!, 'utf8')).trim();
  });

  afterAll(async () => {
    await server?.close();
    await lonely?.close();
    await receiver?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('creates a repository through the API, with main as HEAD, and lists it', async () => {
    const response = await createRepo(server.url, token, {
      owner: 'payments',
      name: 'ledger',
      description: 'The ledger service',
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({
      owner: 'payments',
      name: 'ledger',
      fullName: 'payments/ledger',
      description: 'The ledger service',
      cloneUrl: `${server.url}/payments/ledger.git`,
    });
    const bare = path.join(work, 'repos', 'payments', 'ledger.git');
    expect(await git(bare, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(await git(bare, 'rev-parse', '--is-bare-repository')).toBe('true');

    const list = await fetch(`${server.url}/api/repos`);
    expect((await list.json()).items).toEqual([
      expect.objectContaining({ fullName: 'payments/ledger' }),
    ]);
  });

  it('answers 409 for a repository that exists and 400 for bad names, changing nothing', async () => {
    const again = await createRepo(server.url, token, {
      owner: 'payments',
      name: 'ledger',
    });
    expect(again.status).toBe(409);
    expect((await again.json()).error).toMatch(/already exists/);

    for (const body of [
      { owner: 'Payments', name: 'x' },
      { owner: 'payments', name: '-x' },
      { owner: '..', name: 'x' },
      { owner: '/etc', name: 'passwd' },
      { owner: 'payments', name: '../../escape' },
      { owner: 'payments', name: 'a'.repeat(64) },
      { owner: 'payments' },
      { owner: 'payments', name: 'x', description: 'y'.repeat(501) },
      { owner: 'payments', name: 'x', description: 'two\nlines' },
      ['payments', 'x'],
    ]) {
      const response = await createRepo(server.url, token, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
    const invalid = await createRepo(server.url, token, '{"owner":');
    expect(invalid.status).toBe(400);
    expect(await fs.readdir(path.join(work, 'repos'))).toEqual(
      expect.not.arrayContaining(['Payments', '..', 'etc', 'escape']),
    );
    expect(
      (await (await fetch(`${server.url}/api/repos`)).json()).items,
    ).toHaveLength(1);
  });

  it('refuses repository creation without the push credentials', async () => {
    const anonymous = await createRepo(server.url, undefined, {
      owner: 'payments',
      name: 'sneaky',
    });
    expect(anonymous.status).toBe(401);
    const wrong = await createRepo(server.url, 'not-the-token', {
      owner: 'payments',
      name: 'sneaky',
    });
    expect(wrong.status).toBe(401);
    await expect(
      fs.stat(path.join(work, 'repos', 'payments', 'sneaky.git')),
    ).rejects.toThrow();
  });

  it('refuses an API body of absurd size with 413', async () => {
    const response = await createRepo(server.url, token, {
      owner: 'payments',
      name: 'huge',
      description: 'x'.repeat(100 * 1024),
    });
    expect(response.status).toBe(413);
    // The same without a length up front: refused as it streams past 64 KiB.
    const streamed = await rawRequest(server.url, {
      method: 'POST',
      path: '/api/repos',
      headers: {
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
        authorization: `Basic ${Buffer.from(`k2:${token}`).toString('base64')}`,
      },
      body: JSON.stringify({
        owner: 'payments',
        name: 'huge',
        description: 'x'.repeat(100 * 1024),
      }),
    });
    expect(streamed.status).toBe(413);
    await expect(
      fs.stat(path.join(work, 'repos', 'payments', 'huge.git')),
    ).rejects.toThrow();
  });

  it('clones the empty repository, takes a push of two branches and sends one signed event per ref', async () => {
    const clone = path.join(work, 'clone');
    await git(
      work,
      'clone',
      '--quiet',
      `${server.url}/payments/ledger.git`,
      clone,
    );
    await fs.writeFile(path.join(clone, 'README.md'), '# Ledger\n');
    await git(clone, 'add', 'README.md');
    await git(clone, 'commit', '--quiet', '-m', 'First commit\n\nWith a body.');
    const first = await git(clone, 'rev-parse', 'HEAD');
    await git(clone, 'branch', 'feature');
    await git(
      clone,
      'push',
      '--quiet',
      authed(`${server.url}/payments/ledger.git`, token),
      'HEAD:refs/heads/main',
      'feature:refs/heads/feature',
    );

    const bare = path.join(work, 'repos', 'payments', 'ledger.git');
    expect(await git(bare, 'log', '--format=%H %s', 'main')).toBe(
      `${first} First commit`,
    );

    await eventually('two push events', () => receiver.requests.length >= 2);
    expect(receiver.requests).toHaveLength(2);
    const events = receiver.requests.map(({ headers, body }) => {
      expect(headers['x-github-event']).toBe('push');
      expect(headers['x-github-delivery']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      expect(
        verifyPushSignature(
          body,
          headers['x-hub-signature-256'] as string,
          SECRET,
        ),
      ).toBe(true);
      return JSON.parse(body);
    });
    expect(events.map(e => e.ref).sort()).toEqual([
      'refs/heads/feature',
      'refs/heads/main',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        before: ZERO,
        after: first,
        created: true,
        deleted: false,
        repository: {
          full_name: 'payments/ledger',
          clone_url: `${server.url}/payments/ledger.git`,
        },
        pusher: { name: 'k2' },
        head_commit: {
          id: first,
          message: 'First commit\n\nWith a body.',
          author: { name: 'Alice Example', email: 'alice@example.com' },
        },
      });
      expect(Number.isNaN(Date.parse(event.head_commit.timestamp))).toBe(false);
    }
    // The receiver's side: the library reads what the server sent.
    const parsed = parsePushEvent(
      receiver.requests[0].headers,
      receiver.requests[0].body,
    );
    expect(parsed).toMatchObject({
      source: 'github',
      after: first,
      pusher: 'k2',
    });

    // A second push on main: before is the first commit, after the new one.
    await fs.writeFile(path.join(clone, 'README.md'), '# Ledger\n\nMore.\n');
    await git(clone, 'commit', '--quiet', '-am', 'Second commit');
    const second = await git(clone, 'rev-parse', 'HEAD');
    await git(
      clone,
      'push',
      '--quiet',
      authed(`${server.url}/payments/ledger.git`, token),
      'HEAD:refs/heads/main',
    );
    await eventually('a third push event', () => receiver.requests.length >= 3);
    expect(receiver.requests).toHaveLength(3);
    const third = JSON.parse(receiver.requests[2].body);
    expect(third).toMatchObject({
      ref: 'refs/heads/main',
      before: first,
      after: second,
      created: false,
      head_commit: { id: second, message: 'Second commit' },
    });
    expect(
      verifyPushSignature(
        receiver.requests[2].body,
        receiver.requests[2].headers['x-hub-signature-256'] as string,
        'another secret',
      ),
    ).toBe(false);
    expect(logLines.join('\n')).not.toContain(token);
    expect(logLines.join('\n')).not.toContain(SECRET);
  });

  it('answers 401 to a push without credentials and the push changes nothing', async () => {
    const bare = path.join(work, 'repos', 'payments', 'ledger.git');
    const before = await git(bare, 'rev-parse', 'main');
    const refs = await rawRequest(server.url, {
      path: '/payments/ledger.git/info/refs?service=git-receive-pack',
    });
    expect(refs.status).toBe(401);
    expect(refs.headers['www-authenticate']).toBe('Basic realm="K2 Git"');
    const pack = await rawRequest(server.url, {
      method: 'POST',
      path: '/payments/ledger.git/git-receive-pack',
      headers: { 'content-type': 'application/x-git-receive-pack-request' },
      body: '0000',
    });
    expect(pack.status).toBe(401);
    const wrong = await rawRequest(server.url, {
      path: '/payments/ledger.git/info/refs?service=git-receive-pack',
      headers: {
        authorization: `Basic ${Buffer.from('k2:guess').toString('base64')}`,
      },
    });
    expect(wrong.status).toBe(401);

    const clone = path.join(work, 'clone');
    await git(clone, 'commit', '--quiet', '--allow-empty', '-m', 'Anonymous');
    await expect(
      git(
        clone,
        'push',
        `${server.url}/payments/ledger.git`,
        'HEAD:refs/heads/main',
      ),
    ).rejects.toThrow(/401|Authentication failed|could not read Username/);
    expect(await git(bare, 'rev-parse', 'main')).toBe(before);
    // Fetching stays open.
    const open = await rawRequest(server.url, {
      path: '/payments/ledger.git/info/refs?service=git-upload-pack',
    });
    expect(open.status).toBe(200);
  });

  it('refuses traversal, escapes and absolute paths with 400 or 404', async () => {
    const cases: Array<[string, number]> = [
      ['/../repos/payments/ledger.git/info/refs?service=git-upload-pack', 400],
      ['/payments/../../etc/passwd', 400],
      ['/%2e%2e/%2e%2e/etc/passwd.git/info/refs?service=git-upload-pack', 400],
      ['/payments/%2e%2e.git/info/refs?service=git-upload-pack', 400],
      ['//etc/passwd.git/info/refs?service=git-upload-pack', 400],
      ['/payments/ledger.git/..%2f..%2fHEAD', 400],
      ['/etc/passwd', 404],
      ['/etc/passwd.git/info/refs?service=git-upload-pack', 404],
      ['/payments/ledger.git/HEAD', 404],
      ['/payments/ledger.git/objects/info/packs', 404],
      ['/payments/ledger.git/config', 404],
    ];
    for (const [requestPath, status] of cases) {
      const response = await rawRequest(server.url, { path: requestPath });
      expect({ requestPath, status: response.status }).toEqual({
        requestPath,
        status,
      });
      expect(response.text).not.toContain('[core]');
    }
  });

  it('refuses a git request body over the limit with 413 before running git', async () => {
    const response = await rawRequest(server.url, {
      method: 'POST',
      path: '/payments/ledger.git/git-upload-pack',
      headers: {
        'content-type': 'application/x-git-upload-pack-request',
        'content-length': 1024 * 1024 * 1024,
      },
    });
    expect(response.status).toBe(413);
  });

  it('streams a 2 MB commit both ways', async () => {
    const clone = path.join(work, 'clone');
    const big = randomBytes(2 * 1024 * 1024);
    await fs.writeFile(path.join(clone, 'big.bin'), big);
    await git(clone, 'add', 'big.bin');
    await git(clone, 'commit', '--quiet', '-m', 'A 2 MB file');
    const head = await git(clone, 'rev-parse', 'HEAD');
    await git(
      clone,
      'push',
      '--quiet',
      authed(`${server.url}/payments/ledger.git`, token),
      'HEAD:refs/heads/main',
    );
    const bare = path.join(work, 'repos', 'payments', 'ledger.git');
    expect(await git(bare, 'rev-parse', 'main')).toBe(head);
    expect(await git(bare, 'cat-file', '-s', 'main:big.bin')).toBe(
      String(big.length),
    );

    const second = path.join(work, 'second-clone');
    await git(
      work,
      'clone',
      '--quiet',
      `${server.url}/payments/ledger.git`,
      second,
    );
    expect((await fs.readFile(path.join(second, 'big.bin'))).equals(big)).toBe(
      true,
    );
  });

  it('completes a push when the webhook receiver is down, and logs it', async () => {
    const created = await createRepo(lonely.url, lonelyToken, {
      owner: 'storefront',
      name: 'web',
    });
    expect(created.status).toBe(201);
    const clone = path.join(work, 'lonely-clone');
    await git(
      work,
      'clone',
      '--quiet',
      `${lonely.url}/storefront/web.git`,
      clone,
    );
    await git(
      clone,
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'Nobody listens',
    );
    const head = await git(clone, 'rev-parse', 'HEAD');
    await git(
      clone,
      'push',
      '--quiet',
      authed(`${lonely.url}/storefront/web.git`, lonelyToken),
      'HEAD:refs/heads/main',
    );
    const bare = path.join(work, 'lonely', 'storefront', 'web.git');
    expect(await git(bare, 'rev-parse', 'main')).toBe(head);
    await eventually('the failed delivery logged', () =>
      lonelyLog.some(line => line.includes('not delivered')),
    );
    expect(lonelyLog.find(line => line.includes('not delivered'))).toMatch(
      /storefront\/web refs\/heads\/main .* the push itself succeeded/,
    );
  });

  it('stops a streamed push that grows past the limit and keeps the ref where it was', async () => {
    const clone = path.join(work, 'lonely-clone');
    const bare = path.join(work, 'lonely', 'storefront', 'web.git');
    const before = await git(bare, 'rev-parse', 'main');
    await fs.writeFile(
      path.join(clone, 'big.bin'),
      randomBytes(2 * 1024 * 1024),
    );
    await git(clone, 'add', 'big.bin');
    await git(clone, 'commit', '--quiet', '-m', 'Too big here');
    await expect(
      git(
        clone,
        'push',
        '--quiet',
        authed(`${lonely.url}/storefront/web.git`, lonelyToken),
        'HEAD:refs/heads/main',
      ),
    ).rejects.toThrow();
    expect(await git(bare, 'rev-parse', 'main')).toBe(before);
    expect(lonelyLog.join('\n')).toContain('request body over 1048576 bytes');
  });
});
