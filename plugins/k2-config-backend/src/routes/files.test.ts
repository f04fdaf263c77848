import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  SignalPayload,
  signalsServiceRef,
} from '@backstage/plugin-signals-node';
import { SandboxCluster } from '@internal/sandbox-cluster';
import {
  api,
  Kubectl,
  kubectlAvailable,
} from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  deployMountsStand,
  OTHER_TEAM,
  serviceEntity,
  startK2ConfigBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

/** Every line any plugin logs, audit events included (the auditor logs through it). */
const logLines: string[] = [];

function recordingLogger(meta: Record<string, unknown> = {}): LoggerService {
  const record = (level: string) => (message: string, extra?: unknown) => {
    logLines.push(
      `${level} ${message} ${JSON.stringify({ ...meta, extra }, (_k, v) =>
        v instanceof Error ? `${v.name}: ${v.message} ${v.stack}` : v,
      )}`,
    );
  };
  return {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    child: more => recordingLogger({ ...meta, ...more }),
  };
}

// The test backend with a root logger that keeps every line, so the test can search
// the backend's log and audit events for a sensitive file's content.
jest.mock('@backstage/backend-test-utils', () => {
  const actual = jest.requireActual('@backstage/backend-test-utils');
  return {
    ...actual,
    startTestBackend: (options: { features: unknown[] }) =>
      actual.startTestBackend({
        ...options,
        features: [
          ...options.features,
          createServiceFactory({
            service: coreServices.rootLogger,
            deps: {},
            factory: () => recordingLogger() as any,
          }),
        ],
      }),
  };
});

/** Runs where kubectl is installed; `kubectlAvailable` fails under K2_REQUIRE_KUBECTL. */
const itWithKubectl = kubectlAvailable() ? it : it.skip;

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});
/** Another team's service. */
const ledger = serviceEntity(
  'ledger',
  { 'k2.io/environments': 'test', 'k2.io/namespace': 'finance' },
  { owner: OTHER_TEAM },
);

const API = '/api/k2-config';
const files = (name = 'basket', namespace = 'default') =>
  `${API}/services/${namespace}/${name}/environments/test/files`;
const APP = `${files()}/application.yaml`;
const SECRETS = `${files()}/secrets.properties`;
const PASSWORD = 'hunter2-Wörd';

const YAML_V1 = 'server:\n  port: 8080\n';
const YAML_V2 = 'server:\n  port: 9090\n';

describe('config files, on two sandbox clusters', () => {
  let clusters: SandboxCluster[];
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2ConfigBackend>>;
  const deploy = deployMountsStand();
  const server = () => request(backend.server);
  /** Every signal the backend published, in order. */
  const signals: SignalPayload[] = [];

  /** The ConfigMaps (or Secrets) of one file in one cluster, by name. */
  async function objects(
    cluster: SandboxCluster,
    file: string,
    kind: 'configmaps' | 'secrets' = 'configmaps',
  ) {
    const list = await api(cluster).get(
      `/api/v1/namespaces/shop/${kind}?labelSelector=${encodeURIComponent(
        `k2.io/config-file=${file}`,
      )}`,
    );
    return (list.body.items as Array<{ metadata: { name: string } }>)
      .map(o => o.metadata.name)
      .sort();
  }

  /** Every row of both tables, as text. */
  const rows = async () =>
    JSON.stringify([
      await knex('k2_config_files').select('*'),
      await knex('k2_config_versions').select('*'),
    ]);

  beforeAll(async () => {
    clusters = ['test-a', 'test-b'].map(
      name =>
        new SandboxCluster({
          name,
          tokens: [`${name}-token`],
          timeScale: 0.1,
          bookmarkIntervalMs: 200,
        }),
    );
    await Promise.all(clusters.map(c => c.listen(0)));
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2ConfigBackend({
      entities: [basket, ledger],
      clusters,
      knex,
      features: [
        deploy.feature,
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({
            publish: async (signal: SignalPayload) => void signals.push(signal),
          }),
        }),
      ],
      k2: {
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'test-a' }, { name: 'test-b' }],
          },
        ],
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await Promise.all((clusters ?? []).map(c => c.stop()));
  });

  it('creates a file as version 1, an immutable ConfigMap named by its content in every cluster', async () => {
    const created = await server().post(files()).set(as(ALICE)).send({
      name: 'application.yaml',
      format: 'yaml',
      mountPath: '/app/config/application.yaml',
      content: YAML_V1,
      message: 'First',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'application.yaml',
      format: 'yaml',
      sensitive: false,
      versionCount: 1,
      createdBy: ALICE,
      latest: {
        number: 1,
        author: ALICE,
        message: 'First',
        size: YAML_V1.length,
        collected: false,
      },
    });
    const { hash, object } = created.body.latest;
    expect(hash).toMatch(/^[0-9a-z]{10}$/);
    expect(object).toBe(`basket-application-yaml-${hash}`);
    for (const cluster of clusters) {
      const map = await api(cluster).get(
        `/api/v1/namespaces/shop/configmaps/${object}`,
      );
      expect(map.status).toBe(200);
      expect(map.body).toMatchObject({
        immutable: true,
        data: { 'application.yaml': YAML_V1 },
        metadata: {
          labels: {
            'k2.io/service': 'basket',
            'k2.io/environment': 'test',
            'app.kubernetes.io/managed-by': 'k2',
            'k2.io/config-file': 'application.yaml',
            'k2.io/config-hash': hash,
          },
        },
      });
      expect(Object.keys(map.body.data)).toEqual(['application.yaml']);
    }
    // A second file of the same name is refused.
    const again = await server().post(files()).set(as(ALICE)).send({
      name: 'application.yaml',
      format: 'yaml',
      mountPath: '/x',
      content: 'a: 1\n',
    });
    expect(again.status).toBe(409);
  });

  it('refuses a YAML error with its line, saving nothing and writing nothing to the clusters', async () => {
    const before = await objects(clusters[0], 'application.yaml');
    const response = await server()
      .post(`${APP}/versions`)
      .set(as(ALICE))
      .send({
        content: 'server:\n  port: 8080\n  host: a: b\n',
        baseVersion: 1,
      });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      name: 'InputError',
      line: 3,
      column: 9,
    });
    expect(response.body.error.message).toMatch(/^Not valid yaml: line 3/);
    const versions = await server().get(`${APP}/versions`).set(as(ALICE));
    expect(versions.body.total).toBe(1);
    expect(await objects(clusters[0], 'application.yaml')).toEqual(before);
    expect(await objects(clusters[1], 'application.yaml')).toEqual(before);
  });

  it('saves version 2 after version 1, and refuses a save from a stale base and one without changes', async () => {
    const saved = await server()
      .post(`${APP}/versions`)
      .set(as(ALICE))
      .send({ content: YAML_V2, message: 'Port 9090', baseVersion: 1 });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ number: 2, message: 'Port 9090' });
    expect(await objects(clusters[1], 'application.yaml')).toHaveLength(2);

    // A second editor who opened version 1 does not overwrite version 2.
    const stale = await server()
      .post(`${APP}/versions`)
      .set(as(ALICE))
      .send({ content: 'server:\n  port: 7070\n', baseVersion: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toMatch(/is at version 2.*not 1/);

    const same = await server()
      .post(`${APP}/versions`)
      .set(as(ALICE))
      .send({ content: YAML_V2, baseVersion: 2 });
    expect(same.status).toBe(409);
    expect(same.body.error.message).toMatch(/^No changes/);
    expect(
      (await server().get(`${APP}/versions`).set(as(ALICE))).body.total,
    ).toBe(2);
  });

  it('restores version 1 as version 3: same hash, same object', async () => {
    const v1 = (await server().get(`${APP}/versions/1`).set(as(BOB))).body;
    const restored = await server()
      .post(`${APP}/versions/1/restore`)
      .set(as(ALICE))
      .send({});
    expect(restored.status).toBe(201);
    expect(restored.body).toMatchObject({
      number: 3,
      hash: v1.hash,
      object: v1.object,
      restoredFrom: 1,
      message: 'Restore version 1',
    });
    // No third object: the content is version 1's.
    expect(await objects(clusters[0], 'application.yaml')).toHaveLength(2);
    const compare = await server()
      .get(`${APP}/compare?from=2&to=3`)
      .set(as(BOB));
    expect(compare.status).toBe(200);
    expect(compare.body).toMatchObject({
      from: { content: YAML_V2, version: { number: 2 } },
      to: { content: YAML_V1, version: { number: 3 } },
    });
  });

  it('lists versions newest first, with the releases mounting each as the Deploy backend says', async () => {
    const v1 = (await server().get(`${APP}/versions/1`).set(as(BOB))).body;
    deploy.set('component:default/basket', [
      {
        environment: 'test',
        kind: 'config',
        name: 'application.yaml',
        version: 1,
        object: v1.object,
        releases: [{ id: 'r7', number: 7, current: true }],
      },
    ]);
    const list = await server().get(`${APP}/versions`).set(as(BOB));
    expect(list.status).toBe(200);
    expect(
      list.body.items.map((v: { number: number; releases: unknown }) => [
        v.number,
        v.releases,
      ]),
    ).toEqual([
      // Version 3 has version 1's content, so the same object the release mounts.
      [3, [{ id: 'r7', number: 7, current: true }]],
      [2, []],
      [1, [{ id: 'r7', number: 7, current: true }]],
    ]);
    // The file list shows them for each file's latest version too.
    const listed = await server().get(files()).set(as(BOB));
    expect(listed.body.items[0].latest).toMatchObject({
      number: 3,
      releases: [{ id: 'r7', number: 7, current: true }],
    });
  });

  it('refuses deleting a file a release mounts, naming the release', async () => {
    const refused = await server().delete(APP).set(as(ALICE));
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      'application.yaml is mounted by release #7 in test; release without it first',
    );
    expect(await objects(clusters[0], 'application.yaml')).toHaveLength(2);
    expect((await server().get(APP).set(as(ALICE))).status).toBe(200);
  });

  it('writes a sensitive file only to Secrets, never to the database, and shows its content to owners only', async () => {
    const created = await server()
      .post(files())
      .set(as(ALICE))
      .send({
        name: 'secrets.properties',
        format: 'properties',
        sensitive: true,
        mountPath: '/app/config/secrets.properties',
        content: `db.password=${PASSWORD}\n`,
      });
    expect(created.status).toBe(201);
    const { object } = created.body.latest;
    expect(await objects(clusters[0], 'secrets.properties')).toEqual([]);
    for (const cluster of clusters) {
      const secret = await api(cluster).get(
        `/api/v1/namespaces/shop/secrets/${object}`,
      );
      expect(secret.body).toMatchObject({
        immutable: true,
        metadata: { labels: { 'k2.io/config-file': 'secrets.properties' } },
      });
      expect(
        Buffer.from(
          secret.body.data['secrets.properties'],
          'base64',
        ).toString(),
      ).toBe(`db.password=${PASSWORD}\n`);
    }
    const saved = await server()
      .post(`${SECRETS}/versions`)
      .set(as(ALICE))
      .send({ content: `db.password=${PASSWORD}-2\n`, baseVersion: 1 });
    expect(saved.status).toBe(201);

    // The rows hold hash, size, author and message: no content.
    const stored = await knex('k2_config_versions')
      .join(
        'k2_config_files',
        'k2_config_files.id',
        'k2_config_versions.file_id',
      )
      .where('k2_config_files.name', 'secrets.properties')
      .select('k2_config_versions.*');
    expect(stored).toHaveLength(2);
    expect(stored.map(r => r.content)).toEqual([null, null]);
    expect(await rows()).not.toContain(PASSWORD);

    // Everyone signed in sees the metadata; only owners the content, from the Secret.
    const meta = await server().get(`${SECRETS}/versions/1`).set(as(BOB));
    expect(meta.status).toBe(200);
    expect(JSON.stringify(meta.body)).not.toContain(PASSWORD);
    for (const path of [
      `${SECRETS}/versions/1/content`,
      `${SECRETS}/compare?from=1&to=2`,
    ]) {
      const refused = await server().get(path).set(as(BOB));
      expect({ path, status: refused.status }).toEqual({ path, status: 403 });
      expect(refused.text).not.toContain(PASSWORD);
    }
    const content = await server()
      .get(`${SECRETS}/versions/2/content`)
      .set(as(ALICE));
    expect(content.status).toBe(200);
    expect(content.body.content).toBe(`db.password=${PASSWORD}-2\n`);
    expect(content.headers['cache-control']).toBe('no-store');

    // Restoring reads the old content back from the Secret: the same object again.
    const restored = await server()
      .post(`${SECRETS}/versions/1/restore`)
      .set(as(ALICE))
      .send({});
    expect(restored.status).toBe(201);
    expect(restored.body).toMatchObject({ number: 3, object, restoredFrom: 1 });
    expect(
      (await server().get(`${SECRETS}/versions/3/content`).set(as(ALICE))).body
        .content,
    ).toBe(`db.password=${PASSWORD}\n`);

    // A format error in a sensitive file names the line, not the content.
    const bad = await server()
      .post(`${SECRETS}/versions`)
      .set(as(ALICE))
      .send({ content: `a=1\npw=${PASSWORD}\\u12\n`, baseVersion: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.line).toBe(2);
    expect(bad.text).not.toContain(PASSWORD);
  });

  it('lets one of two saves on the same base land, and refuses the other', async () => {
    const [a, b] = await Promise.all(
      ['server:\n  port: 1111\n', 'server:\n  port: 2222\n'].map(content =>
        server()
          .post(`${APP}/versions`)
          .set(as(ALICE))
          .send({ content, baseVersion: 3 }),
      ),
    );
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const versions = await server().get(`${APP}/versions`).set(as(ALICE));
    expect(versions.body.total).toBe(4);
    // Back to version 3's content, so the tests below start from it.
    const back = await server()
      .post(`${APP}/versions/3/restore`)
      .set(as(ALICE))
      .send({});
    expect(back.body.number).toBe(5);
  });

  it('records nothing when a cluster fails the write, naming it, and a retry succeeds', async () => {
    clusters[1].faults.set({
      errors: {
        code: 500,
        seconds: 60,
        verbs: ['patch'],
        resources: ['configmaps'],
      },
    });
    const failed = await server()
      .post(`${APP}/versions`)
      .set(as(ALICE))
      .send({ content: 'server:\n  port: 6060\n', baseVersion: 5 });
    clusters[1].faults.clear();
    expect(failed.status).toBe(503);
    expect(failed.body.error.message).toContain("cluster 'test-b'");
    expect(
      (await server().get(`${APP}/versions`).set(as(ALICE))).body.total,
    ).toBe(5);
    const retried = await server()
      .post(`${APP}/versions`)
      .set(as(ALICE))
      .send({ content: 'server:\n  port: 6060\n', baseVersion: 5 });
    expect(retried.status).toBe(201);
    expect(retried.body.number).toBe(6);
  });

  itWithKubectl(
    'shows in kubectl the immutable ConfigMap with its labels, and the Secret of the sensitive file',
    async () => {
      const kubectl = new Kubectl(clusters);
      try {
        const v6 = (await server().get(`${APP}/versions/6`).set(as(ALICE)))
          .body;
        const map = await kubectl.run(
          'test-b',
          'get',
          'configmap',
          '-n',
          'shop',
          v6.object,
          '-o',
          'json',
        );
        expect(map.code).toBe(0);
        const parsed = JSON.parse(map.stdout);
        expect(parsed.immutable).toBe(true);
        expect(parsed.metadata.labels['k2.io/config-hash']).toBe(v6.hash);
        const secrets = await kubectl.run(
          'test-a',
          'get',
          'secrets',
          '-n',
          'shop',
          '-l',
          'k2.io/config-file=secrets.properties',
          '-o',
          'name',
        );
        expect(secrets.stdout.trim().split('\n')).toHaveLength(2);
      } finally {
        kubectl.dispose();
      }
    },
  );

  it('deletes a file no release mounts: its objects leave the clusters, its history stays', async () => {
    deploy.set('component:default/basket', []);
    const deleted = await server().delete(SECRETS).set(as(ALICE));
    expect(deleted.status).toBe(204);
    for (const cluster of clusters) {
      expect(await objects(cluster, 'secrets.properties', 'secrets')).toEqual(
        [],
      );
    }
    expect((await server().get(SECRETS).set(as(ALICE))).status).toBe(404);
    const list = await server().get(files()).set(as(BOB));
    expect(list.body.items.map((f: { name: string }) => f.name)).toEqual([
      'application.yaml',
    ]);
    expect(
      await knex('k2_config_files')
        .where({ name: 'secrets.properties' })
        .whereNotNull('deleted_at'),
    ).toHaveLength(1);
  });

  it('announced every change on the service’s Signals channel, without content', async () => {
    expect(
      signals.every(
        s =>
          s.channel === 'k2-config:component:default/basket' &&
          s.recipients.type === 'broadcast',
      ),
    ).toBe(true);
    const messages = signals.map(s => s.message);
    expect(messages.slice(0, 3)).toEqual([
      {
        environment: 'test',
        file: 'application.yaml',
        change: 'created',
        version: 1,
      },
      {
        environment: 'test',
        file: 'application.yaml',
        change: 'saved',
        version: 2,
      },
      {
        environment: 'test',
        file: 'application.yaml',
        change: 'restored',
        version: 3,
      },
    ]);
    expect(messages).toContainEqual({
      environment: 'test',
      file: 'secrets.properties',
      change: 'deleted',
    });
    // Refused and failed changes announce nothing: 6 + 3 versions made, 1 delete.
    expect(messages).toHaveLength(10);
    expect(JSON.stringify(signals)).not.toContain(PASSWORD);
  });

  it('never logs or audits a sensitive file’s content', async () => {
    // The saves, refusals and reads above were logged and audited.
    expect(logLines.some(line => line.includes('config-file-save'))).toBe(true);
    expect(logLines.filter(line => line.includes(PASSWORD))).toEqual([]);
    const base64 = Buffer.from(`db.password=${PASSWORD}\n`).toString('base64');
    expect(logLines.filter(line => line.includes(base64))).toEqual([]);
  });

  describe('as someone it is not for', () => {
    it('another team reads names, metadata and contents of files that are not sensitive', async () => {
      for (const path of [
        files(),
        APP,
        `${APP}/versions`,
        `${APP}/versions/1`,
        `${APP}/versions/1/content`,
      ]) {
        const response = await server().get(path).set(as(BOB));
        expect({ path, status: response.status }).toEqual({
          path,
          status: 200,
        });
      }
    });

    it('another team may not create, save, restore or delete, and nothing is written', async () => {
      const before = await rows();
      const attempts = [
        server().post(files()).set(as(BOB)).send({
          name: 'x.yaml',
          format: 'yaml',
          mountPath: '/x',
          content: 'a: 1\n',
        }),
        server()
          .post(`${APP}/versions`)
          .set(as(BOB))
          .send({ content: 'a: 2\n', baseVersion: 6 }),
        server().post(`${APP}/versions/1/restore`).set(as(BOB)).send({}),
        server().delete(APP).set(as(BOB)),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(403);
        expect(response.body.error.message).toMatch(
          /^You may not change the config files of component:default\/basket/,
        );
      }
      expect(await rows()).toBe(before);
    });

    it('an owner may not write the files of another team’s service', async () => {
      const response = await server()
        .post(files('ledger'))
        .set(as(ALICE))
        .send({
          name: 'a.yaml',
          format: 'yaml',
          mountPath: '/a',
          content: 'a: 1\n',
        });
      expect(response.status).toBe(403);
    });

    it('refuses file names with a slash, a dot-dot or 300 characters, and unknown services', async () => {
      for (const name of [
        'a%2Fb.yaml',
        '..',
        '..%2F..%2Fetc',
        'a'.repeat(300),
        '.hidden',
      ]) {
        const response = await server()
          .get(`${files()}/${name}`)
          .set(as(ALICE));
        expect({ name, status: response.status }).toEqual({
          name,
          status: 400,
        });
      }
      const created = await server().post(files()).set(as(ALICE)).send({
        name: '../../etc/passwd',
        format: 'text',
        mountPath: '/x',
        content: 'x',
      });
      expect(created.status).toBe(400);
      const unknown = await server().get(files('nobody')).set(as(ALICE));
      expect(unknown.status).toBe(404);
    });

    it('refuses 5 MiB of content before reading it, and 950 KiB naming the limit', async () => {
      const huge = await server()
        .post(`${APP}/versions`)
        .set(as(ALICE))
        .send({ content: 'x'.repeat(5 * 1024 * 1024), baseVersion: 6 });
      expect(huge.status).toBe(413);
      const large = await server()
        .post(files())
        .set(as(ALICE))
        .send({
          name: 'large.txt',
          format: 'text',
          mountPath: '/large.txt',
          content: 'x'.repeat(950 * 1024),
        });
      expect(large.status).toBe(400);
      expect(large.body.error.message).toMatch(/at most 900 KiB/);
      expect(await objects(clusters[0], 'large.txt')).toEqual([]);
    });
  });
});
