import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  AuthService,
  coreServices,
  createBackendModule,
  createBackendPlugin,
  createServiceFactory,
  RootConfigService,
  UrlReaderService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  CatalogService,
  catalogServiceRef,
  locationSpecToMetadataName,
} from '@backstage/plugin-catalog-node';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend's in-memory databases, as the other K2 backends' tests use them
import { inMemoryDatabaseFactory } from '@internal/plugin-k2-backend/testUtils';
import { GitServer, startGitServer } from '@internal/git-server';
import { K2PermissionPolicy } from '@internal/plugin-permission-backend-module-k2-policy';
import { AlphaEntity } from '@backstage/catalog-model/alpha';
import { ConfigReader } from '@backstage/config';
import { execFile } from 'child_process';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { PassThrough } from 'stream';
import { promisify } from 'util';
import { catalogModuleK2TemplateLocations } from './catalog/module';
import {
  createK2CatalogRegisterAction,
  K2_TEMPLATE_LOCATION_TYPE,
  MAX_CATALOG_INFO_BYTES,
} from './catalogRegisterAction';
import { createK2PublishLocalGitAction } from './publishLocalGitAction';

jest.setTimeout(120_000);

const ALICE = 'user:default/alice';
const DAVE = 'user:default/dave';
const PAYMENTS = 'group:default/payments-team';
const ADMINS = 'group:default/platform-admins';
/** Each test user’s ownership claims, as the sign-in resolver gives them. */
const claimsOf: Record<string, string[]> = {
  [ALICE]: [ALICE, PAYMENTS],
  [DAVE]: [DAVE, ADMINS],
};

/** How long the catalog may take to process a registered location. */
const PROCESSING_TIMEOUT_MS = 60_000;

function component(name: string, owner: string) {
  return [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  type: service',
    `  owner: ${owner}`,
    '  lifecycle: experimental',
    '',
  ].join('\n');
}

/**
 * `k2:catalog:register` against a real catalog backend, reading catalog-info files
 * that `k2:publish:local-git` pushed to a real local Git server, with Backstage’s
 * URL reader as the development config allows it.
 */
describe('k2:catalog:register', () => {
  let dir: string;
  let git: GitServer;
  /** A server that answers every GET with a catalog-info file that never ends. */
  let endless: http.Server;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let services: {
    config: RootConfigService;
    urlReader: UrlReaderService;
    catalog: CatalogService;
    auth: AuthService;
    userInfo: UserInfoService;
    auditor: AuditorService;
  };
  const audited: Array<{
    options: AuditorServiceCreateEventOptions;
    outcome?: string;
  }> = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-catalog-register-'));
    git = await startGitServer({ root: path.join(dir, 'repos'), port: 0 });
    const port = new URL(git.url).port;
    endless = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(component('endless', 'payments-team'));
      const chunk = `# ${'x'.repeat(64 * 1024)}\n`;
      const pump = () => {
        let more = true;
        while (more && !res.destroyed) more = res.write(chunk);
      };
      res.on('drain', pump);
      pump();
    });
    await new Promise<void>(resolve =>
      endless.listen(0, '127.0.0.1', () => resolve()),
    );
    const endlessHost = `127.0.0.1:${(endless.address() as AddressInfo).port}`;

    // Captures the services the scaffolder module gets, from a backend that runs the
    // real catalog.
    const capture = createBackendPlugin({
      pluginId: 'k2-register-test',
      register(env) {
        env.registerInit({
          deps: {
            config: coreServices.rootConfig,
            urlReader: coreServices.urlReader,
            catalog: catalogServiceRef,
            auth: coreServices.auth,
            userInfo: coreServices.userInfo,
            auditor: coreServices.auditor,
          },
          async init(deps) {
            services = deps;
          },
        });
      },
    });
    // K2's policy, as the portal has it: catalog.location.create for platform
    // admins only.
    const k2Policy = createBackendModule({
      pluginId: 'permission',
      moduleId: 'k2-policy-test',
      register(env) {
        env.registerInit({
          deps: { policy: policyExtensionPoint },
          async init({ policy }) {
            policy.setPolicy(
              new K2PermissionPolicy({ platformAdminGroup: ADMINS }),
            );
          },
        });
      },
    });
    backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleK2TemplateLocations,
        permissionPlugin,
        k2Policy,
        capture,
        inMemoryDatabaseFactory(),
        createServiceFactory({
          service: coreServices.userInfo,
          deps: {},
          factory: () => ({
            async getUserInfo(credentials) {
              const user = (credentials.principal as { userEntityRef: string })
                .userEntityRef;
              return {
                userEntityRef: user,
                ownershipEntityRefs: claimsOf[user] ?? [user],
              };
            },
          }),
        }),
        createServiceFactory({
          service: coreServices.auditor,
          deps: { plugin: coreServices.pluginMetadata },
          factory: ({ plugin }) => ({
            async createEvent(options) {
              const entry: (typeof audited)[number] = { options };
              if (plugin.getId() === 'k2-register-test') audited.push(entry);
              return {
                async success() {
                  entry.outcome = 'succeeded';
                },
                async fail() {
                  entry.outcome = 'failed';
                },
              };
            },
          }),
        }),
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            backend: {
              // The server under both names: only the action’s host check tells
              // them apart.
              reading: {
                allow: [
                  { host: `127.0.0.1:${port}` },
                  { host: `localhost:${port}` },
                  { host: endlessHost },
                ],
              },
            },
            k2: {
              platformAdminGroup: ADMINS,
              builds: {
                localGit: { url: git.url, tokenFile: git.pushTokenFile },
              },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await git?.close();
    endless?.closeAllConnections();
    await new Promise(resolve => endless?.close(resolve));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The workspace and clone URL of each published catalog-info URL. */
  const published = new Map<string, { ws: string; remoteUrl: string }>();

  /** Publishes `files` as payments/`repo` on the Git server; the catalog-info URL. */
  async function publish(repo: string, files: Record<string, string>) {
    const ws = fs.mkdtempSync(path.join(dir, 'ws-'));
    for (const [name, text] of Object.entries(files)) {
      fs.writeFileSync(path.join(ws, name), text);
    }
    const output: Record<string, string> = {};
    await createK2PublishLocalGitAction({
      url: git.url,
      tokenFile: git.pushTokenFile!,
    }).handler({
      input: {
        repoUrl: `${new URL(git.url).host}?owner=payments&repo=${repo}`,
      },
      output: (key: string, value: string) => {
        output[key] = value;
      },
      logger: { info: () => {} },
      logStream: new PassThrough(),
      getInitiatorCredentials: async () => mockCredentials.user(ALICE),
      workspacePath: ws,
    } as any);
    published.set(output.catalogInfoUrl, { ws, remoteUrl: output.remoteUrl });
    return output.catalogInfoUrl;
  }

  /** Commits `files` over what was published at `url` and pushes them to main. */
  async function pushChange(url: string, files: Record<string, string>) {
    const { ws, remoteUrl } = published.get(url)!;
    for (const [name, text] of Object.entries(files)) {
      fs.writeFileSync(path.join(ws, name), text);
    }
    const token = fs.readFileSync(git.pushTokenFile!, 'utf8').trim();
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 'alice',
      GIT_AUTHOR_EMAIL: 'alice@example.com',
      GIT_COMMITTER_NAME: 'alice',
      GIT_COMMITTER_EMAIL: 'alice@example.com',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `http.${git.url}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(
        `k2:${token}`,
      ).toString('base64')}`,
    };
    const run = (args: string[]) =>
      promisify(execFile)('git', args, { cwd: ws, env });
    await run(['commit', '--quiet', '--all', '-m', 'A later change']);
    await run(['push', '--quiet', remoteUrl, 'HEAD:refs/heads/main']);
  }

  async function register(user: string | undefined, catalogInfoUrl: string) {
    const action = createK2CatalogRegisterAction(services);
    const output: Record<string, string> = {};
    await action.handler({
      input: { catalogInfoUrl },
      output: (key: string, value: string) => {
        output[key] = value;
      },
      logger: { info: () => {} },
      logStream: new PassThrough(),
      getInitiatorCredentials: async () =>
        user ? mockCredentials.user(user) : mockCredentials.none(),
      task: { id: 'task-1' },
      workspacePath: dir,
    } as any);
    return output;
  }

  async function locationTargets(): Promise<string[]> {
    const response = await fetch(
      `http://localhost:${backend.server.port()}/api/catalog/locations`,
      {
        headers: {
          authorization: `Bearer ${mockCredentials.service.token()}`,
        },
      },
    );
    const body = (await response.json()) as Array<{ data: { target: string } }>;
    return body.map(l => l.data.target);
  }

  /** The entity once the catalog has processed it (fails after the timeout). */
  async function processedEntity(ref: string) {
    const credentials = await services.auth.getOwnServiceCredentials();
    const deadline = Date.now() + PROCESSING_TIMEOUT_MS;
    for (;;) {
      const entity = await services.catalog.getEntityByRef(ref, {
        credentials,
      });
      if (entity) return entity;
      if (Date.now() > deadline) {
        throw new Error(`The catalog did not process ${ref}`);
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }

  it('registers the service alice’s team owns, which K2’s policy would refuse her, with the plugin’s own credentials, audited, and outputs its ref', async () => {
    const url = await publish('ledger', {
      'catalog-info.yaml': component('ledger', 'payments-team'),
    });
    // Alice may not register it with catalog:register’s call, as herself.
    const asAlice = await fetch(
      `http://localhost:${backend.server.port()}/api/catalog/locations`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${mockCredentials.user.token(ALICE)}`,
        },
        body: JSON.stringify({ type: 'url', target: url }),
      },
    );
    expect(asAlice.status).toBe(403);
    expect(await locationTargets()).not.toContain(url);

    const output = await register(ALICE, url);
    expect(output).toEqual({
      entityRef: 'component:default/ledger',
      catalogInfoUrl: url,
    });
    expect(await locationTargets()).toContain(url);
    const entity = await processedEntity('component:default/ledger');
    expect(entity.spec?.owner).toBe('payments-team');
    expect(audited).toEqual([
      {
        options: expect.objectContaining({
          eventId: 'catalog-register',
          meta: expect.objectContaining({
            initiator: ALICE,
            catalogInfoUrl: url,
            entityRefs: ['component:default/ledger'],
          }),
        }),
        outcome: 'succeeded',
      },
    ]);
  });

  it('refuses a service owned by a team alice is not in, and registers nothing', async () => {
    const url = await publish('not-ours', {
      'catalog-info.yaml': component('not-ours', 'group:default/other-team'),
    });
    await expect(register(ALICE, url)).rejects.toThrow(
      'Component not-ours names group:default/other-team as its owner, which is not a group user:default/alice belongs to',
    );
    // Alice herself is not a group either.
    const personal = await publish('personal', {
      'catalog-info.yaml': component('personal', 'user:default/alice'),
    });
    await expect(register(ALICE, personal)).rejects.toThrow(
      /names user:default\/alice as its owner, which is not a group/,
    );
    // Nor may a task no user started (nobody’s groups to check).
    await expect(register(undefined, url)).rejects.toThrow(
      'this task was not started by a signed-in user',
    );
    const targets = await locationTargets();
    expect(targets).not.toContain(url);
    expect(targets).not.toContain(personal);
  });

  it('lets a platform admin register a service for any team', async () => {
    const url = await publish('for-others', {
      'catalog-info.yaml': component('for-others', 'group:default/other-team'),
    });
    expect(await register(DAVE, url)).toEqual({
      entityRef: 'component:default/for-others',
      catalogInfoUrl: url,
    });
    expect(await locationTargets()).toContain(url);
  });

  it('refuses a name the catalog already holds, in any case', async () => {
    await processedEntity('component:default/ledger');
    const url = await publish('ledger-again', {
      'catalog-info.yaml': component('ledger', 'payments-team'),
    });
    await expect(register(ALICE, url)).rejects.toThrow(
      'The catalog already holds component:default/ledger; choose another name (nothing was registered)',
    );
    // Entity names are compared without case, as the catalog compares them.
    const shouting = await publish('ledger-shouting', {
      'catalog-info.yaml': component('LEDGER', 'payments-team'),
    });
    await expect(register(ALICE, shouting)).rejects.toThrow(
      'The catalog already holds component:default/ledger; choose another name (nothing was registered)',
    );
    const targets = await locationTargets();
    expect(targets).not.toContain(url);
    expect(targets).not.toContain(shouting);
  });

  it('refuses a URL on a host that is neither the local Git server nor an integration’s, though the reader may read it', async () => {
    const url = await publish('other-host', {
      'catalog-info.yaml': component('other-host', 'payments-team'),
    });
    const elsewhere = url.replace('127.0.0.1', 'localhost');
    // The URL reader would read it (backend.reading.allow lists the host).
    const read = await services.urlReader.readUrl(elsewhere);
    expect((await read.buffer()).toString('utf8')).toContain('other-host');
    await expect(register(ALICE, elsewhere)).rejects.toThrow(
      /catalogInfoUrl is on localhost:\d+, which is neither the local Git server nor an integration’s host \(127\.0\.0\.1:\d+, .*github\.com.*\)/,
    );
    await expect(register(ALICE, 'file:///etc/passwd')).rejects.toThrow(
      "catalogInfoUrl 'file:///etc/passwd' is not an http(s) URL",
    );
    expect(await locationTargets()).not.toContain(elsewhere);
  });

  it('refuses a file with an entity of another kind, another namespace, or of absurd size', async () => {
    const withGroup = await publish('with-group', {
      'catalog-info.yaml': `${component(
        'with-group',
        'payments-team',
      )}---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: payments-team\nspec:\n  type: team\n  children: []\n`,
    });
    await expect(register(ALICE, withGroup)).rejects.toThrow(
      `Document 2 of ${withGroup} is a Group; a template registers only Component and API entities`,
    );
    const withLocation = await publish('with-location', {
      'catalog-info.yaml':
        'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: elsewhere\nspec:\n  targets: [https://github.com/x/y/blob/main/catalog-info.yaml]\n',
    });
    await expect(register(ALICE, withLocation)).rejects.toThrow(
      /is a Location; a template registers only Component and API entities/,
    );
    const otherNamespace = await publish('other-namespace', {
      'catalog-info.yaml': component(
        'other-namespace',
        'payments-team',
      ).replace('metadata:\n', 'metadata:\n  namespace: finance\n'),
    });
    await expect(register(ALICE, otherNamespace)).rejects.toThrow(
      "is in namespace 'finance'; a template registers entities in the default namespace only",
    );
    const huge = await publish('huge', {
      'catalog-info.yaml': `${component('huge', 'payments-team')}# ${'x'.repeat(
        MAX_CATALOG_INFO_BYTES,
      )}\n`,
    });
    await expect(register(ALICE, huge)).rejects.toThrow(
      /bytes; a catalog-info file may have at most/,
    );
    const targets = await locationTargets();
    for (const url of [withGroup, withLocation, otherNamespace, huge]) {
      expect(targets).not.toContain(url);
    }
    // Only the two registrations that succeeded were audited.
    expect(audited.map(a => a.outcome)).toEqual(['succeeded', 'succeeded']);
  });

  it('stops reading a file that never ends at the size limit, registering nothing', async () => {
    const { port } = endless.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/api/repos/payments/endless/files/catalog-info.yaml`;
    // The same action where that server is the local Git server.
    const action = createK2CatalogRegisterAction({
      ...services,
      config: new ConfigReader({
        k2: {
          platformAdminGroup: ADMINS,
          builds: {
            localGit: { url: `http://127.0.0.1:${port}`, tokenFile: 'unused' },
          },
        },
      }),
    });
    await expect(
      action.handler({
        input: { catalogInfoUrl: url },
        output: () => {},
        logger: { info: () => {} },
        logStream: new PassThrough(),
        getInitiatorCredentials: async () => mockCredentials.user(ALICE),
        task: { id: 'task-endless' },
        workspacePath: dir,
      } as any),
    ).rejects.toThrow(`${url} is more than ${MAX_CATALOG_INFO_BYTES} bytes`);
    expect(await locationTargets()).not.toContain(url);
  });

  it('refuses a file whose YAML aliases multiply (a billion laughs), naming the document', async () => {
    // Nine levels of ten aliases each: 10^9 strings once expanded, under the
    // spec the action reads.
    const lines = ['  a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      lines.push(
        `  a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    }
    const bomb = `${component('laughs', 'payments-team')}${lines.join('\n')}\n`;
    const url = await publish('laughs', { 'catalog-info.yaml': bomb });
    await expect(register(ALICE, url)).rejects.toThrow(
      `Document 1 of ${url} cannot be read: Excessive alias count`,
    );
    expect(await locationTargets()).not.toContain(url);
    expect(audited.map(a => a.outcome)).toEqual(['succeeded', 'succeeded']);
  });

  it('ingests from a registered location, at every later read, only Components and APIs of the default namespace', async () => {
    const url = await publish('shifty', {
      'catalog-info.yaml': component('shifty', 'payments-team'),
    });
    await register(ALICE, url);
    const credentials = await services.auth.getOwnServiceCredentials();
    const locationRef = `location:default/${locationSpecToMetadataName({
      type: K2_TEMPLATE_LOCATION_TYPE,
      target: url,
    })}`;
    const location = await processedEntity(locationRef);
    expect(location.spec).toEqual({
      type: K2_TEMPLATE_LOCATION_TYPE,
      target: url,
    });
    const shifty = await processedEntity('component:default/shifty');
    // Its children are url entities, so their source links work.
    expect(
      shifty.metadata.annotations?.['backstage.io/managed-by-location'],
    ).toBe(`url:${url}`);

    // A later commit claims what the action would have refused.
    const other = await publish('shifty-other', {
      'catalog-info.yaml': component('shifty-other', 'payments-team'),
    });
    await pushChange(url, {
      'catalog-info.yaml': [
        component('shifty', 'payments-team'),
        `apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: shifty-more\nspec:\n  targets: [${other}]\n`,
        'apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: grabbed\nspec:\n  owner: payments-team\n',
        component('moved', 'payments-team').replace(
          'metadata:\n',
          'metadata:\n  namespace: finance\n',
        ),
      ].join('---\n'),
    });
    await services.catalog.refreshEntity(locationRef, { credentials });
    const deadline = Date.now() + PROCESSING_TIMEOUT_MS;
    let messages: string[] = [];
    while (messages.length === 0) {
      if (Date.now() > deadline) {
        throw new Error(`The catalog did not read ${url} again`);
      }
      await new Promise(resolve => setTimeout(resolve, 200));
      const read = (await services.catalog.getEntityByRef(locationRef, {
        credentials,
      })) as AlphaEntity | undefined;
      messages = (read?.status?.items ?? []).map(i => i.error?.message ?? '');
    }
    expect(messages).toEqual(
      expect.arrayContaining([
        'Location shifty-more is not a Component or API; a location a template registered holds only those; it was not ingested',
        'System grabbed is not a Component or API; a location a template registered holds only those; it was not ingested',
        "Component moved is in namespace 'finance'; a location a template registered holds entities of the default namespace only; it was not ingested",
      ]),
    );
    for (const ref of [
      'location:default/shifty-more',
      'system:default/grabbed',
      'component:finance/moved',
      'component:default/shifty-other',
    ]) {
      expect(
        await services.catalog.getEntityByRef(ref, { credentials }),
      ).toBeUndefined();
    }
    // What the location held before stays.
    expect(
      await services.catalog.getEntityByRef('component:default/shifty', {
        credentials,
      }),
    ).toBeDefined();
  });
});
