import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  K2ClusterAccess,
  K2ClusterRegistry,
  readRegistries,
} from '@internal/plugin-k2-node';
import {
  hasDockerRegistry,
  LocalRegistry,
  pushImageTags,
  SandboxCluster,
  startLocalRegistry,
} from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackendStoppingReason, BuildJob, BuildOutcome } from '../types';
import { KubernetesBuildRunner } from './KubernetesBuildRunner';
import { buildJobName, renderBuildJob } from './renderBuildJob';
import { readKubernetesBuildSettings } from './settings';

jest.setTimeout(60_000);

const NAMESPACE = 'k2-builds';
const TOKEN = 'build-token';
const REGISTRY_HOST = 'registry.northwind.example';
const REGISTRY_PASSWORD = 'registry-pa55word';
const SOURCE_TOKEN = 'source-t0ken';
const BUILDKIT = 'moby/buildkit:v0.17.3-rootless';

/** A registry is required where the suite runs with it (`./k2 test` installs it). */
const describeWithRegistry =
  hasDockerRegistry() || process.env.K2_REQUIRE_REGISTRY === '1'
    ? describe
    : describe.skip;

describeWithRegistry('KubernetesBuildRunner in the sandbox cluster', () => {
  let cluster: SandboxCluster;
  let access: K2ClusterAccess;
  let registry: LocalRegistry;
  let registryDir: string;
  const kube = () => api(cluster);

  beforeAll(async () => {
    registryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-build-registry-'));
    registry = await startLocalRegistry({ rootDirectory: registryDir });
    cluster = new SandboxCluster({
      name: 'build',
      tokens: [TOKEN],
      timeScale: 0.05,
    });
    await cluster.listen(0);
    access = new K2ClusterAccess({
      registry: new K2ClusterRegistry([
        {
          name: 'build',
          url: cluster.url,
          serviceAccountToken: TOKEN,
          environments: [{ name: 'test', weight: 1 }],
          skipTLSVerify: false,
          configKey: 'kubernetes.clusterLocatorMethods[0].clusters[0]',
        },
      ]),
      logger: mockServices.logger.mock(),
    });
    const created = await kube().post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
    if (created.status !== 201) {
      throw new Error(
        `Could not create namespace ${NAMESPACE}: ${created.text}`,
      );
    }
  });

  afterAll(async () => {
    await access?.stop();
    await cluster?.stop();
    await registry?.stop();
    if (registryDir) fs.rmSync(registryDir, { recursive: true, force: true });
  });

  /** A runner as plugin.ts makes it, with the sandbox's knobs in the pod annotations. */
  function runner(
    kubernetes: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ) {
    return new KubernetesBuildRunner({
      config: new ConfigReader({
        k2: {
          environments: [{ name: 'test', clusters: [{ name: 'build' }] }],
          registries: [
            {
              host: REGISTRY_HOST,
              url: registry.url,
              insecure: true,
              username: 'k2',
              password: REGISTRY_PASSWORD,
            },
          ],
          builds: {
            sources: [{ host: '127.0.0.1:7108', token: SOURCE_TOKEN }],
            kubernetes: { image: BUILDKIT, ...kubernetes },
          },
          ...extra,
        },
      }),
      logger: mockServices.logger.mock(),
      access,
      pollIntervalMs: 100,
    });
  }

  function buildJob(overrides: Partial<BuildJob> = {}): BuildJob {
    const id = randomUUID();
    return {
      id,
      number: 1,
      service: 'component:payments/payment-gateway',
      serviceId: 'payments-payment-gateway',
      environments: ['test'],
      source: {
        url: 'http://127.0.0.1:7108/git/payments/payment-gateway.git',
        ref: 'main',
        commit: 'c'.repeat(40),
      },
      dockerfile: 'FROM registry.northwind.example/k2-base/busybox:1.35.0\n',
      target: {
        image: `${REGISTRY_HOST}/payments/payment-gateway:${id.slice(0, 12)}`,
        registryHost: REGISTRY_HOST,
      },
      timeoutMs: 30 * 60 * 1000,
      ...overrides,
    };
  }

  function sink() {
    let text = '';
    return {
      write: (chunk: string) => {
        text += chunk;
      },
      text: () => text,
    };
  }

  async function get(objectPath: string) {
    return kube().get(objectPath);
  }
  const jobPath = (job: BuildJob) =>
    `/apis/batch/v1/namespaces/${NAMESPACE}/jobs/${buildJobName(job)}`;
  const podsOf = async (job: BuildJob) =>
    (
      await get(
        `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(
          `batch.kubernetes.io/job-name=${buildJobName(job)}`,
        )}`,
      )
    ).body.items as any[];
  const running = async (job: BuildJob) =>
    (await podsOf(job)).some(p => p.status?.phase === 'Running');

  it('is available when the build cluster answers and the namespace exists', async () => {
    await expect(runner().available()).resolves.toEqual({ ok: true });
    await expect(
      runner({ namespace: 'ci-builds' }).available(),
    ).resolves.toEqual({
      ok: false,
      reason:
        "The namespace 'ci-builds' that builds run in does not exist in cluster 'build'",
    });
    await expect(
      runner(
        {},
        {
          environments: [
            {
              name: 'test',
              clusters: [{ name: 'build' }],
              builds: { cluster: 'elsewhere' },
            },
          ],
        },
      ).available(),
    ).resolves.toEqual({
      ok: false,
      reason:
        "K2 has no cluster 'elsewhere' to build in (declare it under kubernetes.clusterLocatorMethods)",
    });
  });

  it('runs the Job to Complete while the image is pushed, with the Dockerfile and credentials in objects owned by the Job', async () => {
    const job = buildJob();
    const log = sink();
    const outcome = runner().run(job, log, new AbortController().signal);

    // BuildKit's push, done as BuildKit would while the Job runs.
    await poll(
      'the build Job',
      async () => (await get(jobPath(job))).status === 200,
    );
    const tag = job.target.image.split(':').pop()!;
    await pushImageTags(registry.url, 'payments/payment-gateway', [tag]);

    const applied = (await get(jobPath(job))).body;
    expect(applied.spec.suspend).toBe(false);
    expect(applied.metadata.labels['k2.io/build-id']).toBe(job.id);
    const owned = async (kind: string, name: string) => {
      const plural = kind === 'ConfigMap' ? 'configmaps' : 'secrets';
      const object = (
        await get(`/api/v1/namespaces/${NAMESPACE}/${plural}/${name}`)
      ).body;
      expect(object.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'Job',
          name: applied.metadata.name,
          uid: applied.metadata.uid,
        }),
      ]);
      return object;
    };
    const name = buildJobName(job);
    const configMap = await owned('ConfigMap', `${name}-dockerfile`);
    expect(configMap.data.Dockerfile).toBe(job.dockerfile);
    const registrySecret = await owned('Secret', `${name}-registry`);
    expect(registrySecret.type).toBe('kubernetes.io/dockerconfigjson');
    const sourceSecret = await owned('Secret', `${name}-source`);
    expect(Buffer.from(sourceSecret.data.header, 'base64').toString()).toBe(
      `Authorization: Basic ${Buffer.from(
        `x-access-token:${SOURCE_TOKEN}`,
      ).toString('base64')}`,
    );
    expect(
      JSON.parse(
        Buffer.from(
          registrySecret.data['.dockerconfigjson'],
          'base64',
        ).toString(),
      ).auths[registry.host],
    ).toEqual({
      auth: Buffer.from(`k2:${REGISTRY_PASSWORD}`).toString('base64'),
    });

    await expect(outcome).resolves.toEqual({ result: 'pushed' });
    const complete = (await get(jobPath(job))).body;
    expect(complete.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Complete', status: 'True' }),
      ]),
    );
    // The pushed tag is in the registry, where the build service reads it back.
    const manifest = await fetch(
      `${registry.url}/v2/payments/payment-gateway/manifests/${tag}`,
      {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      },
    );
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toMatch(
      /^sha256:[0-9a-f]{64}$/,
    );

    const text = log.text();
    expect(text).toContain(
      `[k2] Job ${NAMESPACE}/${name} in cluster 'build' builds ${job.source.commit} and pushes ${registry.host}/payments/payment-gateway:${tag}`,
    );
    // The build container's own lines, followed from its pod.
    expect(text).toMatch(/msg=finished/);
    for (const secret of [REGISTRY_PASSWORD, SOURCE_TOKEN]) {
      expect(text).not.toContain(secret);
      expect(JSON.stringify(applied)).not.toContain(secret);
    }
  });

  it('fails with the exit code and the last lines of the build log when BuildKit fails', async () => {
    const job = buildJob();
    const log = sink();
    const outcome = await runner({ image: `${BUILDKIT}-crashloop` }).run(
      job,
      log,
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason: expect.stringMatching(
        /^The build failed \(exit code 1, Error\): .*msg="?unrecoverable error"?.* \| .*msg=exiting exit_code=1$/,
      ),
    });
    expect(log.text()).toContain('msg=exiting exit_code=1');
    // Failed Jobs are kept (ttlSecondsAfterFinished) for kubectl; the pod is not restarted.
    const pods = await podsOf(job);
    expect(pods).toHaveLength(1);
    expect(pods[0].status.phase).toBe('Failed');
  });

  it('fails at once when the build image cannot be pulled, deleting the Job', async () => {
    const job = buildJob();
    const outcome = await runner({ image: `${BUILDKIT}-notfound` }).run(
      job,
      sink(),
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason: expect.stringMatching(
        /^The build pod cannot start its build container \(moby\/buildkit:v0\.17\.3-rootless-notfound\): (ErrImagePull|ImagePullBackOff)/,
      ),
    });
    await poll(
      'the Job to be deleted',
      async () => (await get(jobPath(job))).status === 404,
    );
  });

  it('times out when the Job runs past its deadline', async () => {
    // 1 s deadline × time scale 0.05; the pod would run 600 s × 0.05 = 30 s.
    const job = buildJob({ timeoutMs: 1000 });
    const log = sink();
    const outcome = await runner({
      podAnnotations: { 'sandbox.k2.io/run-seconds': '600' },
    }).run(job, log, new AbortController().signal);
    expect(outcome).toEqual({ result: 'timed-out' });
    expect(log.text()).toContain(
      '[k2] The build ran longer than its timeout of 1 s',
    );
    const failed = (await get(jobPath(job))).body;
    expect(failed.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Failed', reason: 'DeadlineExceeded' }),
      ]),
    );
  });

  it('cancels by deleting the Job, its pod, ConfigMap and Secrets going with it', async () => {
    const job = buildJob();
    const log = sink();
    const controller = new AbortController();
    const outcome = runner({
      podAnnotations: { 'sandbox.k2.io/run-seconds': '600' },
    }).run(job, log, controller.signal);
    await poll('the build pod to run', () => running(job));
    controller.abort(new Error('Cancelled'));

    await expect(outcome).resolves.toEqual({ result: 'cancelled' });
    expect((await get(jobPath(job))).status).toBe(404);
    const name = buildJobName(job);
    await poll('the Job’s pod, ConfigMap and Secrets to be gone', async () => {
      const left = await Promise.all([
        get(`/api/v1/namespaces/${NAMESPACE}/configmaps/${name}-dockerfile`),
        get(`/api/v1/namespaces/${NAMESPACE}/secrets/${name}-registry`),
        get(`/api/v1/namespaces/${NAMESPACE}/secrets/${name}-source`),
      ]);
      return (
        left.every(r => r.status === 404) && (await podsOf(job)).length === 0
      );
    });
    expect(log.text()).toContain(
      `[k2] Cancelled: the build Job ${name} was deleted`,
    );
  });

  it('leaves the Job running when the backend stops, and a new runner resumes it by the build’s id', async () => {
    // 40 s × 0.05 = 2 s of build.
    const kubernetes = {
      podAnnotations: { 'sandbox.k2.io/run-seconds': '40' },
    };
    const job = buildJob();
    const first = new AbortController();
    const firstLog = sink();
    const stopped = runner(kubernetes).run(job, firstLog, first.signal);
    await poll('the build pod to run', () => running(job));
    first.abort(new BackendStoppingReason());
    await stopped;
    expect(firstLog.text()).toContain(
      'keeps running and is followed again at the next start',
    );
    expect((await get(jobPath(job))).status).toBe(200);

    const log = sink();
    const outcome: BuildOutcome = await runner(kubernetes).resume(
      job,
      log,
      new AbortController().signal,
    );
    expect(outcome).toEqual({ result: 'pushed' });
    expect(log.text()).toContain(
      '[k2] Following the build Job again after a backend restart',
    );
    // One pod ran the build; the resumed runner started nothing.
    expect(await podsOf(job)).toHaveLength(1);
  });

  it('fails a resumed build whose Job is gone', async () => {
    const job = buildJob();
    await expect(
      runner().resume(job, sink(), new AbortController().signal),
    ).resolves.toEqual({
      result: 'failed',
      reason: `The build Job ${NAMESPACE}/${buildJobName(
        job,
      )} is no longer in cluster 'build' after a backend restart`,
    });
  });

  it('fails without starting anything when the build namespace does not exist', async () => {
    const job = buildJob();
    const outcome = await runner({ namespace: 'missing' }).run(
      job,
      sink(),
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason: expect.stringMatching(
        /^The build Job could not start in cluster 'build': .*missing/,
      ),
    });
  });

  it('fails without a Job when K2 has no credentials entry for the image’s registry', async () => {
    const job = buildJob({
      target: {
        image: 'registry.elsewhere.example/payments/payment-gateway:1.0.0',
        registryHost: 'registry.elsewhere.example',
      },
    });
    const outcome = await runner().run(
      job,
      sink(),
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason:
        "The build Job could not start in cluster 'build': the registry registry.elsewhere.example is not in k2.registries, so K2 has no credentials to push with",
    });
    expect((await get(jobPath(job))).status).toBe(404);
  });

  it('deletes a resumed Job it cannot start again, not leaving it suspended for good', async () => {
    // A backend stopped between applying the Job suspended and letting it run; the
    // next one no longer has the image's registry in k2.registries.
    const job = buildJob({
      target: {
        image: 'registry.elsewhere.example/payments/payment-gateway:1.0.0',
        registryHost: 'registry.elsewhere.example',
      },
    });
    const created = await kube().post(
      `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: buildJobName(job),
          labels: { 'k2.io/build-id': job.id },
        },
        spec: {
          suspend: true,
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'build', image: BUILDKIT }],
            },
          },
        },
      },
    );
    expect(created.status).toBe(201);

    const outcome = await runner().resume(
      job,
      sink(),
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      result: 'failed',
      reason:
        "The build Job could not start in cluster 'build': the registry registry.elsewhere.example is not in k2.registries, so K2 has no credentials to push with",
    });
    await poll(
      'the suspended Job to be deleted',
      async () => (await get(jobPath(job))).status === 404,
    );
  });

  it('reads the whole log of a build resumed before its pod started', async () => {
    // A backend stopped between applying the Job suspended and letting it run: the
    // Job as the runner applies it first. 40 s × 0.05 = 2 s of build, printing as it goes.
    const kubernetes = {
      image: BUILDKIT,
      podAnnotations: { 'sandbox.k2.io/run-seconds': '40' },
    };
    const config = new ConfigReader({
      k2: {
        registries: [
          { host: REGISTRY_HOST, url: registry.url, insecure: true },
        ],
        builds: { kubernetes },
      },
    });
    const job = buildJob();
    const rendered = renderBuildJob(job, {
      namespace: NAMESPACE,
      settings: readKubernetesBuildSettings(config),
      registry: readRegistries(config).get(REGISTRY_HOST)!,
      suspend: true,
    });
    await access.apply('build', rendered.job);

    const log = sink();
    await expect(
      runner(kubernetes).resume(job, log, new AbortController().signal),
    ).resolves.toEqual({ result: 'pushed' });
    const [pod] = await podsOf(job);
    const whole = await get(
      `/api/v1/namespaces/${NAMESPACE}/pods/${pod.metadata.name}/log?container=build`,
    );
    const lines = String(whole.text).split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    // From the build container's first line on, none missing.
    expect(log.text()).toContain(lines.join('\n'));
  });
});
