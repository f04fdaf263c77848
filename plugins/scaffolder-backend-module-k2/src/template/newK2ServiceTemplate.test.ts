import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { ScmIntegrations } from '@backstage/integration';
import { createFetchTemplateAction } from '@backstage/plugin-scaffolder-backend';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import {
  lintDockerfile,
  renderDockerfile,
} from '@internal/plugin-k2-builds-common';
import {
  K2Language,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { PassThrough } from 'stream';
import { pathToFileURL } from 'url';
import { parse } from 'yaml';
import { localGitTemplateGlobals } from '../publishLocalGitAction';
import { freePort } from '@internal/sandbox-cluster';

jest.setTimeout(120_000);

const repoRoot = path.resolve(__dirname, '../../../..');
const templateDir = path.join(repoRoot, 'examples/templates/new-k2-service');
const templateFile = path.join(templateDir, 'template.yaml');
const template = parse(fs.readFileSync(templateFile, 'utf8'));

/** The development environment model (app-config.yaml's `k2`). */
const model = readEnvironmentModel(
  new ConfigReader(
    parse(fs.readFileSync(path.join(repoRoot, 'app-config.yaml'), 'utf8')),
  ),
);

/** What a user enters in the form, per case. */
const parametersFor = (
  language: K2Language,
  overrides: Record<string, unknown> = {},
) => ({
  name: `ledger-${language}`,
  description: 'Keeps the ledger: "double entry"',
  owner: 'group:default/payments-team',
  system: 'system:default/payments-core',
  language,
  port: 8181,
  environments: ['test', 'prod'],
  namespace: 'payments-core',
  imageRegistry: 'registry.northwind.example',
  repoHost: 'local',
  repoOwner: 'payments',
  ...overrides,
});

/**
 * The fetch step's values as the scaffolder computes them from the parameters. Each
 * value is a plain `${{ parameters.<key> }}` (checked), which the scaffolder resolves
 * to the parameter with its type.
 */
function valuesFor(parameters: Record<string, unknown>) {
  const fetch = template.spec.steps.find(
    (s: { action: string }) => s.action === 'fetch:template',
  );
  const values: Record<string, unknown> = {};
  for (const [key, expression] of Object.entries(
    fetch.input.values as Record<string, string>,
  )) {
    const match = /^\$\{\{ parameters\.(\w+) \}\}$/.exec(expression);
    if (!match) throw new Error(`values.${key} is not a plain parameter`);
    values[key] = parameters[match[1]];
  }
  return { url: fetch.input.url as string, values };
}

/** Renders the skeleton with Backstage's own fetch:template into a new workspace. */
async function render(parameters: Record<string, unknown>) {
  const { url, values } = valuesFor(parameters);
  const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-skeleton-'));
  const action = createFetchTemplateAction({
    reader: {
      readUrl: async () => {
        throw new Error('no URL reads: the skeleton is a file');
      },
      readTree: async () => {
        throw new Error('no URL reads: the skeleton is a file');
      },
      search: async () => {
        throw new Error('no URL reads: the skeleton is a file');
      },
    },
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
    // As the K2 module registers them where k2.builds.localGit is configured.
    additionalTemplateGlobals: localGitTemplateGlobals({
      url: 'http://127.0.0.1:7108',
    }),
  });
  await action.handler({
    input: {
      url: url.replace(
        '${{ parameters.language }}',
        String(parameters.language),
      ),
      values,
    },
    templateInfo: {
      baseUrl: pathToFileURL(templateFile).href,
      entityRef: 'template:default/new-k2-service',
    },
    workspacePath,
    logger: {
      info: () => {},
      warn: () => {},
      debug: () => {},
      error: () => {},
    },
    logStream: new PassThrough(),
    output: () => {},
    createTemporaryDirectory: async () =>
      fs.mkdtempSync(path.join(os.tmpdir(), 'k2-skeleton-tmp-')),
    checkpoint: async ({ fn }: { fn: () => unknown }) => fn(),
    getInitiatorCredentials: async () => ({}),
  } as any);
  return workspacePath;
}

function files(dir: string, base = dir): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap(entry =>
      entry.isDirectory()
        ? files(path.join(dir, entry.name), base)
        : [path.relative(base, path.join(dir, entry.name))],
    );
}

/** Runs a rendered service, asks /healthz and /, and reads its log lines. */
async function runService(command: string[], cwd: string) {
  const port = await freePort();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-skeleton-logs-'));
  const child: ChildProcess = spawn(command[0], command.slice(1), {
    cwd,
    env: { PATH: process.env.PATH, PORT: String(port), LOG_DIR: logDir },
  });
  let stdout = '';
  child.stdout!.on('data', chunk => {
    stdout += chunk;
  });
  try {
    let health: Response | undefined;
    for (let i = 0; i < 300 && !health; i++) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(
        () => undefined,
      );
      if (!health) await new Promise(r => setTimeout(r, 100));
    }
    if (!health) throw new Error(`never answered on ${port}: ${stdout}`);
    const root = await fetch(`http://127.0.0.1:${port}/`);
    const exited = new Promise(resolve => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    return {
      health: { status: health.status, body: await health.json() },
      root: { status: root.status, body: await root.json() },
      stdout: stdout.trim().split('\n'),
      logFile: fs
        .readdirSync(logDir)
        .map(f =>
          fs.readFileSync(path.join(logDir, f), 'utf8').trim().split('\n'),
        ),
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

describe('the New K2 service template', () => {
  const workspaces: string[] = [];
  afterAll(() => {
    for (const dir of workspaces)
      fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is a valid template entity whose skeletons are the four languages', async () => {
    expect(await templateEntityV1beta3Validator.check(template)).toBe(true);
    expect(fs.readdirSync(path.join(templateDir, 'skeletons')).sort()).toEqual([
      'go',
      'java',
      'node',
      'python',
    ]);
    const language = template.spec.parameters[0].properties.language;
    expect([...language.enum].sort()).toEqual(['go', 'java', 'node', 'python']);
    // The steps the documentation promises, in order, each publish and register
    // step only for its host.
    expect(
      template.spec.steps.map((s: { id: string; action: string }) => s.action),
    ).toEqual([
      'fetch:template',
      'k2:publish:local-git',
      'publish:github',
      'publish:gitlab',
      'k2:catalog:register',
      'k2:catalog:register',
      'k2:build',
      'k2:middleware:create',
      'k2:release',
      'k2:alerts:defaults',
    ]);
    // The environments offered are the development configuration's.
    const environments =
      template.spec.parameters[1].properties.environments.items.enum;
    expect(environments).toEqual(model.environments.map(e => e.name));
  });

  describe.each(['node', 'java', 'go', 'python'] as const)('%s', language => {
    let workspace: string;
    beforeAll(async () => {
      workspace = await render(parametersFor(language));
      workspaces.push(workspace);
    });

    it('renders a catalog-info.yaml that K2 reads without a problem', () => {
      const entity: Entity = parse(
        fs.readFileSync(path.join(workspace, 'catalog-info.yaml'), 'utf8'),
      );
      expect(entity.metadata).toEqual({
        name: `ledger-${language}`,
        description: 'Keeps the ledger: "double entry"',
        annotations: {
          'backstage.io/kubernetes-id': `ledger-${language}`,
          'backstage.io/source-location': `url:http://127.0.0.1:7108/payments/ledger-${language}.git`,
          'k2.io/environments': 'test,prod',
          'k2.io/namespace': 'payments-core',
          'k2.io/language': language,
          'k2.io/image': `registry.northwind.example/payments-core/ledger-${language}`,
          'k2.io/port': '8181',
          'k2.io/health-path': '/healthz',
          'k2.io/replicas.test': '1',
          'k2.io/replicas.prod': '2',
          'k2.io/build-release': 'test',
        },
      });
      expect(entity.spec).toEqual({
        type: 'service',
        lifecycle: 'experimental',
        owner: 'group:default/payments-team',
        system: 'system:default/payments-core',
      });
      const spec = readServiceSpec(entity, model);
      expect(spec.problems).toEqual([]);
      expect(spec.language).toBe(language);
      expect(spec.port).toBe(8181);
      expect(spec.targets.map(t => t.environment.name)).toEqual([
        'test',
        'prod',
      ]);
    });

    it('has no Dockerfile, and the one K2 renders for it lints clean and finds its files', () => {
      const rendered = files(workspace);
      expect(rendered.filter(f => /dockerfile/i.test(f))).toEqual([]);
      const { text } = renderDockerfile({ language, port: 8181 });
      expect(lintDockerfile(text, { port: 8181 })).toEqual([]);
      // Every file the build stage copies before the sources is in the skeleton.
      const copied = [...text.matchAll(/^COPY (?!--from)([^\n]+) \S+$/gm)]
        .flatMap(m => m[1].split(' '))
        .filter(source => source !== '.' && !source.startsWith('--'));
      expect(copied.length).toBeGreaterThan(0);
      for (const source of copied) {
        const pattern = new RegExp(
          `^${source.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}(/|$)`,
        );
        expect({ source, found: rendered.some(f => pattern.test(f)) }).toEqual({
          source,
          found: true,
        });
      }
    });
  });

  it('names a GitHub repository, leaves out what was not asked and skips build-release without test', async () => {
    const workspace = await render(
      parametersFor('node', {
        description: undefined,
        system: undefined,
        environments: ['prod'],
        repoHost: 'github.com',
        repoOwner: 'northwind',
      }),
    );
    workspaces.push(workspace);
    const entity: Entity = parse(
      fs.readFileSync(path.join(workspace, 'catalog-info.yaml'), 'utf8'),
    );
    expect(entity.metadata.description).toBeUndefined();
    expect(entity.spec?.system).toBeUndefined();
    expect(entity.metadata.annotations).toMatchObject({
      'backstage.io/source-location':
        'url:https://github.com/northwind/ledger-node',
      'k2.io/environments': 'prod',
    });
    expect(entity.metadata.annotations).not.toHaveProperty(
      'k2.io/build-release',
    );
    expect(readServiceSpec(entity, model).problems).toEqual([]);
  });

  it('puts the Spring Boot application in a package named after the service', async () => {
    const workspace = await render(parametersFor('java'));
    workspaces.push(workspace);
    const source = fs.readFileSync(
      path.join(
        workspace,
        'src/main/java/com/northwind/ledgerjava/Application.java',
      ),
      'utf8',
    );
    expect(source).toMatch(/^package com\.northwind\.ledgerjava;$/m);
    expect(source).toContain('@GetMapping("/healthz")');
    expect(
      fs.readFileSync(
        path.join(workspace, 'src/main/resources/application.properties'),
        'utf8',
      ),
    ).toContain('server.port=${PORT:8181}');
  });

  it('writes a description with XML’s special characters into pom.xml escaped, so Maven still reads it', async () => {
    const workspace = await render(
      parametersFor('java', {
        name: 'ledger-xml',
        description: 'Orders & <payments> for "R&D" at O’Neil’s',
      }),
    );
    workspaces.push(workspace);
    const pom = fs.readFileSync(path.join(workspace, 'pom.xml'), 'utf8');
    expect(pom).toContain(
      '<description>Orders &amp; &lt;payments&gt; for &quot;R&amp;D&quot; at O’Neil’s</description>',
    );
  });

  it.each([
    ['node', ['node', '.']],
    ['python', ['python3', '-m', 'app']],
  ] as const)(
    'runs the %s skeleton: /healthz answers on the port, JSON log lines on stdout and in the log directory',
    async (language, command) => {
      const workspace = await render(parametersFor(language));
      workspaces.push(workspace);
      const run = await runService([...command], workspace);
      expect(run.health).toEqual({ status: 200, body: { status: 'ok' } });
      expect(run.root).toEqual({
        status: 200,
        body: { service: `ledger-${language}`, message: 'Hello from K2' },
      });
      const lines = run.stdout.map(line => JSON.parse(line));
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            level: 'info',
            service: `ledger-${language}`,
            message: 'listening',
          }),
          expect.objectContaining({ message: 'request', path: '/' }),
          expect.objectContaining({ message: 'stopping' }),
        ]),
      );
      expect(run.logFile).toHaveLength(1);
      expect(run.logFile[0].map(line => JSON.parse(line).message)).toEqual(
        lines.map(line => line.message),
      );
    },
  );
});
