import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { GitServer, startGitServer } from '@internal/git-server';
import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { PassThrough } from 'stream';
import { promisify } from 'util';
import { parse } from 'yaml';
import { createK2PublishLocalGitAction } from './publishLocalGitAction';

const execFileAsync = promisify(execFile);

jest.setTimeout(60_000);

describe('k2:publish:local-git', () => {
  let dir: string;
  let server: GitServer;
  let token: string;
  let shimLog: string;
  const originalPath = process.env.PATH;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-publish-local-git-'));
    server = await startGitServer({ root: path.join(dir, 'repos'), port: 0 });
    token = fs.readFileSync(server.pushTokenFile!, 'utf8').trim();
    // A git on the PATH that records its arguments and environment keys, then runs
    // the real one: what the action hands git is what this test reads.
    const realGit = (await execFileAsync('which', ['git'])).stdout.trim();
    const bin = path.join(dir, 'bin');
    shimLog = path.join(dir, 'git-argv.log');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'git'),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${shimLog}'\nenv | cut -d= -f1 | grep GIT_CONFIG >> '${shimLog}'\nexec '${realGit}' "$@"\n`,
      { mode: 0o755 },
    );
    process.env.PATH = `${bin}:${originalPath}`;
  });

  afterAll(async () => {
    process.env.PATH = originalPath;
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function workspace(files: Record<string, string>) {
    const ws = fs.mkdtempSync(path.join(dir, 'ws-'));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(ws, name)), { recursive: true });
      fs.writeFileSync(path.join(ws, name), text);
    }
    return ws;
  }

  async function run(input: object, workspacePath: string, tokenFile?: string) {
    const action = createK2PublishLocalGitAction({
      url: `${server.url}/`,
      tokenFile: tokenFile ?? server.pushTokenFile!,
    });
    const output: Record<string, string> = {};
    const logs: string[] = [];
    await action.handler({
      input,
      output: (key: string, value: string) => {
        output[key] = value;
      },
      logger: { info: (m: string) => logs.push(m) },
      logStream: new PassThrough(),
      getInitiatorCredentials: async () =>
        mockCredentials.user('user:default/alice'),
      workspacePath,
      checkpoint: async ({ fn }: { fn: () => unknown }) => fn(),
      createTemporaryDirectory: async () =>
        fs.mkdtempSync(path.join(dir, 't-')),
    } as any);
    return { output, logs };
  }

  const host = () => new URL(server.url).host;

  it('creates the repository, pushes the workspace to main and outputs its URLs', async () => {
    const ws = workspace({
      'catalog-info.yaml': 'kind: Component\nmetadata:\n  name: ledger\n',
      'src/index.js': 'console.log("hi")\n',
    });
    const { output, logs } = await run(
      {
        repoUrl: `${host()}?owner=payments&repo=ledger`,
        description: 'The ledger service',
      },
      ws,
    );
    expect(output).toEqual({
      remoteUrl: `${server.url}/payments/ledger.git`,
      repoContentsUrl: `${server.url}/api/repos/payments/ledger/files`,
      catalogInfoUrl: `${server.url}/api/repos/payments/ledger/files/catalog-info.yaml`,
      commitHash: expect.stringMatching(/^[0-9a-f]{40}$/),
    });

    const repos = await (await fetch(`${server.url}/api/repos`)).json();
    expect(repos.items).toEqual([
      expect.objectContaining({
        fullName: 'payments/ledger',
        description: 'The ledger service',
      }),
    ]);
    // What catalog:register then reads.
    const catalogInfo = await fetch(output.catalogInfoUrl);
    expect(await catalogInfo.text()).toBe(
      'kind: Component\nmetadata:\n  name: ledger\n',
    );

    const clone = path.join(dir, 'clone');
    await execFileAsync('git', ['clone', '--quiet', output.remoteUrl, clone]);
    const { stdout } = await execFileAsync(
      'git',
      ['log', '--format=%H %an %s', 'origin/main'],
      { cwd: clone },
    );
    expect(stdout.trim()).toBe(`${output.commitHash} alice Initial commit`);
    expect(fs.readFileSync(path.join(clone, 'src/index.js'), 'utf8')).toBe(
      'console.log("hi")\n',
    );

    // The token reached git through its environment only: no argument, no remote
    // URL, no log line and no file of the workspace holds it.
    const argv = fs.readFileSync(shimLog, 'utf8');
    expect(argv).toContain(
      `push --quiet ${output.remoteUrl} HEAD:refs/heads/main`,
    );
    expect(argv).toContain('GIT_CONFIG_VALUE_0');
    expect(argv).not.toContain(token);
    expect(argv).not.toContain(Buffer.from(`k2:${token}`).toString('base64'));
    expect(logs.join('\n')).not.toContain(token);
    expect(
      fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8'),
    ).not.toMatch(/extraheader|Authorization/i);
  });

  it('publishes what Backstage’s URL reader then reads for catalog:register, as the development config allows', async () => {
    const { output } = await run(
      { repoUrl: `${host()}?owner=payments&repo=readable` },
      workspace({ 'catalog-info.yaml': 'kind: Component\n' }),
    );
    // The development config allows the local Git server's host...
    const appConfig = parse(
      fs.readFileSync(
        path.resolve(__dirname, '../../../app-config.yaml'),
        'utf8',
      ),
    );
    expect(appConfig.backend.reading.allow).toContainEqual({
      host: '127.0.0.1:7108',
    });
    expect(appConfig.k2.builds.localGit.url).toBe('http://127.0.0.1:7108');
    // ...and with such an entry for this server's host the reader fetches the file;
    // without one it refuses.
    const readerWith = (allow: Array<{ host: string }>) =>
      UrlReaders.default({
        config: new ConfigReader({ backend: { reading: { allow } } }),
        logger: mockServices.logger.mock(),
      });
    const read = await readerWith([{ host: host() }]).readUrl(
      output.catalogInfoUrl,
    );
    expect((await read.buffer()).toString('utf8')).toBe('kind: Component\n');
    await expect(readerWith([]).readUrl(output.catalogInfoUrl)).rejects.toThrow(
      /not allowed|reading\.allow|integration/i,
    );
  });

  it('publishes only the sourcePath directory when given', async () => {
    const ws = workspace({
      'service/catalog-info.yaml': 'kind: Component\n',
      'other/secret.txt': 'not published\n',
    });
    const { output } = await run(
      {
        repoUrl: `${host()}?owner=payments&repo=subdir`,
        sourcePath: 'service',
        gitCommitMessage: 'From the template',
      },
      ws,
    );
    const clone = path.join(dir, 'clone-subdir');
    await execFileAsync('git', ['clone', '--quiet', output.remoteUrl, clone]);
    expect(fs.readdirSync(clone).sort()).toEqual(['.git', 'catalog-info.yaml']);
  });

  it('fails with the server’s words when the repository exists, and leaves it as it was', async () => {
    const before = await execFileAsync('git', [
      '--git-dir',
      path.join(dir, 'repos', 'payments', 'ledger.git'),
      'rev-parse',
      'main',
    ]);
    await expect(
      run(
        { repoUrl: `${host()}?owner=payments&repo=ledger` },
        workspace({ 'README.md': 'another\n' }),
      ),
    ).rejects.toThrow(
      'The local Git server refused to create payments/ledger (409): repository payments/ledger already exists',
    );
    const after = await execFileAsync('git', [
      '--git-dir',
      path.join(dir, 'repos', 'payments', 'ledger.git'),
      'rev-parse',
      'main',
    ]);
    expect(after.stdout).toBe(before.stdout);
  });

  it('fails with 401 and creates nothing when the token file holds the wrong token', async () => {
    const wrong = path.join(dir, 'wrong-token');
    fs.writeFileSync(wrong, 'not-the-token\n');
    await expect(
      run(
        { repoUrl: `${host()}?owner=payments&repo=intruder` },
        workspace({ 'README.md': 'x\n' }),
        wrong,
      ),
    ).rejects.toThrow(/refused to create payments\/intruder \(401\)/);
    const repos = await (await fetch(`${server.url}/api/repos`)).json();
    expect(repos.items.map((r: { name: string }) => r.name)).not.toContain(
      'intruder',
    );
  });

  it('refuses another host and names that are not the server’s before creating anything', async () => {
    const ws = workspace({ 'README.md': 'x\n' });
    await expect(
      run({ repoUrl: 'github.com?owner=payments&repo=ledger' }, ws),
    ).rejects.toThrow(/names github.com, not the local Git server/);
    await expect(
      run({ repoUrl: `${host()}?owner=Payments&repo=ledger` }, ws),
    ).rejects.toThrow(/owner 'Payments' must be lower-case/);
    await expect(
      run({ repoUrl: `${host()}?owner=payments&repo=../etc` }, ws),
    ).rejects.toThrow(/repo '..\/etc' must be lower-case/);
    await expect(
      run({ repoUrl: `${host()}?owner=payments` }, ws),
    ).rejects.toThrow(/repo '' must be/);
    await expect(
      run(
        { repoUrl: `${host()}?owner=payments&repo=x`, sourcePath: '../..' },
        ws,
      ),
    ).rejects.toThrow("sourcePath '../..' is outside the workspace");
    await expect(
      run(
        { repoUrl: `${host()}?owner=payments&repo=x`, sourcePath: 'nope' },
        ws,
      ),
    ).rejects.toThrow("sourcePath 'nope' is not a directory of the workspace");
    const repos = await (await fetch(`${server.url}/api/repos`)).json();
    expect(repos.items).toHaveLength(3);
    expect(fs.existsSync(path.join(ws, '.git'))).toBe(false);
  });
});
