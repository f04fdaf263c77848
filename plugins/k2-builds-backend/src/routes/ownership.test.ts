import {
  GitServer,
  signPushPayload,
  startGitServer,
} from '@internal/git-server';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { promises as fs } from 'fs';
import knexFactory, { Knex } from 'knex';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { TestRepository } from '../__testUtils__/gitRepository';
import {
  DatabaseBuildStore,
  MAX_SOURCE_KEY_LENGTH,
} from '../database/BuildStore';
import { normaliseRepositoryUrl } from '../sources';
import {
  ALICE,
  as,
  BOB,
  OTHER_TEAM,
  serviceEntity,
  startK2BuildsBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const REGISTRY_HOST = 'registry.northwind.example';
const WEBHOOK_SECRET = 'ownership-test-webhook-secret-77b0';
const PUSH_TOKEN = 'push-secret-3d4a';
const API = '/api/k2-builds';

/**
 * Builds of services whose owners name another team’s image repository or source
 * repository in their annotations: a catalog of two teams’ services (the owner group,
 * whose member is Alice, and the other team, Bob’s), a real Git server and backend.
 */
describe('builds of another team’s image repository or source repository', () => {
  let work: string;
  let git: GitServer;
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2BuildsBackend>>;
  const server = () => request(backend.server);
  const builds = async () => knex('k2_builds').select('*');
  const settings = (name: string, user = ALICE) =>
    server()
      .get(`${API}/services/default/${name}/build-settings`)
      .set(as(user));
  const start = (name: string, user: string) =>
    server()
      .post(`${API}/services/default/${name}/builds`)
      .set(as(user))
      .send({});
  const repositoryUrl = (name: string) => `${git.url}/${name}`;
  let payroll: TestRepository;

  /** Creates `name` on the Git server with one commit on main. */
  async function repositoryWithCommit(owner: string, name: string) {
    const repository = await TestRepository.create({
      serverUrl: git.url,
      pushToken: PUSH_TOKEN,
      owner,
      name,
      dir: path.join(work, `${owner}-${name}`),
    });
    await repository.commit({ 'README.md': `${name}\n` }, 'First commit');
    await repository.push('HEAD:refs/heads/main');
    return repository;
  }

  /** Cancels a build just queued and waits until it has ended. */
  /** `refusal` is the service's one settings problem and its start's 400. */
  async function expectRefused(name: string, user: string, refusal: string) {
    const shown = await settings(name, user);
    expect(shown.status).toBe(200);
    expect(shown.body.problems).toEqual([refusal]);
    const refused = await start(name, user);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      `This service cannot build: ${refusal}`,
    );
  }

  async function cancelled(name: string, number: number, user: string) {
    const base = `${API}/services/default/${name}/builds/${number}`;
    const cancel = await server().post(`${base}/cancel`).set(as(user));
    expect([200, 409]).toContain(cancel.status);
    for (;;) {
      const build = (await server().get(base).set(as(user))).body;
      if (!['queued', 'running'].includes(build.status)) return build;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-builds-ownership-'));
    git = await startGitServer({
      root: path.join(work, 'git'),
      port: 0,
      pushToken: PUSH_TOKEN,
    });
    const monorepo = await repositoryWithCommit('shared', 'monorepo');
    const invoices = await repositoryWithCommit('payments', 'invoices');
    const billing = await repositoryWithCommit('payments', 'billing');
    payroll = await repositoryWithCommit('payments', 'payroll');
    const service = (
      name: string,
      image: string,
      source: string,
      owner?: string,
    ) =>
      serviceEntity(
        name,
        {
          'k2.io/environments': 'test',
          'k2.io/namespace': owner ? 'risk' : 'payments',
          'k2.io/image': image,
          'backstage.io/source-location': `url:${source}`,
          'k2.io/language': 'node',
          'k2.io/build-branch': 'main',
        },
        owner ? { owner } : undefined,
      );
    const entities = [
      // The owner group’s services.
      service(
        'ledger-api',
        `${REGISTRY_HOST}/payments/ledger`,
        repositoryUrl('payments/ledger'),
      ),
      service(
        'invoices-api',
        `${REGISTRY_HOST}/payments/invoices`,
        invoices.cloneUrl,
      ),
      service(
        'invoices-worker',
        `${REGISTRY_HOST}/payments/invoices`,
        invoices.cloneUrl,
      ),
      service(
        'search',
        'Registry.Northwind.Example/payments/search',
        repositoryUrl('payments/search'),
      ),
      service(
        'catalog-api',
        `${REGISTRY_HOST}/payments/catalog-api`,
        monorepo.cloneUrl,
      ),
      service(
        'catalog-admin',
        `${REGISTRY_HOST}/payments/catalog-admin`,
        monorepo.cloneUrl,
      ),
      // The other team’s.
      service(
        'fraud-check',
        `${REGISTRY_HOST}/payments/ledger`,
        repositoryUrl('risk/fraud-check'),
        OTHER_TEAM,
      ),
      service(
        'search-copy',
        `${REGISTRY_HOST}/payments/search:1.0`,
        repositoryUrl('risk/search-copy'),
        OTHER_TEAM,
      ),
      service(
        'peek',
        `${REGISTRY_HOST}/risk/peek`,
        // The ledger’s repository, written another way.
        `${repositoryUrl('payments/ledger')}.git/`,
        OTHER_TEAM,
      ),
      service(
        'catalog-ui',
        `${REGISTRY_HOST}/risk/catalog-ui`,
        monorepo.cloneUrl,
        OTHER_TEAM,
      ),
      service(
        'catalog-search',
        `${REGISTRY_HOST}/risk/catalog-search`,
        monorepo.cloneUrl,
        OTHER_TEAM,
      ),
      service(
        'fresh',
        `${REGISTRY_HOST}/risk/fresh`,
        repositoryUrl('risk/fresh'),
        OTHER_TEAM,
      ),
      // An image repository the owner group’s service has built into, which a
      // service of the other team names afterwards.
      service(
        'billing-api',
        `${REGISTRY_HOST}/payments/billing`,
        billing.cloneUrl,
      ),
      service(
        'billing-copy',
        `${REGISTRY_HOST}/payments/billing:2.0`,
        repositoryUrl('risk/billing-copy'),
        OTHER_TEAM,
      ),
      // A repository the owner group’s service has built from, which a service of
      // the other team names afterwards (written another way).
      service(
        'payroll-api',
        `${REGISTRY_HOST}/payments/payroll`,
        payroll.cloneUrl,
      ),
      service(
        'payroll-peek',
        `${REGISTRY_HOST}/risk/payroll-peek`,
        `${repositoryUrl('payments/payroll')}/`,
        OTHER_TEAM,
      ),
      // A second service of the other team naming it: a monorepo of two teams
      // while nobody has built from it.
      service(
        'payroll-tools',
        `${REGISTRY_HOST}/risk/payroll-tools`,
        payroll.cloneUrl,
        OTHER_TEAM,
      ),
      // A repository URL longer than a build records.
      service(
        'long-source',
        `${REGISTRY_HOST}/risk/long-source`,
        repositoryUrl(`risk/${'x'.repeat(MAX_SOURCE_KEY_LENGTH)}`),
        OTHER_TEAM,
      ),
    ];
    cluster = new SandboxCluster({ name: 'test-1', tokens: ['test-1-token'] });
    await cluster.listen(0);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2BuildsBackend({
      entities,
      clusters: [cluster],
      knex,
      k2: {
        environments: [{ name: 'test', clusters: [{ name: 'test-1' }] }],
        // Nothing listens there: a build that gets as far as pushing fails.
        registries: [
          { host: REGISTRY_HOST, url: 'http://127.0.0.1:9', insecure: true },
        ],
        builds: {
          runner: 'local',
          timeout: { minutes: 2 },
          sources: [{ host: new URL(git.url).host }],
          webhooks: { secret: WEBHOOK_SECRET },
          local: { concurrency: 1, storageDir: path.join(work, 'buildah') },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await git?.close();
    await cluster?.stop();
    if (work) {
      await fs.rm(work, { recursive: true, force: true, maxRetries: 5 });
    }
  });

  it('refuses a build into another team’s image repository nobody has built into with a 400 naming its service, and queues nothing', async () => {
    const problem = `k2.io/image ${REGISTRY_HOST}/payments/ledger is the image repository of component:default/ledger-api (owned by group:default/shop-team), and no build has pushed an image there yet: neither builds into it until the owners settle in the catalog whose image repository it is`;
    await expectRefused('fraud-check', BOB, problem);
    // Until one of them names another repository, or while neither has built into
    // it, the team whose repository it is cannot build into it either: both are told
    // who else names it.
    expect((await settings('ledger-api')).body.problems[0]).toBe(
      `k2.io/image ${REGISTRY_HOST}/payments/ledger is the image repository of component:default/fraud-check (owned by group:default/other-team), and no build has pushed an image there yet: neither builds into it until the owners settle in the catalog whose image repository it is`,
    );
    expect((await start('ledger-api', ALICE)).status).toBe(400);
    expect(await builds()).toEqual([]);
  });

  it('compares registry hosts in any letter case', async () => {
    const shown = await settings('search-copy', BOB);
    expect(shown.body.problems).toEqual([
      `k2.io/image ${REGISTRY_HOST}/payments/search is the image repository of component:default/search (owned by group:default/shop-team), and no build has pushed an image there yet: neither builds into it until the owners settle in the catalog whose image repository it is`,
    ]);
    expect((await start('search-copy', BOB)).status).toBe(400);
    expect(await builds()).toEqual([]);
  });

  it('refuses a build of another team’s repository, written another way, with a 400 naming its service', async () => {
    const shown = await settings('peek', BOB);
    expect(shown.body.problems).toEqual([
      `backstage.io/source-location ${repositoryUrl(
        'payments/ledger',
      )}.git is the repository of component:default/ledger-api (owned by group:default/shop-team) and of no other service of this service’s owner, and no build has cloned it yet: a build clones only a repository no service of another owner names or has built from, or, while no build has cloned it, one its owner builds another service from too`,
    ]);
    // The team whose repository it is has not built from it either: it is told who
    // else names it.
    expect((await settings('ledger-api')).body.problems).toContain(
      `backstage.io/source-location ${repositoryUrl(
        'payments/ledger',
      )} is the repository of component:default/peek (owned by group:default/other-team) and of no other service of this service’s owner, and no build has cloned it yet: a build clones only a repository no service of another owner names or has built from, or, while no build has cloned it, one its owner builds another service from too`,
    );
    const refused = await start('peek', BOB);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(
      /^This service cannot build: backstage\.io\/source-location .* is the repository of component:default\/ledger-api/,
    );
    expect(await builds()).toEqual([]);
  });

  it('builds a team’s services sharing an image repository, a monorepo of two teams and a repository no other service names', async () => {
    for (const [name, user] of [
      ['invoices-api', ALICE],
      ['invoices-worker', ALICE],
      ['catalog-api', ALICE],
      ['catalog-ui', BOB],
      ['fresh', BOB],
    ]) {
      const shown = await settings(name, user);
      expect([name, shown.body.problems]).toEqual([name, []]);
    }
    for (const [name, user] of [
      ['invoices-worker', ALICE],
      ['catalog-ui', BOB],
    ]) {
      const started = await start(name, user);
      expect([name, started.status]).toEqual([name, 202]);
      expect(started.body.ref).toBe('main');
      await cancelled(name, started.body.number, user);
    }
    expect((await builds()).map(b => b.service).sort()).toEqual([
      'component:default/catalog-ui',
      'component:default/invoices-worker',
    ]);
  });

  it('answers a push of a service refused with why, queues nothing, and does not take the delivery for received', async () => {
    const before = (await builds()).length;
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: 'b'.repeat(40),
      created: false,
      deleted: false,
      repository: {
        name: 'fraud-check',
        full_name: 'risk/fraud-check',
        clone_url: `${repositoryUrl('risk/fraud-check')}.git`,
      },
      pusher: { name: 'bob' },
      head_commit: {
        id: 'b'.repeat(40),
        message: 'A change',
        timestamp: '2026-11-27T09:00:00Z',
        author: { name: 'Bob Example' },
      },
    });
    const headers = {
      'x-github-event': 'push',
      'x-github-delivery': 'fraud-check-1',
      'x-hub-signature-256': signPushPayload(body, WEBHOOK_SECRET),
    };
    const answer = await server()
      .post(`${API}/webhooks/push`)
      .set({ 'content-type': 'application/json', ...headers })
      .send(body);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      builds: [],
      message: `Nothing built: component:default/fraud-check cannot build: k2.io/image ${REGISTRY_HOST}/payments/ledger is the image repository of component:default/ledger-api (owned by group:default/shop-team), and no build has pushed an image there yet: neither builds into it until the owners settle in the catalog whose image repository it is`,
    });
    // Not taken for received: the same delivery is answered the same, not as a duplicate.
    const again = await server()
      .post(`${API}/webhooks/push`)
      .set({ 'content-type': 'application/json', ...headers })
      .send(body);
    expect(again.body.duplicate).toBeUndefined();
    expect(again.body.message).toMatch(/^Nothing built: /);
    expect((await builds()).length).toBe(before);
  });

  it('keeps building the service whose builds already pushed to the image repository, and refuses the other team’s newcomer naming it', async () => {
    const incumbent = 'component:default/billing-api';
    const newcomer = 'component:default/billing-copy';
    const store = await DatabaseBuildStore.create({
      database: { getClient: async () => knex },
    });
    /** A build of `service` that pushed `image` (on the runner this backend does not claim for). */
    const succeeded = async (service: string, image: string) => {
      const build = await store.createBuild({
        service,
        ref: 'main',
        commit: 'c'.repeat(40),
        trigger: 'ui',
        triggeredBy: 'user:default/alice',
        runner: 'kubernetes',
        image,
        sourceKey: normaliseRepositoryUrl(repositoryUrl('payments/billing')),
        dockerfileSource: 'generated',
        dockerfileTemplate: 'node',
      });
      expect(
        await store.transition(build.id, ['queued'], { status: 'succeeded' }),
      ).toBe(true);
    };
    const NEITHER = `k2.io/image ${REGISTRY_HOST}/payments/billing is the image repository of component:default/billing-copy (owned by group:default/other-team), and no build has pushed an image there yet`;
    expect((await settings('billing-api')).body.problems[0]).toContain(NEITHER);
    expect((await start('billing-api', ALICE)).status).toBe(400);

    // A failed build pushed nothing: no history yet.
    const failed = await store.createBuild({
      service: incumbent,
      ref: 'main',
      commit: 'c'.repeat(40),
      trigger: 'ui',
      triggeredBy: 'user:default/alice',
      runner: 'kubernetes',
      image: `${REGISTRY_HOST}/payments/billing:cccccccccccc`,
      sourceKey: normaliseRepositoryUrl(repositoryUrl('payments/billing')),
      dockerfileSource: 'generated',
      dockerfileTemplate: 'node',
    });
    await store.transition(failed.id, ['queued'], { status: 'failed' });
    expect((await start('billing-api', ALICE)).status).toBe(400);

    // Its image, the registry host written in other letter case, tagged.
    await succeeded(
      incumbent,
      'REGISTRY.northwind.example/payments/billing:1.4',
    );
    expect((await settings('billing-api')).body.problems).toEqual([]);
    const started = await start('billing-api', ALICE);
    expect(started.status).toBe(202);
    await cancelled('billing-api', started.body.number, ALICE);

    const refusal = `k2.io/image ${REGISTRY_HOST}/payments/billing already holds images built by component:default/billing-api of group:default/shop-team: a build pushes only to an image repository no service of another owner has built into`;
    await expectRefused('billing-copy', BOB, refusal);
    expect(
      await knex('k2_builds').where({ service: newcomer }).select('id'),
    ).toEqual([]);

    // Once both owners’ builds have pushed there, neither builds until the catalog
    // is settled.
    await succeeded(newcomer, `${REGISTRY_HOST}/payments/billing:9.9`);
    for (const [name, user, other] of [
      [
        'billing-api',
        ALICE,
        'billing-copy (owned by group:default/other-team)',
      ],
      ['billing-copy', BOB, 'billing-api (owned by group:default/shop-team)'],
    ]) {
      const problems = (await settings(name, user)).body.problems;
      expect([name, problems.length]).toEqual([name, 1]);
      expect(problems[0]).toContain(
        `is the image repository of component:default/${other}, and builds of both owners have pushed images there`,
      );
      expect((await start(name, user)).status).toBe(400);
    }
  });

  it('keeps building the service whose builds already cloned its repository while another team’s newcomer names it, and refuses the newcomer', async () => {
    const incumbent = 'component:default/payroll-api';
    const newcomer = 'component:default/payroll-peek';
    const key = normaliseRepositoryUrl(payroll.cloneUrl);
    const store = await DatabaseBuildStore.create({
      database: { getClient: async () => knex },
    });
    /** A build of `service` that ended `status` (on the runner this backend does not claim for). */
    const ended = async (
      service: string,
      status: 'succeeded' | 'failed',
      sourceKey = key,
    ) => {
      const build = await store.createBuild({
        service,
        ref: 'main',
        commit: 'c'.repeat(40),
        trigger: 'ui',
        triggeredBy: 'user:default/alice',
        runner: 'kubernetes',
        image: `${REGISTRY_HOST}/payments/payroll:cccccccccccc`,
        sourceKey,
        dockerfileSource: 'generated',
        dockerfileTemplate: 'node',
      });
      expect(await store.transition(build.id, ['queued'], { status })).toBe(
        true,
      );
      return build;
    };
    const NEITHER = `backstage.io/source-location ${payroll.cloneUrl} is the repository of component:default/payroll-peek (owned by group:default/other-team), component:default/payroll-tools (owned by group:default/other-team) and of no other service of this service’s owner, and no build has cloned it yet`;
    expect((await settings('payroll-api')).body.problems).toEqual([
      expect.stringContaining(NEITHER),
    ]);
    expect((await start('payroll-api', ALICE)).status).toBe(400);
    // While nobody has built from it, the other team builds two services from it:
    // a monorepo of two teams, as before builds recorded their repository.
    expect((await settings('payroll-peek', BOB)).body.problems).toEqual([]);

    // A failed build, one of another repository, and one from before builds
    // recorded their repository are no history.
    await ended(incumbent, 'failed');
    await ended(incumbent, 'succeeded', `${key}-old`);
    const unrecorded = await ended(incumbent, 'succeeded');
    await knex('k2_builds')
      .where({ id: unrecorded.id })
      .update({ source_key: null });
    expect((await start('payroll-api', ALICE)).status).toBe(400);

    await ended(incumbent, 'succeeded');
    expect((await settings('payroll-api')).body.problems).toEqual([]);
    const started = await start('payroll-api', ALICE);
    expect(started.status).toBe(202);
    await cancelled('payroll-api', started.body.number, ALICE);
    // The build records the repository it clones: its own history from now on.
    expect(
      await knex('k2_builds')
        .where({ service: incumbent, number: started.body.number })
        .first(),
    ).toMatchObject({ source_key: key });

    // A push builds it too, and records the repository.
    const commit = (await payroll.git('rev-parse', 'HEAD')).trim();
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: commit,
      created: false,
      deleted: false,
      repository: {
        name: 'payroll',
        full_name: 'payments/payroll',
        clone_url: payroll.cloneUrl,
      },
      pusher: { name: 'alice' },
      head_commit: {
        id: commit,
        message: 'A change',
        timestamp: '2026-11-27T09:00:00Z',
        author: { name: 'Alice Example' },
      },
    });
    const pushed = await server()
      .post(`${API}/webhooks/push`)
      .set({
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'payroll-1',
        'x-hub-signature-256': signPushPayload(body, WEBHOOK_SECRET),
      })
      .send(body);
    expect(pushed.status).toBe(202);
    const fromPush = await knex('k2_builds')
      .where({ service: incumbent, trigger: 'webhook' })
      .first();
    expect(fromPush).toMatchObject({ commit, source_key: key });
    // The newcomer naming the repository too is not built, and the answer says why.
    expect(pushed.body.builds).toEqual([
      { service: incumbent, number: fromPush.number },
    ]);
    expect(pushed.body.message).toMatch(
      /^component:default\/payroll-peek cannot build: backstage\.io\/source-location \S+ is already built from by component:default\/payroll-api of group:default\/shop-team:/,
    );
    await cancelled('payroll-api', fromPush.number, ALICE);

    const refusal = `backstage.io/source-location ${repositoryUrl(
      'payments/payroll',
    )} is already built from by component:default/payroll-api of group:default/shop-team: a build clones only a repository no service of another owner has built from`;
    // Refused although another service of its owner names the repository too.
    await expectRefused('payroll-peek', BOB, refusal);
    expect(
      await knex('k2_builds')
        .whereIn('service', [newcomer, 'component:default/payroll-tools'])
        .select('id'),
    ).toEqual([]);

    // Once both owners’ builds have cloned it, neither builds until the catalog is
    // settled.
    await ended(newcomer, 'succeeded');
    for (const [name, user, other] of [
      [
        'payroll-api',
        ALICE,
        'payroll-peek (owned by group:default/other-team)',
      ],
      ['payroll-peek', BOB, 'payroll-api (owned by group:default/shop-team)'],
      // Its side has built from it through payroll-peek.
      ['payroll-tools', BOB, 'payroll-api (owned by group:default/shop-team)'],
    ]) {
      const problems = (await settings(name, user)).body.problems;
      expect([name, problems.length]).toEqual([name, 1]);
      expect(problems[0]).toContain(
        `is the repository of component:default/${other}`,
      );
      expect(problems[0]).toMatch(
        /, and builds of both owners have cloned it: neither builds from it until the owners settle in the catalog whose repository it is$/,
      );
      expect((await start(name, user)).status).toBe(400);
    }
  });

  it('refuses a repository URL longer than a build records, and queues nothing', async () => {
    const before = (await builds()).length;
    const shown = await settings('long-source', BOB);
    expect(shown.body.problems).toEqual([
      `backstage.io/source-location is longer than ${MAX_SOURCE_KEY_LENGTH} characters: K2 builds from a repository URL of at most that length`,
    ]);
    expect((await start('long-source', BOB)).status).toBe(400);
    expect((await builds()).length).toBe(before);
  });
});
