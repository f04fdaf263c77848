import { GitServer, startGitServer } from '@internal/git-server';
import {
  hasDockerRegistry,
  LocalRegistry,
  pushImageTags,
  SandboxCluster,
  startLocalRegistry,
} from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { promises as fs } from 'fs';
import knexFactory, { Knex } from 'knex';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { TestRepository } from '../../__testUtils__/gitRepository';
import {
  ALICE,
  as,
  serviceEntity,
  startK2BuildsBackend,
} from '../../__testUtils__/testBackend';

jest.setTimeout(120_000);

const REGISTRY_HOST = 'registry.northwind.example';
const PUSH_TOKEN = 'push-secret-kube-41d0';
const API = '/api/k2-builds';
const GATEWAY = `${API}/services/default/payment-gateway`;

/** A registry is required where the suite runs with it (`./k2 test` installs it). */
const describeWithRegistry =
  hasDockerRegistry() || process.env.K2_REQUIRE_REGISTRY === '1'
    ? describe
    : describe.skip;

/**
 * The Builds API with `k2.builds.runner: kubernetes`: the build is a Job in the
 * sandbox cluster, and the build service judges it by the registry, as in production.
 * The sandbox runs no BuildKit, so the test pushes the tag while the Job runs, as
 * BuildKit would.
 */
describeWithRegistry(
  'Builds with the Kubernetes runner, through the Builds API',
  () => {
    let work: string;
    let git: GitServer;
    let registry: LocalRegistry;
    let cluster: SandboxCluster;
    let knex: Knex;
    let backend: Awaited<ReturnType<typeof startK2BuildsBackend>>;
    let commit: string;
    const server = () => request(backend.server);

    async function ended(number: number) {
      for (;;) {
        const build = (
          await server().get(`${GATEWAY}/builds/${number}`).set(as(ALICE))
        ).body;
        if (!['queued', 'running'].includes(build.status)) return build;
        await new Promise(resolve => setTimeout(resolve, 200));
      }
    }

    /** The build's Job in the sandbox, once the runner has applied it. */
    async function jobOf(buildId: string) {
      return poll('the build Job', async () => {
        const list = await api(cluster).get(
          `/apis/batch/v1/namespaces/k2-builds/jobs?labelSelector=${encodeURIComponent(
            `k2.io/build-id=${buildId}`,
          )}`,
        );
        return list.body.items?.[0];
      });
    }

    beforeAll(async () => {
      work = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-builds-kube-'));
      [git, registry] = await Promise.all([
        startGitServer({
          root: path.join(work, 'git'),
          port: 0,
          pushToken: PUSH_TOKEN,
          webhookUrls: [],
          webhookSecret: 'unused',
        }),
        startLocalRegistry({ rootDirectory: path.join(work, 'registry') }),
      ]);
      const repository = await TestRepository.create({
        serverUrl: git.url,
        pushToken: PUSH_TOKEN,
        owner: 'payments',
        name: 'payment-gateway',
        dir: work,
      });
      const cloneUrl = repository.cloneUrl;
      commit = await repository.commit(
        {
          Dockerfile: `FROM ${REGISTRY_HOST}/k2-base/busybox:1.35.0\nUSER 1000:1000\nEXPOSE 8080\n`,
        },
        'First commit',
      );
      await repository.push('HEAD:refs/heads/main');

      cluster = new SandboxCluster({
        name: 'test-1',
        tokens: ['test-1-token'],
        timeScale: 0.05,
      });
      await cluster.listen(0);
      const namespace = await api(cluster).post('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'k2-builds' },
      });
      if (namespace.status !== 201) {
        throw new Error(`creating the namespace: ${namespace.text}`);
      }
      knex = knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      });
      backend = await startK2BuildsBackend({
        entities: [
          serviceEntity('payment-gateway', {
            'k2.io/environments': 'test',
            'k2.io/namespace': 'payments',
            'k2.io/image': `${REGISTRY_HOST}/payments/payment-gateway`,
            'k2.io/dockerfile': 'Dockerfile',
            'backstage.io/source-location': `url:${cloneUrl}`,
          }),
        ],
        clusters: [cluster],
        knex,
        k2: {
          environments: [{ name: 'test', clusters: [{ name: 'test-1' }] }],
          registries: [
            { host: REGISTRY_HOST, url: registry.url, insecure: true },
          ],
          builds: {
            runner: 'kubernetes',
            timeout: { minutes: 5 },
            sources: [{ host: new URL(git.url).host }],
            kubernetes: {
              // The sandbox's build pod runs 60 s × its time scale 0.05 = 3 s.
              podAnnotations: { 'sandbox.k2.io/run-seconds': '60' },
            },
          },
        },
      });
    });

    afterAll(async () => {
      await backend?.stop();
      await knex?.destroy();
      await git?.close();
      await registry?.stop();
      await cluster?.stop();
      if (work) {
        await fs.rm(work, { recursive: true, force: true, maxRetries: 5 });
      }
    });

    it('says the runner is kubernetes in the build settings', async () => {
      const settings = await server()
        .get(`${GATEWAY}/build-settings`)
        .set(as(ALICE));
      expect(settings.status).toBe(200);
      expect(settings.body).toMatchObject({
        runner: 'kubernetes',
        problems: [],
      });
    });

    it('succeeds with the digest the registry has for the tag pushed while the Job ran', async () => {
      const tag = 'kube-1';
      const started = await server()
        .post(`${GATEWAY}/builds`)
        .set(as(ALICE))
        .send({ tag });
      expect(started.status).toBe(202);
      const job = await jobOf(started.body.id);
      expect(job.metadata.annotations['k2.io/build-commit']).toBe(commit);
      expect(
        (job.status?.conditions ?? []).some((c: any) => c.status === 'True'),
      ).toBe(false);
      await pushImageTags(registry.url, 'payments/payment-gateway', [tag]);

      const build = await ended(started.body.number);
      expect(build).toMatchObject({
        status: 'succeeded',
        runner: 'kubernetes',
      });
      const head = await fetch(
        `${registry.url}/v2/payments/payment-gateway/manifests/${tag}`,
        {
          method: 'HEAD',
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        },
      );
      expect(build.imageDigest).toBe(head.headers.get('docker-content-digest'));
      const log = await server()
        .get(`${GATEWAY}/builds/${started.body.number}/logs`)
        .set(as(ALICE));
      expect(log.text).toContain(`[k2] Job k2-builds/${job.metadata.name}`);
    });

    it('fails a Job that completed without pushing: the registry has no such tag', async () => {
      const started = await server()
        .post(`${GATEWAY}/builds`)
        .set(as(ALICE))
        .send({ tag: 'kube-never-pushed' });
      expect(started.status).toBe(202);
      const build = await ended(started.body.number);
      expect(build).toMatchObject({
        status: 'failed',
        reason: `the build pushed nothing to ${REGISTRY_HOST}/payments/payment-gateway:kube-never-pushed`,
      });
    });
  },
);
