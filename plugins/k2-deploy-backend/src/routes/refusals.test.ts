import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  DAVE,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

/**
 * The release form's routes (`releases/preview`, `release-defaults`) and adoption, tried
 * with names that are not the caller's or not there at all, and with sizes no page
 * sends: each refusal is a 4xx that names nothing it should not, and writes nothing.
 * Another team's refusals are in releasePreview.test.ts and adoption.test.ts.
 */
const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
  'k2.io/image': 'registry.k2.local/shop/basket',
});

const API = '/api/k2-deploy/services';

const bed = useK2DeployTestBed({
  clusters: ['test'],
  backend: {
    entities: [basket],
    k2: { environments: [testEnvironment('test')] },
  },
});

describe('release preview, release defaults and adoption refuse what they are not for', () => {
  const server = () => request(bed.backend.server);

  /** What a refusal must leave as it was: the stored releases and the workload. */
  const written = async () => ({
    releases: await bed.knex('k2_releases').select('id').orderBy('id'),
    deployments: (
      await request(bed.cluster('test').url)
        .get('/apis/apps/v1/namespaces/shop/deployments')
        .set('Authorization', 'Bearer test-token')
    ).body.items.length,
  });

  describe.each([
    ['a service the catalog does not hold', 'default/no-such-service'],
    ['a service under another catalog namespace', 'finance/basket'],
  ])('%s', (_, service) => {
    it('is 404 to read its release defaults, naming only what was asked', async () => {
      const response = await server()
        .get(`${API}/${service}/environments/test/release-defaults`)
        .set(as(BOB));
      expect(response.status).toBe(404);
      expect(response.body.error.message).toBe(
        `No such service component:${service}`,
      );
    });

    it('is 404 to a platform admin previewing or adopting it, and nothing is written', async () => {
      const before = await written();
      const preview = await server()
        .post(`${API}/${service}/releases/preview`)
        .set(as(DAVE))
        .send({ environment: 'test', image: 'registry.k2.local/x:1.0.0' });
      expect(preview.status).toBe(404);
      expect(preview.body.error.message).toBe(
        `No such service component:${service}`,
      );
      const adopt = await server()
        .post(`${API}/${service}/environments/test/adopt`)
        .set(as(DAVE));
      expect(adopt.status).toBe(404);
      expect(adopt.body.error.message).toBe(
        `No such service component:${service}`,
      );
      expect(await written()).toEqual(before);
    });

    it('is refused to an owner of another service previewing or adopting it, and nothing is written', async () => {
      const before = await written();
      const preview = await server()
        .post(`${API}/${service}/releases/preview`)
        .set(as(ALICE))
        .send({ environment: 'test', image: 'registry.k2.local/x:1.0.0' });
      expect(preview.status).toBe(403);
      const adopt = await server()
        .post(`${API}/${service}/environments/test/adopt`)
        .set(as(ALICE));
      expect(adopt.status).toBe(403);
      expect(await written()).toEqual(before);
    });
  });

  it('refuses names longer than the catalog allows with 400, without echoing them', async () => {
    const long = 'a'.repeat(300);
    const before = await written();
    for (const [method, path] of [
      ['get', `${API}/default/${long}/environments/test/release-defaults`],
      ['get', `${API}/default/basket/environments/${long}/release-defaults`],
      ['post', `${API}/${long}/basket/releases/preview`],
      ['post', `${API}/default/basket/environments/${long}/adopt`],
    ] as const) {
      const response = await server()
        [method](path)
        .set(as(ALICE))
        .send({ environment: 'test', image: '1.0.0' });
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(response.body.error.message).not.toContain(long);
    }
    expect(await written()).toEqual(before);
  });

  it.each([
    ['1001 replicas', { replicas: 1001 }, 400],
    ['replicas beyond any integer', { replicas: 1e21 }, 400],
    [
      '101 variables',
      {
        env: Array.from({ length: 101 }, (_, i) => ({
          name: `V${i}`,
          value: 'x',
        })),
      },
      400,
    ],
    [
      'a 10,000-variable body over the limit',
      {
        env: Array.from({ length: 10_000 }, (_, i) => ({
          name: `VARIABLE_${i}`,
          value: 'x'.repeat(100),
        })),
      },
      413,
    ],
    [
      'a variable value over 32 KiB',
      { env: [{ name: 'BIG', value: 'x'.repeat(32_769) }] },
      400,
    ],
    ['a 501-character message', { message: 'm'.repeat(501) }, 400],
    ['a 1 MB message', { message: 'm'.repeat(1024 * 1024) }, 413],
    ['a 300-character environment', { environment: 'e'.repeat(300) }, 400],
    ['a 100,000-character image', { image: `${'i'.repeat(100_000)}:1` }, 400],
    [
      'a 100,000-character CPU limit',
      { resources: { cpu: '1'.repeat(100_000) } },
      400,
    ],
    [
      'a 100,000-character memory limit',
      { resources: { memory: `${'1'.repeat(100_000)}Mi` } },
      400,
    ],
  ])(
    'refuses a preview with %s, as releasing it would be, writing nothing',
    async (_, body, status) => {
      const before = await written();
      const input = { environment: 'test', image: '1.0.0', ...body };
      const preview = await server()
        .post(`${API}/default/basket/releases/preview`)
        .set(as(ALICE))
        .send(input);
      const create = await server()
        .post(`${API}/default/basket/releases`)
        .set(as(ALICE))
        .send(input);
      expect(preview.status).toBe(status);
      expect(create.status).toBe(status);
      expect(JSON.stringify(preview.body).length).toBeLessThan(2_000);
      expect(await written()).toEqual(before);
    },
  );
});
