import { K2Release } from '@internal/plugin-k2-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

/**
 * The release form's two reads: the values a release gets for what it leaves out
 * (`release-defaults`), and the dry run of a release (`releases/preview`) — against a
 * sandbox cluster, the real permission path and a real SQLite database.
 */
const basket = serviceEntity('basket', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
  'k2.io/image': 'registry.k2.local/shop/basket',
  'k2.io/replicas.prod': '3',
});

const API = '/api/k2-deploy/services/default/basket';
const IMAGE = 'registry.k2.local/shop/basket';
/** The secret variable's value: it must never leave the cluster's Secret. */
const SECRET = 'sk_live_preview_4b1d';
const REPLACED = 'sk_live_rotated_9c2e';

/** `test` defaults to 2 replicas; `prod` (approval required) shares its cluster. */
const bed = useK2DeployTestBed({
  clusters: ['test'],
  backend: {
    entities: [basket],
    k2: {
      environments: [
        testEnvironment('test', { replicas: 2 }),
        testEnvironment('prod', {
          production: true,
          clusters: [{ name: 'test' }],
        }),
      ],
    },
  },
});

describe('release defaults and preview', () => {
  let first: K2Release;

  const server = () => request(bed.backend.server);

  /** What a preview must not change: the stored releases, the workload and the Secrets. */
  async function snapshot() {
    const cluster = api(bed.cluster('test'));
    const deployment = await cluster.get(
      '/apis/apps/v1/namespaces/shop/deployments/basket',
    );
    const secrets = await cluster.get('/api/v1/namespaces/shop/secrets');
    return {
      releases: await bed
        .knex('k2_releases')
        .select('id', 'status', 'spec')
        .orderBy('id'),
      deployment: {
        generation: deployment.body.metadata?.generation,
        template: deployment.body.spec?.template,
      },
      secrets: (secrets.body.items as any[]).map(s => ({
        name: s.metadata.name,
        data: s.data,
      })),
    };
  }

  /** The stored value of a variable in the service's env Secret. */
  async function storedSecret(name: string) {
    const secret = await api(bed.cluster('test')).get(
      '/api/v1/namespaces/shop/secrets/basket-k2-env',
    );
    return Buffer.from(secret.body.data[name], 'base64').toString('utf8');
  }

  it('says what a first release gets from the environment and the annotations, to anyone who may read', async () => {
    const test = await server()
      .get(`${API}/environments/test/release-defaults`)
      .set(as(BOB));
    expect(test.status).toBe(200);
    expect(test.body).toEqual({
      environment: 'test',
      imageRepository: IMAGE,
      replicas: { value: 2, source: 'environment' },
      cpu: { value: '1', source: 'environment' },
      memory: { value: '1Gi', source: 'environment' },
    });

    const prod = await server()
      .get(`${API}/environments/prod/release-defaults`)
      .set(as(BOB));
    expect(prod.status).toBe(200);
    expect(prod.body.replicas).toEqual({
      value: 3,
      source: 'annotation',
      annotation: 'k2.io/replicas.prod',
    });

    const unknown = await server()
      .get(`${API}/environments/staging/release-defaults`)
      .set(as(BOB));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("does not run in 'staging'");
  });

  it('previews a first release as everything added, and whether it waits for approval', async () => {
    const before = await snapshot();
    const res = await server()
      .post(`${API}/releases/preview`)
      .set(as(ALICE))
      .send({ environment: 'prod', image: '1.0.0' });

    expect(res.status).toBe(200);
    expect(res.body.current).toBeUndefined();
    expect(res.body.number).toBe(1);
    expect(res.body.approval).toBe(true);
    expect(res.body.spec).toMatchObject({
      image: `${IMAGE}:1.0.0`,
      replicas: 3,
      resources: { limits: { cpu: '1', memory: '1Gi' } },
    });
    expect(res.body.changes).toContainEqual({
      path: 'image',
      after: `${IMAGE}:1.0.0`,
    });
    expect(
      res.body.changes.every(
        (c: { before?: string }) => c.before === undefined,
      ),
    ).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  describe('once a release runs', () => {
    beforeAll(async () => {
      const created = await server()
        .post(`${API}/releases`)
        .set(as(ALICE))
        .send({
          environment: 'test',
          image: '1.0.0',
          resources: { cpu: '500m' },
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'API_KEY', value: SECRET, secret: true },
          ],
        });
      if (created.status !== 201) {
        throw new Error(`Release #1 refused: ${JSON.stringify(created.body)}`);
      }
      first = await poll(
        'release #1 succeeded',
        async () => {
          const r = await server()
            .get(`/api/k2-deploy/releases/${created.body.id}`)
            .set(as(BOB));
          return r.body.status === 'succeeded' ? r.body : undefined;
        },
        60_000,
      );
    });

    it('keeps the running release’s replica count, and says so', async () => {
      const res = await server()
        .get(`${API}/environments/test/release-defaults`)
        .set(as(BOB));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        current: { id: first.id, number: 1, image: `${IMAGE}:1.0.0` },
        replicas: { value: 2, source: 'release', release: 1 },
        cpu: { value: '1', source: 'environment' },
      });
    });

    it('lists a changed image as the one change, next to the running release, and writes nothing', async () => {
      const before = await snapshot();
      const res = await server()
        .post(`${API}/releases/preview`)
        .set(as(ALICE))
        .send({
          environment: 'test',
          image: '1.1.0',
          resources: { cpu: '500m' },
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'API_KEY', secret: true },
          ],
        });

      expect(res.status).toBe(200);
      expect(res.body.approval).toBe(false);
      expect(res.body.number).toBe(2);
      expect(res.body.current).toMatchObject({ id: first.id, number: 1 });
      expect(res.body.changes).toEqual([
        { path: 'image', before: `${IMAGE}:1.0.0`, after: `${IMAGE}:1.1.0` },
      ]);
      expect(res.body.spec.image).toBe(`${IMAGE}:1.1.0`);
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
      expect(await snapshot()).toEqual(before);
    });

    it('shows a left-out CPU limit falling back to the environment default', async () => {
      const res = await server()
        .post(`${API}/releases/preview`)
        .set(as(ALICE))
        .send({
          environment: 'test',
          image: '1.0.0',
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'API_KEY', secret: true },
          ],
        });
      expect(res.status).toBe(200);
      expect(res.body.changes).toEqual([
        { path: 'resources.limits.cpu', before: '500m', after: '1' },
        { path: 'resources.requests.cpu', before: '500m', after: '1' },
      ]);
    });

    it('previews the running spec again as no change: a redeploy', async () => {
      const res = await server()
        .post(`${API}/releases/preview`)
        .set(as(ALICE))
        .send({
          environment: 'test',
          image: `${IMAGE}:1.0.0`,
          resources: { cpu: '500m' },
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'API_KEY', secret: true },
          ],
        });
      expect(res.status).toBe(200);
      expect(res.body.changes).toEqual([]);
    });

    it('shows a replaced secret as a new version, never its value, and stores nothing', async () => {
      const before = await snapshot();
      const res = await server()
        .post(`${API}/releases/preview`)
        .set(as(ALICE))
        .send({
          environment: 'test',
          image: '1.0.0',
          resources: { cpu: '500m' },
          env: [
            { name: 'LOG_LEVEL', value: 'debug' },
            { name: 'API_KEY', value: REPLACED, secret: true },
          ],
        });

      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      for (const value of [SECRET, REPLACED]) {
        expect(text).not.toContain(value);
        expect(text).not.toContain(Buffer.from(value).toString('base64'));
      }
      const key = first.spec.env.find(e => e.name === 'API_KEY');
      expect(res.body.changes).toEqual([
        { path: 'env.LOG_LEVEL', before: 'info', after: 'debug' },
        {
          path: 'env.API_KEY',
          before: `•••••• (secret, version ${
            key?.secret ? key.version : 'none'
          })`,
          after: '•••••• (secret, version new)',
        },
      ]);
      expect(res.body.spec.env).toContainEqual({
        name: 'API_KEY',
        secret: true,
        version: 'new',
        value: '••••••',
      });
      expect(await snapshot()).toEqual(before);
      expect(await storedSecret('API_KEY')).toBe(SECRET);
    });

    it('refuses bad input with the same 400 as releasing it, and writes nothing', async () => {
      const bad: Array<[string, object]> = [
        [
          'a quantity K2 cannot run',
          { image: '1.2.0', resources: { cpu: 'lots' } },
        ],
        ['no replicas', { image: '1.2.0', replicas: 0 }],
        ['a tag that is not one', { image: 'nope!' }],
        [
          'a platform variable',
          { image: '1.2.0', env: [{ name: 'K2_SERVICE', value: 'x' }] },
        ],
        ['an unknown field', { image: '1.2.0', replica: 3 }],
        [
          'a new secret without a value',
          { image: '1.2.0', env: [{ name: 'DB_PASSWORD', secret: true }] },
        ],
      ];
      const before = await snapshot();
      for (const [what, body] of bad) {
        const input = { environment: 'test', ...body };
        const preview = await server()
          .post(`${API}/releases/preview`)
          .set(as(ALICE))
          .send(input);
        const create = await server()
          .post(`${API}/releases`)
          .set(as(ALICE))
          .send(input);
        expect({ what, status: preview.status }).toEqual({ what, status: 400 });
        expect({ what, message: preview.body.error.message }).toEqual({
          what,
          message: create.body.error.message,
        });
        expect(create.status).toBe(400);
      }
      const outside = await server()
        .post(`${API}/releases/preview`)
        .set(as(ALICE))
        .send({ environment: 'staging', image: '1.2.0' });
      expect(outside.status).toBe(400);
      expect(outside.body.error.message).toContain("does not run in 'staging'");
      expect(await snapshot()).toEqual(before);
    });

    it('refuses another team’s user as releasing does, and tells them nothing of the spec', async () => {
      const input = {
        environment: 'test',
        image: '1.1.0',
        env: [{ name: 'API_KEY', secret: true }],
      };
      const before = await snapshot();
      const preview = await server()
        .post(`${API}/releases/preview`)
        .set(as(BOB))
        .send(input);
      const create = await server()
        .post(`${API}/releases`)
        .set(as(BOB))
        .send(input);

      expect(preview.status).toBe(403);
      expect(preview.body.error.message).toBe(create.body.error.message);
      expect(preview.body).not.toHaveProperty('spec');
      expect(JSON.stringify(preview.body)).not.toContain('1.0.0');
      expect(await snapshot()).toEqual(before);
    });
  });
});
