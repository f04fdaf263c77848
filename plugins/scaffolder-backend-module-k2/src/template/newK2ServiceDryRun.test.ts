import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderGithubModule from '@backstage/plugin-scaffolder-backend-module-github';
import scaffolderGitlabModule from '@backstage/plugin-scaffolder-backend-module-gitlab';
import fs from 'fs';
import knexFactory, { Knex } from 'knex';
import path from 'path';
import { parse } from 'yaml';
import { scaffolderModuleK2 } from '../module';

jest.setTimeout(120_000);

const templateDir = path.resolve(
  __dirname,
  '../../../../examples/templates/new-k2-service',
);

/** Every file of the template directory, as the dry-run API takes them. */
function directoryContents(dir = templateDir): Array<{
  path: string;
  base64Content: string;
}> {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory()
      ? directoryContents(full)
      : [
          {
            path: path.relative(templateDir, full),
            base64Content: fs.readFileSync(full).toString('base64'),
          },
        ];
  });
}

/**
 * The template run by Backstage's own scaffolder in dry-run mode, with K2's actions
 * registered: every `if:` and every step input is evaluated as in a real run; actions
 * without dry-run support are skipped after their inputs are rendered.
 */
describe('the New K2 service template in the scaffolder (dry run)', () => {
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let database: Knex;

  beforeAll(async () => {
    // Closed after the file (the default database stays open, its pool's timer
    // keeping the Jest worker alive).
    database = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderModuleK2,
        // As the portal's backend has them, for the GitHub and GitLab choices.
        scaffolderGithubModule,
        scaffolderGitlabModule,
        catalogServiceMock.factory({ entities: [] }),
        mockServices.database.factory({ knex: database }),
        mockServices.rootConfig.factory({
          data: {
            k2: {
              builds: {
                // The end-to-end runs' server: the template names none itself.
                localGit: {
                  url: 'http://127.0.0.1:7118',
                  tokenFile: '/nonexistent',
                },
              },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await database?.destroy();
  });

  async function dryRun(values: Record<string, unknown>) {
    const response = await fetch(
      `http://localhost:${backend.server.port()}/api/scaffolder/v2/dry-run`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${mockCredentials.user.token()}`,
        },
        body: JSON.stringify({
          template: parse(
            fs.readFileSync(path.join(templateDir, 'template.yaml'), 'utf8'),
          ),
          values,
          secrets: {},
          directoryContents: directoryContents(),
        }),
      },
    );
    const body = await response.json();
    if (response.status !== 200) throw new Error(JSON.stringify(body));
    const messages = (
      body.log as Array<{ body: { message: string; stepId?: string } }>
    ).map(l => l.body);
    /** The rendered input of a step that ran (or was skipped for lack of dry-run). */
    const inputOf = (stepId: string) => {
      const line = messages.find(
        m =>
          m.stepId === stepId &&
          m.message.includes('in dry-run mode with inputs'),
      );
      return line
        ? JSON.parse(line.message.slice(line.message.indexOf('{')))
        : undefined;
    };
    const skippedByIf = messages
      .filter(m => / because its if condition was false/.test(m.message))
      .map(m => m.stepId);
    return { body, messages, inputOf, skippedByIf };
  }

  const values = {
    name: 'ledger',
    description: 'Keeps the ledger',
    owner: 'group:default/payments-team',
    language: 'node',
    port: 8080,
    environments: ['test', 'prod'],
    namespace: 'payments-core',
    imageRegistry: 'registry.northwind.example',
    repoHost: 'local',
    repoOwner: 'payments',
    middleware: 'redis-7',
    alerts: true,
    release: true,
  };

  it('publishes to the local Git server, registers, builds, creates the middleware, releases and adds alerts', async () => {
    const { body, inputOf, skippedByIf, messages } = await dryRun(values);
    expect(skippedByIf.sort()).toEqual([
      'publish-github',
      'publish-gitlab',
      'register-forge',
    ]);
    expect(inputOf('publish-local')).toEqual({
      repoUrl: '127.0.0.1:7118?owner=payments&repo=ledger',
      description: 'Keeps the ledger',
    });
    expect(inputOf('register-local')).toEqual({
      catalogInfoUrl: expect.any(String),
    });
    expect(inputOf('build')).toEqual({
      entityRef: 'component:default/ledger',
      releaseTo: null,
    });
    expect(inputOf('middleware')).toEqual({
      entityRef: 'component:default/ledger',
      environment: 'test',
      template: 'redis-7',
      name: 'ledger-redis7',
      reason: 'Created with the service by the New K2 service template',
      bind: true,
    });
    expect(inputOf('release')).toEqual({
      entityRef: 'component:default/ledger',
      environment: 'test',
      image: expect.any(String),
      message: 'First release, from the New K2 service template',
    });
    expect(inputOf('alerts')).toEqual({
      entityRef: 'component:default/ledger',
    });
    // fetch:template ran for real: the Node skeleton, rendered.
    const files = (body.directoryContents as Array<{ path: string }>).map(
      f => f.path,
    );
    expect(files).toEqual(
      expect.arrayContaining(['catalog-info.yaml', 'package.json']),
    );
    const catalogInfo = (
      body.directoryContents as Array<{ path: string; base64Content: string }>
    ).find(f => f.path === 'catalog-info.yaml')!;
    expect(
      parse(Buffer.from(catalogInfo.base64Content, 'base64').toString('utf8'))
        .metadata.annotations['backstage.io/source-location'],
    ).toBe('url:http://127.0.0.1:7118/payments/ledger.git');
    expect(messages.some(m => /failed/i.test(m.message))).toBe(false);
  });

  it('publishes to GitHub and skips the build, middleware, release and alerts steps the form turned off', async () => {
    const { skippedByIf, inputOf } = await dryRun({
      ...values,
      environments: ['prod'],
      middleware: 'none',
      alerts: false,
      repoHost: 'github.com',
    });
    expect(skippedByIf.sort()).toEqual([
      'alerts',
      'build',
      'middleware',
      'publish-gitlab',
      'publish-local',
      'register-local',
      'release',
    ]);
    expect(inputOf('publish-github')).toMatchObject({
      repoUrl: 'github.com?owner=payments&repo=ledger',
      defaultBranch: 'main',
    });
    expect(inputOf('register-forge')).toEqual({
      catalogInfoUrl: expect.stringMatching(/\/catalog-info\.yaml$/),
    });
  });
});
