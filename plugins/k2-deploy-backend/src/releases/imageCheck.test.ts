import { K2Release, K2ReleaseList } from '@internal/plugin-k2-common';
import {
  hasDockerRegistry,
  LocalRegistry,
  pushImageTags,
  startLocalRegistry,
} from '@internal/sandbox-cluster';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  CAROL,
  K2DeployTestBackend,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

/**
 * The release image check against a real registry (Debian's `docker-registry`). With
 * K2_REQUIRE_REGISTRY=1 (`./k2 test`) a missing registry fails these tests; run by hand
 * without it, they are reported as skipped, never passed.
 */
const haveRegistry = hasDockerRegistry();
if (!haveRegistry && process.env.K2_REQUIRE_REGISTRY === '1') {
  throw new Error(
    'docker-registry is missing and K2_REQUIRE_REGISTRY=1 says the release image check must be tested; install it (apt-get install -y docker-registry)',
  );
}
const describeWithRegistry = haveRegistry ? describe : describe.skip;

jest.setTimeout(120_000);

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DIGEST = /^sha256:[a-f0-9]{64}$/;

describeWithRegistry('the release image check', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-image-check-'));
  let registry: LocalRegistry;
  /** Loopback port where nothing listens: a registry that is down. */
  let closedPort: number;
  let refusing: K2DeployTestBackend;
  const bed = useK2DeployTestBed({ clusters: ['test', 'prod'] });

  const service = (name: string, image: string) =>
    serviceEntity(name, {
      'k2.io/environments': 'test,prod',
      'k2.io/namespace': 'shop',
      'k2.io/image': image,
    });

  /** Removes every tag of a repository (they all name one manifest). */
  async function deleteImage(repository: string, tag: string) {
    const head = await fetch(
      `${registry.url}/v2/${repository}/manifests/${tag}`,
      {
        method: 'HEAD',
        headers: { accept: OCI_MANIFEST },
      },
    );
    const digest = head.headers.get('docker-content-digest');
    const res = await fetch(
      `${registry.url}/v2/${repository}/manifests/${digest}`,
      { method: 'DELETE' },
    );
    expect(res.status).toBe(202);
  }

  /** The digest the registry holds for a tag. */
  async function digestOf(repository: string, tag: string) {
    const head = await fetch(
      `${registry.url}/v2/${repository}/manifests/${tag}`,
      {
        method: 'HEAD',
        headers: { accept: OCI_MANIFEST },
      },
    );
    expect(head.status).toBe(200);
    return head.headers.get('docker-content-digest');
  }

  beforeAll(async () => {
    registry = await startLocalRegistry({
      rootDirectory: path.join(dir, 'registry'),
    });
    await pushImageTags(registry.url, 'shop/basket', ['1.0.0', '1.1.0']);
    await pushImageTags(registry.url, 'shop/ledger', ['1.0.0', '1.1.0']);
    await pushImageTags(registry.url, 'shop/vault', ['2.0.0']);
    const probe = http.createServer();
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise(resolve => probe.close(resolve));

    const entities = [
      service('basket', `${registry.host}/shop/basket`),
      service('ledger', `${registry.host}/shop/ledger`),
      service('vault', `${registry.host}/shop/vault`),
      service('down', `127.0.0.1:${closedPort}/shop/down`),
      service('elsewhere', 'registry.elsewhere.example/shop/app'),
    ];
    const k2 = (unlistedRegistries?: string) => ({
      environments: [
        testEnvironment('test'),
        testEnvironment('prod', { production: true }),
      ],
      registries: [
        { host: registry.host, url: registry.url, insecure: true },
        {
          host: `127.0.0.1:${closedPort}`,
          url: `http://127.0.0.1:${closedPort}`,
          insecure: true,
          username: 'k2-reader',
          password: 'S3cret-registry-password',
        },
      ],
      ...(unlistedRegistries
        ? { releases: { imageCheck: { unlistedRegistries } } }
        : {}),
    });
    refusing = await bed.start({
      entities,
      k2: k2('refuse'),
      knex: bed.newDatabase(),
    });
    await bed.start({ entities, k2: k2() });
  });

  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = (
    pathname: string,
    user: string,
    body: object = {},
    backend = bed.backend,
  ) =>
    request(backend.server)
      .post(`/api/k2-deploy${pathname}`)
      .set(as(user))
      .send(body);

  const release = (name: string, image: string, environment = 'test') =>
    post(`/services/default/${name}/releases`, ALICE, { environment, image });

  const preview = (name: string, image: string, user = ALICE) =>
    post(`/services/default/${name}/releases/preview`, user, {
      environment: 'test',
      image,
    });

  async function history(name: string): Promise<K2ReleaseList> {
    const res = await request(bed.backend.server)
      .get(`/api/k2-deploy/services/default/${name}/releases`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body;
  }

  it('releases an image the registry holds and records its digest in the history', async () => {
    const digest = await digestOf('shop/basket', '1.1.0');
    expect(digest).toMatch(DIGEST);
    const shown = await preview('basket', '1.1.0');
    expect(shown.status).toBe(200);
    expect(shown.body.imageCheck).toEqual({
      status: 'found',
      registry: registry.host,
      digest,
    });

    const res = await release('basket', '1.1.0');
    expect(res.status).toBe(201);
    expect(res.body.imageDigest).toBe(digest);
    const done = await releaseFinished(bed.backend, res.body.id);
    expect(done).toMatchObject({ status: 'succeeded', imageDigest: digest });
    expect((await history('basket')).items[0]).toMatchObject({
      id: res.body.id,
      spec: { image: `${registry.host}/shop/basket:1.1.0` },
      imageDigest: digest,
    });

    // A scale keeps the running release's image, and its digest.
    const scaled = await post(
      '/services/default/basket/environments/test/scale',
      ALICE,
      { replicas: 2 },
    );
    expect(scaled.status).toBe(201);
    expect(scaled.body.imageDigest).toBe(digest);
    await releaseFinished(bed.backend, scaled.body.id);
  });

  it('refuses with 400 an image the registry does not hold, and creates nothing', async () => {
    const before = (await history('basket')).total;
    const res = await release('basket', '9.9.9');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      `The image ${registry.host}/shop/basket:9.9.9 is not in the registry ${registry.host}: build it or push it first`,
    );
    const shown = await preview('basket', '9.9.9');
    expect(shown.status).toBe(400);
    expect(shown.body.error.message).toBe(res.body.error.message);
    expect((await history('basket')).total).toBe(before);
  });

  it('answers 503 naming the registry when it cannot be asked, and creates nothing', async () => {
    const res = await release('down', '1.0.0');
    expect(res.status).toBe(503);
    expect(res.body.error.message).toBe(
      `Registry 127.0.0.1:${closedPort} cannot be reached (ECONNREFUSED) when K2 looked up shop/down:1.0.0`,
    );
    expect(JSON.stringify(res.body)).not.toContain('S3cret-registry-password');
    expect((await preview('down', '1.0.0')).status).toBe(503);
    expect((await history('down')).total).toBe(0);
  });

  it('refuses another team with 403 whatever the image, before asking the registry', async () => {
    for (const [name, image] of [
      ['basket', '1.0.0'],
      ['basket', '9.9.9'],
      ['down', '1.0.0'],
    ]) {
      const res = await post(`/services/default/${name}/releases`, BOB, {
        environment: 'test',
        image,
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).not.toContain('registry');
      expect((await preview(name, image, BOB)).status).toBe(403);
    }
  });

  it('releases an image of a registry not in k2.registries unchecked, and says so', async () => {
    const shown = await preview('elsewhere', '3.0.0');
    expect(shown.status).toBe(200);
    expect(shown.body.imageCheck).toEqual({
      status: 'not-checked',
      registry: 'registry.elsewhere.example',
    });
    const res = await release('elsewhere', '3.0.0');
    expect(res.status).toBe(201);
    expect(res.body.imageDigest).toBeUndefined();
    await releaseFinished(bed.backend, res.body.id);
  });

  it('refuses an image of a registry not in k2.registries where unlistedRegistries is refuse', async () => {
    const res = await post(
      '/services/default/elsewhere/releases',
      ALICE,
      { environment: 'test', image: '3.0.0' },
      refusing,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'The image registry.elsewhere.example/shop/app:3.0.0 is in the registry registry.elsewhere.example, which K2 does not check: releases here take only images of the registries in k2.registries',
    );
    // Images of the registries it checks are released as anywhere else.
    const listed = await post(
      '/services/default/basket/releases',
      ALICE,
      { environment: 'test', image: '1.0.0' },
      refusing,
    );
    expect(listed.status).toBe(201);
    expect(listed.body.imageDigest).toMatch(DIGEST);
    await releaseFinished(refusing, listed.body.id);
  });

  it('rolls back only to an image still in the registry', async () => {
    const first = await release('ledger', '1.0.0');
    expect(first.status).toBe(201);
    expect((await releaseFinished(bed.backend, first.body.id)).status).toBe(
      'succeeded',
    );
    const second = await release('ledger', '1.1.0');
    expect((await releaseFinished(bed.backend, second.body.id)).status).toBe(
      'succeeded',
    );
    await deleteImage('shop/ledger', '1.0.0');
    const before = (await history('ledger')).total;
    const gone = await post(`/releases/${first.body.id}/rollback`, ALICE);
    expect(gone.status).toBe(400);
    expect(gone.body.error.message).toBe(
      `The image ${registry.host}/shop/ledger:1.0.0 is not in the registry ${registry.host}: build it or push it first`,
    );
    expect((await history('ledger')).total).toBe(before);

    await pushImageTags(registry.url, 'shop/ledger', ['1.0.0']);
    const back = await post(`/releases/${first.body.id}/rollback`, ALICE);
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({
      kind: 'rollback',
      imageDigest: await digestOf('shop/ledger', '1.0.0'),
    });
    await releaseFinished(bed.backend, back.body.id);
  });

  it('looks the image up again when an approval lets a waiting release go', async () => {
    const waiting = await release('vault', '2.0.0', 'prod');
    expect(waiting.status).toBe(201);
    expect(waiting.body.status).toBe('pending-approval');
    const digest = await digestOf('shop/vault', '2.0.0');
    expect(waiting.body.imageDigest).toBe(digest);

    await deleteImage('shop/vault', '2.0.0');
    const refused = await post(`/releases/${waiting.body.id}/approve`, CAROL);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      `The image ${registry.host}/shop/vault:2.0.0 is not in the registry ${registry.host}: build it or push it first`,
    );
    const still = await request(bed.backend.server)
      .get(`/api/k2-deploy/releases/${waiting.body.id}`)
      .set(as(BOB));
    expect(still.body.status).toBe('pending-approval');

    await pushImageTags(registry.url, 'shop/vault', ['2.0.0']);
    const approved = await post(`/releases/${waiting.body.id}/approve`, CAROL);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'applying',
      imageDigest: await digestOf('shop/vault', '2.0.0'),
    });
    const done: K2Release = await releaseFinished(bed.backend, waiting.body.id);
    expect(done.status).toBe('succeeded');
  });

  it('refuses a canary of an image the registry does not hold', async () => {
    const res = await post(
      '/services/default/basket/environments/test/canary',
      ALICE,
      { image: '9.9.9' },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      `The image ${registry.host}/shop/basket:9.9.9 is not in the registry ${registry.host}: build it or push it first`,
    );
  });
});
