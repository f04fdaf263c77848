import { promises as fs } from 'fs';
import path from 'path';
import { gitIn, rawRequest, tempDir } from '../__testUtils__/git';
import { MAX_FILE_BYTES } from '../repos/files';
import { GitServer, startGitServer } from './gitServer';

jest.setTimeout(60_000);

describe('GET /api/repos/<owner>/<name>/files/<path>', () => {
  let work: string;
  let git: ReturnType<typeof gitIn>;
  let server: GitServer;
  let mainHead: string;
  let featureHead: string;
  const base = () => `${server.url}/api/repos/payments/ledger/files`;

  beforeAll(async () => {
    work = await tempDir('files');
    git = gitIn(work);
    server = await startGitServer({ root: path.join(work, 'repos'), port: 0 });
    const token = (await fs.readFile(server.pushTokenFile!, 'utf8')).trim();
    const created = await fetch(`${server.url}/api/repos`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`k2:${token}`).toString('base64')}`,
      },
      body: JSON.stringify({ owner: 'payments', name: 'ledger' }),
    });
    if (created.status !== 201) {
      throw new Error(`creating the repository: ${created.status}`);
    }

    const clone = path.join(work, 'clone');
    await git(work, 'init', '--quiet', '-b', 'main', clone);
    await fs.writeFile(
      path.join(clone, 'catalog-info.yaml'),
      'kind: Component\nmetadata:\n  name: ledger\n',
    );
    await fs.mkdir(path.join(clone, 'src', 'main'), { recursive: true });
    await fs.writeFile(path.join(clone, 'src', 'main', 'app.js'), 'main\n');
    await fs.writeFile(
      path.join(clone, 'big.bin'),
      Buffer.alloc(MAX_FILE_BYTES + 1, 7),
    );
    await fs.writeFile(
      path.join(clone, 'exactly-1mib.bin'),
      Buffer.alloc(MAX_FILE_BYTES, 9),
    );
    await git(clone, 'add', '.');
    await git(clone, 'commit', '--quiet', '-m', 'First');
    mainHead = await git(clone, 'rev-parse', 'HEAD');
    await git(clone, 'checkout', '--quiet', '-b', 'feature/login');
    await fs.writeFile(path.join(clone, 'src', 'main', 'app.js'), 'feature\n');
    await git(clone, 'commit', '--quiet', '-am', 'Feature');
    featureHead = await git(clone, 'rev-parse', 'HEAD');
    const remote = new URL(`${server.url}/payments/ledger.git`);
    remote.username = 'k2';
    remote.password = token;
    await git(
      clone,
      'push',
      '--quiet',
      remote.href,
      'main:refs/heads/main',
      'feature/login:refs/heads/feature/login',
    );
  });

  afterAll(async () => {
    await server?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('serves a file of the default branch, of a named branch and of a commit', async () => {
    const catalog = await fetch(`${base()}/catalog-info.yaml`);
    expect(catalog.status).toBe(200);
    expect(await catalog.text()).toBe(
      'kind: Component\nmetadata:\n  name: ledger\n',
    );

    const onMain = await fetch(`${base()}/src/main/app.js?ref=main`);
    expect(await onMain.text()).toBe('main\n');
    const onFeature = await fetch(
      `${base()}/src/main/app.js?ref=feature/login`,
    );
    expect(onFeature.status).toBe(200);
    expect(await onFeature.text()).toBe('feature\n');
    const atCommit = await fetch(`${base()}/src/main/app.js?ref=${mainHead}`);
    expect(await atCommit.text()).toBe('main\n');
    expect(featureHead).not.toBe(mainHead);
  });

  it('answers 304 to a reader that has the same version (ETag)', async () => {
    const first = await fetch(`${base()}/src/main/app.js?ref=main`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
    const again = await fetch(`${base()}/src/main/app.js?ref=main`, {
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
    const changed = await fetch(`${base()}/src/main/app.js?ref=feature/login`, {
      headers: { 'if-none-match': etag! },
    });
    expect(changed.status).toBe(200);
  });

  it('serves a file of exactly 1 MiB and refuses a bigger one with 400', async () => {
    const exact = await fetch(`${base()}/exactly-1mib.bin`);
    expect(exact.status).toBe(200);
    expect((await exact.arrayBuffer()).byteLength).toBe(MAX_FILE_BYTES);

    const big = await fetch(`${base()}/big.bin`);
    expect(big.status).toBe(400);
    expect(await big.text()).toMatch(/over the 1048576 bytes/);
  });

  it('answers 404 for an unknown repository, branch or path and for a directory', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        `${server.url}/api/repos/payments/nothing/files/catalog-info.yaml`,
        /repository not found/,
      ],
      [`${base()}/catalog-info.yaml?ref=nope`, /not in nope/],
      [`${base()}/missing.yaml`, /not in the default branch/],
      [`${base()}/src/main`, /is a directory/],
    ];
    for (const [url, message] of cases) {
      const response = await fetch(url);
      expect({ url, status: response.status }).toEqual({ url, status: 404 });
      expect(await response.text()).toMatch(message);
    }
  });

  it('refuses traversal, escapes, odd refs and writes before reading anything', async () => {
    const cases: Array<[string, number]> = [
      ['/api/repos/payments/ledger/files/../../../config', 400],
      ['/api/repos/payments/ledger/files/%2e%2e/config', 400],
      ['/api/repos/payments/ledger/files//etc/passwd', 400],
      ['/api/repos/payments/ledger/files/src/./main/app.js', 400],
      ['/api/repos/payments/ledger/files/src/', 400],
      ['/api/repos/payments/ledger/files/app.js?ref=--output=/tmp/x', 400],
      ['/api/repos/payments/ledger/files/app.js?ref=main..feature', 400],
      ['/api/repos/payments/ledger/files/app.js?ref=main@%7B1%7D', 400],
      ['/api/repos/payments/ledger/files/app.js?ref=HEAD~1', 400],
      ['/api/repos/Payments/ledger/files/catalog-info.yaml', 404],
      ['/api/repos/payments/ledger.git/files/catalog-info.yaml', 404],
    ];
    for (const [requestPath, status] of cases) {
      const response = await rawRequest(server.url, { path: requestPath });
      expect({ requestPath, status: response.status }).toEqual({
        requestPath,
        status,
      });
      expect(response.text).not.toContain('[core]');
    }
    const post = await rawRequest(server.url, {
      method: 'POST',
      path: '/api/repos/payments/ledger/files/catalog-info.yaml',
      body: 'x',
    });
    expect(post.status).toBe(405);
  });
});
