import {
  hasDockerRegistry,
  LocalRegistry,
  LocalTokenService,
  pushImageTags,
  startLocalRegistry,
  startLocalTokenService,
} from '@internal/sandbox-cluster';
import { execFileSync } from 'child_process';
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
  K2DeployTestBackend,
  serviceEntity,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';
import { RegistryConfig } from '@internal/plugin-k2-node';
import { RegistryTagsService, TAGS_CACHE_MS } from './RegistryTagsService';

/**
 * These tests list tags from a real registry: Debian's `docker-registry` (the CNCF
 * Distribution registry), anonymous, behind Basic authentication (htpasswd, made by
 * `htpasswd` of apache2-utils) and behind a token service. `./k2 test` sets
 * K2_REQUIRE_REGISTRY=1 once it has both tools, and then a missing one fails these
 * tests; run by hand without them, they are reported as skipped, never passed.
 */
const HTPASSWD = '/usr/bin/htpasswd';
const haveRegistry = hasDockerRegistry() && fs.existsSync(HTPASSWD);
if (!haveRegistry && process.env.K2_REQUIRE_REGISTRY === '1') {
  throw new Error(
    'docker-registry or htpasswd is missing and K2_REQUIRE_REGISTRY=1 says registry listings must be tested; install them (apt-get install -y docker-registry apache2-utils)',
  );
}
const itWithRegistry = haveRegistry ? it : it.skip;

jest.setTimeout(90_000);

const USER = 'k2-reader';
const PASSWORD = 'S3cret-registry-password';
const TOKEN_PASSWORD = 'An0ther-token-service-password';

describe('image tags from a real registry', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-registry-'));
  let open: LocalRegistry;
  let basic: LocalRegistry;
  let tokens: LocalTokenService;
  let bearer: LocalRegistry;
  /** Loopback port where nothing listens. */
  let closedPort: number;
  const bed = useK2DeployTestBed({ clusters: ['test'] });
  let backend: K2DeployTestBackend;

  const basicAuth = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  /** A push token from the token service. */
  async function pushToken(repository: string) {
    const url = new URL(tokens.realm);
    url.searchParams.set('service', tokens.service);
    url.searchParams.set('scope', `repository:${repository}:push,pull`);
    const response = await fetch(url, {
      headers: { authorization: basicAuth(USER, TOKEN_PASSWORD) },
    });
    return `Bearer ${((await response.json()) as { token: string }).token}`;
  }

  const entry = (
    registry: LocalRegistry,
    extra: Partial<RegistryConfig> = {},
  ): RegistryConfig => ({
    host: registry.host,
    baseUrl: registry.url,
    insecure: true,
    timeoutMs: 5_000,
    ...extra,
  });

  beforeAll(async () => {
    if (!haveRegistry) return;
    const htpasswd = path.join(dir, 'htpasswd');
    fs.writeFileSync(
      htpasswd,
      execFileSync(HTPASSWD, ['-Bbn', USER, PASSWORD]).toString(),
    );
    tokens = await startLocalTokenService({
      dir: path.join(dir, 'tokens'),
      username: USER,
      password: TOKEN_PASSWORD,
    });
    [open, basic, bearer] = await Promise.all([
      startLocalRegistry({ rootDirectory: path.join(dir, 'open') }),
      startLocalRegistry({
        rootDirectory: path.join(dir, 'basic'),
        auth: { htpasswd },
      }),
      startLocalRegistry({
        rootDirectory: path.join(dir, 'bearer'),
        auth: { token: tokens },
      }),
    ]);
    await pushImageTags(open.url, 'shop/listed', [
      '1.2.0',
      '1.10.0',
      '1.9.3',
      '1.10.0-rc.1',
      'latest',
      'main',
      'v2.0.0',
    ]);
    await pushImageTags(
      open.url,
      'shop/many',
      Array.from({ length: 130 }, (_, i) => `1.0.${i}`),
    );
    await pushImageTags(open.url, 'shop/cached', ['1.0.0']);
    await pushImageTags(basic.url, 'shop/private', ['3.1.0', '3.0.9'], {
      authorization: basicAuth(USER, PASSWORD),
    });
    await pushImageTags(bearer.url, 'shop/tokened', ['0.9.0', '0.10.0'], {
      authorization: await pushToken('shop/tokened'),
    });

    const probe = http.createServer();
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise(resolve => probe.close(resolve));

    const service = (name: string, image?: string) =>
      serviceEntity(name, {
        'k2.io/environments': 'test',
        'k2.io/namespace': 'shop',
        ...(image ? { 'k2.io/image': image } : {}),
      });
    backend = await bed.start({
      entities: [
        service('listed', `${open.host}/shop/listed`),
        service('many', `${open.host}/shop/many`),
        service('unpushed', `${open.host}/shop/unpushed`),
        service('private', `${basic.host}/shop/private`),
        service('tokened', `${bearer.host}/shop/tokened`),
        service('elsewhere', 'registry.elsewhere.example/shop/app'),
        service('hub', 'nginx'),
        service('unnamed'),
        service('down', `127.0.0.1:${closedPort}/shop/down`),
      ],
      k2: {
        environments: [{ name: 'test', clusters: [{ name: 'test' }] }],
        registries: [
          { host: open.host, url: open.url, insecure: true },
          {
            host: basic.host,
            url: basic.url,
            insecure: true,
            username: USER,
            password: PASSWORD,
          },
          {
            host: bearer.host,
            url: bearer.url,
            insecure: true,
            username: USER,
            password: TOKEN_PASSWORD,
          },
          {
            host: `127.0.0.1:${closedPort}`,
            url: `http://127.0.0.1:${closedPort}`,
            insecure: true,
            username: USER,
            password: PASSWORD,
          },
        ],
      },
    });
  });

  afterAll(async () => {
    await Promise.all([open, basic, bearer].map(r => r?.stop()));
    await tokens?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const tagsOf = (service: string, user = ALICE) =>
    request(backend.server)
      .get(`/api/k2-deploy/services/default/${service}/image-tags`)
      .set(as(user));

  itWithRegistry(
    'lists the tags of the service repository, versions newest first, then other tags',
    async () => {
      const res = await tagsOf('listed');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        repository: `${open.host}/shop/listed`,
        registry: open.host,
        tags: [
          'v2.0.0',
          '1.10.0',
          '1.10.0-rc.1',
          '1.9.3',
          '1.2.0',
          'latest',
          'main',
        ],
        source: 'registry',
        truncated: false,
        listedAt: expect.any(String),
      });
      // Anyone signed in may read them, as release history.
      expect((await tagsOf('listed', BOB)).body.tags).toHaveLength(7);
    },
  );

  itWithRegistry('caps the list at the 100 newest and says so', async () => {
    const res = await tagsOf('many');
    expect(res.status).toBe(200);
    expect(res.body.tags).toHaveLength(100);
    expect(res.body.tags[0]).toBe('1.0.129');
    expect(res.body.tags[99]).toBe('1.0.30');
    expect(res.body.truncated).toBe(true);
  });

  itWithRegistry(
    'signs in with Basic credentials and never returns them',
    async () => {
      const res = await tagsOf('private');
      expect(res.status).toBe(200);
      expect(res.body.tags).toEqual(['3.1.0', '3.0.9']);
      expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
      expect(JSON.stringify(res.body)).not.toContain(USER);
    },
  );

  itWithRegistry(
    "answers the registry's Bearer challenge through its token service",
    async () => {
      const before = tokens.requests.length;
      const res = await tagsOf('tokened');
      expect(res.status).toBe(200);
      expect(res.body.tags).toEqual(['0.10.0', '0.9.0']);
      expect(tokens.requests.slice(before)).toEqual([
        {
          scope: 'repository:shop/tokened:pull',
          service: tokens.service,
          issued: true,
        },
      ]);
      expect(JSON.stringify(res.body)).not.toContain(TOKEN_PASSWORD);
    },
  );

  itWithRegistry(
    'gives a reason instead of tags where none can be listed',
    async () => {
      expect((await tagsOf('unpushed')).body).toMatchObject({
        repository: `${open.host}/shop/unpushed`,
        tags: [],
        source: 'registry',
        reason: 'repository-not-found',
      });
      expect((await tagsOf('elsewhere')).body).toEqual({
        repository: 'registry.elsewhere.example/shop/app',
        registry: 'registry.elsewhere.example',
        tags: [],
        source: 'none',
        reason: 'registry-not-configured',
        truncated: false,
      });
      expect((await tagsOf('hub')).body).toMatchObject({
        registry: 'docker.io',
        reason: 'registry-not-configured',
      });
      expect((await tagsOf('unnamed')).body).toEqual({
        tags: [],
        source: 'none',
        reason: 'no-repository',
        truncated: false,
      });
    },
  );

  itWithRegistry(
    'answers 503 naming the registry when it cannot be reached, without its credentials',
    async () => {
      const res = await tagsOf('down');
      expect(res.status).toBe(503);
      expect(res.body.error.name).toBe('ServiceUnavailableError');
      expect(res.body.error.message).toBe(
        `Registry 127.0.0.1:${closedPort} cannot be reached (ECONNREFUSED) when K2 listed the tags of shop/down`,
      );
      expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    },
  );

  itWithRegistry(
    'answers 404 for a service the catalog does not hold',
    async () => {
      const res = await tagsOf('no-such-service');
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe(
        'No such service component:default/no-such-service',
      );
    },
  );

  itWithRegistry(
    'answers 404 for a service under another catalog namespace, and 400 for a name longer than the catalog allows',
    async () => {
      const elsewhere = await request(backend.server)
        .get('/api/k2-deploy/services/finance/listed/image-tags')
        .set(as(ALICE));
      expect(elsewhere.status).toBe(404);
      expect(elsewhere.body.error.message).toBe(
        'No such service component:finance/listed',
      );
      const long = 'a'.repeat(300);
      const tooLong = await request(backend.server)
        .get(`/api/k2-deploy/services/default/${long}/image-tags`)
        .set(as(ALICE));
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.message).not.toContain(long);
    },
  );

  itWithRegistry(
    'reuses a listing for 30 s, then asks the registry again',
    async () => {
      let now = Date.parse('2026-11-26T10:00:00Z');
      const service = new RegistryTagsService({
        gate: { authorize: async () => {} } as any,
        resolver: {
          service: async () => ({
            spec: { image: `${open.host}/shop/cached` },
          }),
        } as any,
        registries: new Map([[open.host, entry(open)]]),
        now: () => now,
      });
      const read = async () =>
        (
          await service.getImageTags(
            { kind: 'component', namespace: 'default', name: 'cached' },
            {} as any,
          )
        ).tags;
      expect(await read()).toEqual(['1.0.0']);
      await pushImageTags(open.url, 'shop/cached', ['1.1.0']);
      now += TAGS_CACHE_MS - 1;
      expect(await read()).toEqual(['1.0.0']);
      now += 1;
      expect(await read()).toEqual(['1.1.0', '1.0.0']);
    },
  );
});
