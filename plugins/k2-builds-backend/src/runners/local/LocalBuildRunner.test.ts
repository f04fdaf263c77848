import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { GitServer, startGitServer } from '@internal/git-server';
import { LocalRegistry, startLocalRegistry } from '@internal/sandbox-cluster';
import childProcess, { execFile, execFileSync } from 'child_process';
import { randomUUID } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import {
  BUSYBOX_BASE,
  describeWithBuildTools,
  pushBusyboxBase,
} from '../../__testUtils__/busyboxBase';
import { TestRepository } from '../../__testUtils__/gitRepository';
import { processesWith } from '../../__testUtils__/processes';
import type { BuildJob } from '../types';
import { LocalBuildRunner } from './LocalBuildRunner';

const execFileAsync = promisify(execFile);

/**
 * These tests build for real (buildah, busybox-static, docker-registry), with
 * apache2-utils' htpasswd for the registry that wants a password.
 */
const HTPASSWD = '/usr/bin/htpasswd';
const describeWithTools = describeWithBuildTools([
  { file: HTPASSWD, apt: 'apache2-utils' },
]);

jest.setTimeout(120_000);

const USER = 'k2-builder';
const PASSWORD = 'Pushing-Secret-7781';
const OPEN_HOST = 'registry.northwind.example';
const SECURE_HOST = 'secure.northwind.example';
const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

describeWithTools('LocalBuildRunner with buildah and a real registry', () => {
  let work: string;
  let open: LocalRegistry;
  let secure: LocalRegistry;
  let git: GitServer;
  let cloneUrl: string;
  let commit: string;
  let runner: LocalBuildRunner;
  let storageDir: string;

  async function manifestDigest(
    registry: LocalRegistry,
    repository: string,
    tag: string,
    authorization?: string,
  ) {
    const response = await fetch(
      `${registry.url}/v2/${repository}/manifests/${tag}`,
      {
        method: 'HEAD',
        headers: {
          accept: ACCEPT,
          ...(authorization ? { authorization } : {}),
        },
      },
    );
    return response.status === 200
      ? response.headers.get('docker-content-digest')
      : response.status;
  }

  const job = (
    overrides: Partial<BuildJob> & {
      dockerfile: string;
      tag: string;
      host?: string;
    },
  ): BuildJob => {
    const { tag, host, ...rest } = overrides;
    return {
      id: randomUUID(),
      number: 1,
      service: 'component:payments/ledger',
      serviceId: 'payments-ledger',
      source: { url: cloneUrl, ref: 'main', commit },
      target: {
        image: `${host ?? OPEN_HOST}/payments/ledger:${tag}`,
        registryHost: host ?? OPEN_HOST,
      },
      timeoutMs: 60_000,
      ...rest,
    };
  };

  const collect = () => {
    const text: string[] = [];
    return {
      sink: { write: (chunk: string) => text.push(chunk) },
      lines: () => text.join('').split('\n').filter(Boolean),
      text: () => text.join(''),
    };
  };

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-local-runner-'));
    const htpasswd = path.join(work, 'htpasswd');
    fs.writeFileSync(
      htpasswd,
      execFileSync(HTPASSWD, ['-Bbn', USER, PASSWORD]).toString(),
    );
    [open, secure, git] = await Promise.all([
      startLocalRegistry({ rootDirectory: path.join(work, 'open') }),
      startLocalRegistry({
        rootDirectory: path.join(work, 'secure'),
        auth: { htpasswd },
      }),
      startGitServer({
        root: path.join(work, 'git'),
        port: 0,
        pushToken: 'push-token',
      }),
    ]);
    await pushBusyboxBase(open.host);

    // The service's repository: the build's context.
    const repository = await TestRepository.create({
      serverUrl: git.url,
      pushToken: 'push-token',
      owner: 'payments',
      name: 'ledger',
      dir: work,
    });
    cloneUrl = repository.cloneUrl;
    commit = await repository.commit(
      { 'greeting.txt': 'hello from the ledger\n' },
      'Greeting',
    );
    await repository.push('main');

    storageDir = path.join(work, 'buildah');
    runner = new LocalBuildRunner({
      config: new ConfigReader({
        k2: {
          registries: [
            { host: OPEN_HOST, url: open.url, insecure: true },
            {
              host: SECURE_HOST,
              url: secure.url,
              insecure: true,
              username: USER,
              password: PASSWORD,
            },
          ],
          builds: {
            sources: [{ host: new URL(git.url).host }],
            local: {
              storageDir,
              baseImagesCache: path.join(work, 'base-images-cache'),
            },
          },
        },
      }),
      logger: mockServices.logger.mock(),
      killGraceMs: 3_000,
    });
  });

  afterAll(async () => {
    await Promise.all([open?.stop(), secure?.stop(), git?.close()]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const storageImages = async () =>
    (
      await execFileAsync('buildah', [
        '--root',
        path.join(storageDir, 'storage'),
        '--runroot',
        path.join(storageDir, 'run'),
        '--storage-driver',
        'vfs',
        'images',
        '--format',
        '{{.Name}}',
      ])
    ).stdout;

  it('is available here, and says why not where buildah is missing', async () => {
    await expect(runner.available()).resolves.toEqual({ ok: true });
    const missing = new LocalBuildRunner({
      config: new ConfigReader({}),
      logger: mockServices.logger.mock(),
      buildah: path.join(work, 'no-such-buildah'),
    });
    await expect(missing.available()).resolves.toEqual({
      ok: false,
      reason:
        'buildah is not installed on the backend’s host (Debian: apt-get install buildah)',
    });
  });

  it('builds the clone with a RUN step, pushes it, and the registry has the digest buildah wrote', async () => {
    const log = collect();
    const build = job({
      tag: 'a1',
      dockerfile: [
        `FROM ${OPEN_HOST}/${BUSYBOX_BASE}`,
        'COPY greeting.txt /app/greeting.txt',
        'RUN echo "built: $(cat /app/greeting.txt)" && mkdir /log-dir && chown 1000:1000 /log-dir',
        'USER 1000:1000',
        '',
      ].join('\n'),
    });
    const outcome = await runner.run(
      build,
      log.sink,
      new AbortController().signal,
    );
    expect({ outcome, log: log.text() }).toMatchObject({
      outcome: { result: 'pushed' },
    });

    const lines = log.lines();
    const pushed = lines.find(line => line.startsWith('Pushed '));
    const digest = /\((sha256:[0-9a-f]{64})\)$/.exec(pushed ?? '')?.[1];
    expect(digest).toBeDefined();
    expect(await manifestDigest(open, 'payments/ledger', 'a1')).toBe(digest);

    // The log in order: clone, each step with the RUN's own output, the push.
    const at = (pattern: RegExp) => {
      const index = lines.findIndex(line => pattern.test(line));
      expect({ pattern: String(pattern), index }).not.toMatchObject({
        index: -1,
      });
      return index;
    };
    const order = [
      at(new RegExp(`^Cloning ${cloneUrl} at main \\(${commit}\\)$`)),
      at(
        /^STEP 1\/\d+: FROM registry\.northwind\.example\/k2-base\/busybox:1\.35\.0$/,
      ),
      at(/^STEP 2\/\d+: COPY greeting\.txt/),
      at(/^STEP 3\/\d+: RUN echo/),
      at(/^built: hello from the ledger$/),
      at(/^STEP 4\/\d+: USER 1000:1000$/),
      at(/^Pushing registry\.northwind\.example\/payments\/ledger:a1$/),
      at(/^Pushed /),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    // The built image is gone from the storage; the base stays for the next build.
    const images = await storageImages();
    expect(images).not.toContain(build.id);
    expect(images).toContain(`${OPEN_HOST}/k2-base/busybox`);
    expect(fs.readdirSync(path.join(storageDir, 'work'))).toEqual([]);
  });

  it('waits while the base images are being built, then builds', async () => {
    const cache = path.join(work, 'base-images-cache');
    fs.mkdirSync(cache, { recursive: true });
    const builder = childProcess.spawn('sleep', ['60'], { stdio: 'ignore' });
    fs.writeFileSync(path.join(cache, '.building'), `${builder.pid}\n`);
    const log = collect();
    try {
      const running = runner.run(
        job({
          tag: 'waited',
          dockerfile: `FROM ${OPEN_HOST}/${BUSYBOX_BASE}\nRUN echo after the wait\n`,
        }),
        log.sink,
        new AbortController().signal,
      );
      while (!log.text().includes('Waiting for K2')) {
        await new Promise(resolve => setTimeout(resolve, 100));
      }
      expect(log.text()).not.toContain('STEP 1');
      builder.kill('SIGKILL');
      await expect(running).resolves.toEqual({ result: 'pushed' });
    } finally {
      builder.kill('SIGKILL');
      fs.rmSync(path.join(cache, '.building'), { force: true });
    }
    const lines = log.lines();
    const waited = lines.findIndex(line => line.startsWith('Waiting for K2'));
    const ready = lines.findIndex(line =>
      line.startsWith('The base images are ready'),
    );
    const step = lines.findIndex(line => line.startsWith('STEP 1/'));
    expect(waited).toBeGreaterThan(0);
    expect(ready).toBeGreaterThan(waited);
    expect(step).toBeGreaterThan(ready);
  });

  it('fails a build whose RUN fails, with that step and its output in the log, pushing nothing', async () => {
    const log = collect();
    const outcome = await runner.run(
      job({
        tag: 'broken',
        dockerfile: `FROM ${OPEN_HOST}/${BUSYBOX_BASE}\nRUN echo "checking the ledger" && exit 3\n`,
      }),
      log.sink,
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason: expect.stringMatching(/^The build failed: .*exit status 3/),
    });
    const lines = log.lines();
    const step = lines.findIndex(line =>
      /^STEP 2\/\d+: RUN echo "checking the ledger" && exit 3$/.test(line),
    );
    expect(step).toBeGreaterThan(0);
    expect(lines.slice(step + 1)).toContain('checking the ledger');
    expect(await manifestDigest(open, 'payments/ledger', 'broken')).toBe(404);
  });

  it('fails a build whose K2 base image is not in the registry yet, saying how to make it', async () => {
    const log = collect();
    const outcome = await runner.run(
      job({
        tag: 'nobase',
        dockerfile: `FROM ${OPEN_HOST}/k2-base/python:3.11-bookworm\nRUN echo never\n`,
      }),
      log.sink,
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason: `The base image ${OPEN_HOST}/k2-base/python:3.11-bookworm is not in the registry`,
    });
    expect(log.text()).toContain(
      'bash scripts/lib/base-images.sh http://127.0.0.1:7104 .k2/cache/base-images python',
    );
    expect(log.lines()).not.toContain('never');
  });

  it('fails a build of a commit that is not in the repository, before buildah starts', async () => {
    const log = collect();
    const outcome = await runner.run(
      job({
        tag: 'nocommit',
        source: { url: cloneUrl, ref: 'main', commit: 'f'.repeat(40) },
        dockerfile: `FROM ${OPEN_HOST}/${BUSYBOX_BASE}\n`,
      }),
      log.sink,
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason: expect.stringContaining(
        `The commit ${'f'.repeat(40)} is not among`,
      ),
    });
    expect(log.text()).not.toContain('STEP 1');
  });

  it('stops a cancelled build: SIGTERM to its process group, nothing of it left running', async () => {
    const log = collect();
    const controller = new AbortController();
    const marker = '4242.5';
    const running = runner.run(
      job({
        tag: 'cancelled',
        // The step ignores SIGTERM (and its sleep inherits that): only the group's
        // SIGKILL ends it.
        dockerfile: `FROM ${OPEN_HOST}/${BUSYBOX_BASE}\nRUN trap "" TERM && echo "waiting a long time" && sleep ${marker}\n`,
      }),
      log.sink,
      controller.signal,
    );
    let settled = false;
    running.finally(() => {
      settled = true;
    });
    // The RUN's own output (the STEP line quoting it does not count).
    while (!settled && !log.lines().includes('waiting a long time')) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    expect(processesWith(`sleep ${marker}`)).not.toEqual([]);
    controller.abort();
    await expect(running).resolves.toEqual({ result: 'cancelled' });
    expect(log.lines()).toContain('The build was cancelled');
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    expect(processesWith(storageDir)).toEqual([]);
    expect(await manifestDigest(open, 'payments/ledger', 'cancelled')).toBe(
      404,
    );
    // No working container of the killed build is left in the storage.
    const containers = await execFileAsync('buildah', [
      '--root',
      path.join(storageDir, 'storage'),
      '--runroot',
      path.join(storageDir, 'run'),
      '--storage-driver',
      'vfs',
      'containers',
      '--quiet',
    ]);
    expect(containers.stdout.trim()).toBe('');
  });

  it('ends a build that runs past its timeout as timed-out, nothing of it left running', async () => {
    const log = collect();
    const marker = '4343.5';
    const outcome = await runner.run(
      job({
        tag: 'slow',
        timeoutMs: 2_500,
        dockerfile: `FROM ${OPEN_HOST}/${BUSYBOX_BASE}\nRUN sleep ${marker}\n`,
      }),
      log.sink,
      new AbortController().signal,
    );
    expect(outcome).toEqual({ result: 'timed-out' });
    expect(log.lines()).toContain(
      'The build ran out of its time (3 s) and was stopped',
    );
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    expect(processesWith(storageDir)).toEqual([]);
  });

  it('pushes to a registry with Basic authentication; the password is in no argument list and no log line', async () => {
    const spawned: string[] = [];
    const original = {
      spawn: childProcess.spawn,
      execFile: childProcess.execFile,
    };
    const spawnSpy = jest.spyOn(childProcess, 'spawn').mockImplementation(((
      file: string,
      args: string[],
      ...rest: any[]
    ) => {
      spawned.push([file, ...args].join(' '));
      return (original.spawn as any)(file, args, ...rest);
    }) as any);
    const execSpy = jest.spyOn(childProcess, 'execFile').mockImplementation(((
      file: string,
      args: string[],
      ...rest: any[]
    ) => {
      spawned.push([file, ...args].join(' '));
      return (original.execFile as any)(file, args, ...rest);
    }) as any);
    const log = collect();
    let outcome;
    try {
      outcome = await runner.run(
        job({
          tag: 'secure1',
          host: SECURE_HOST,
          dockerfile: `FROM ${OPEN_HOST}/${BUSYBOX_BASE}\nRUN echo secured\n`,
        }),
        log.sink,
        new AbortController().signal,
      );
    } finally {
      spawnSpy.mockRestore();
      execSpy.mockRestore();
    }
    expect({ outcome, log: log.text() }).toMatchObject({
      outcome: { result: 'pushed' },
    });
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString(
      'base64',
    )}`;
    const digest = /\((sha256:[0-9a-f]{64})\)$/.exec(
      log.lines().find(line => line.startsWith('Pushed ')) ?? '',
    )?.[1];
    expect(
      await manifestDigest(secure, 'payments/ledger', 'secure1', basic),
    ).toBe(digest);
    // Without credentials the registry refuses: the push above did authenticate.
    expect(await manifestDigest(secure, 'payments/ledger', 'secure1')).toBe(
      401,
    );

    expect(spawned.some(line => line.includes(' push '))).toBe(true);
    const encoded = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    for (const line of spawned) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(encoded);
    }
    expect(log.text()).not.toContain(PASSWORD);
    expect(log.text()).not.toContain(encoded);
  });

  it('fails a build for a registry K2 has no entry for, without running anything', async () => {
    const outcome = await runner.run(
      job({
        tag: 'x',
        host: 'elsewhere.example.com',
        dockerfile: 'FROM scratch\n',
      }),
      collect().sink,
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason: 'The registry elsewhere.example.com is not in k2.registries',
    });
  });

  it('removes what a backend stopped during a build left, before its first build', async () => {
    // A backend that exited during a build: its build directory with the auth file,
    // and buildah's working container, in a storage of its own here.
    const leftStorage = path.join(work, 'buildah-left');
    const { pid: gone } = childProcess.spawnSync('true');
    const leftDir = path.join(leftStorage, 'work', `build-${gone}-x1y2z3`);
    fs.mkdirSync(path.join(leftDir, 'source'), { recursive: true });
    fs.writeFileSync(path.join(leftDir, 'auth.json'), '{"auths":{}}\n', {
      mode: 0o600,
    });
    const storage = [
      '--root',
      path.join(leftStorage, 'storage'),
      '--runroot',
      path.join(leftStorage, 'run'),
      '--storage-driver',
      'vfs',
    ];
    await execFileAsync('buildah', [...storage, 'from', 'scratch']);
    const containers = async () =>
      (
        await execFileAsync('buildah', [...storage, 'containers', '--quiet'])
      ).stdout.trim();
    expect(await containers()).not.toBe('');

    const restarted = new LocalBuildRunner({
      config: new ConfigReader({
        k2: {
          registries: [{ host: OPEN_HOST, url: open.url, insecure: true }],
          builds: {
            sources: [{ host: new URL(git.url).host }],
            local: { storageDir: leftStorage },
          },
        },
      }),
      logger: mockServices.logger.mock(),
    });
    const outcome = await restarted.run(
      job({
        tag: 'after-restart',
        source: { url: cloneUrl, ref: 'main', commit: 'f'.repeat(40) },
        dockerfile: `FROM ${OPEN_HOST}/${BUSYBOX_BASE}\n`,
      }),
      collect().sink,
      new AbortController().signal,
    );
    expect(outcome).toMatchObject({ result: 'failed' });
    expect(fs.existsSync(leftDir)).toBe(false);
    expect(fs.readdirSync(path.join(leftStorage, 'work'))).toEqual([]);
    expect(await containers()).toBe('');
  });
});
