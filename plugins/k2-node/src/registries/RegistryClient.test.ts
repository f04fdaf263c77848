import { ConfigReader } from '@backstage/config';
import { ServiceUnavailableError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { parseImageReference } from '@internal/plugin-k2-common';
import {
  hasDockerRegistry,
  LocalRegistry,
  LocalTokenService,
  pushImageTags,
  startLocalRegistry,
  startLocalTokenService,
} from '@internal/sandbox-cluster';
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import {
  readRegistries,
  RegistryConfig,
  registryLocationOf,
} from './readRegistries';
import { nextLink, parseAuthChallenge, RegistryClient } from './RegistryClient';

/**
 * These tests read a real registry: Debian's `docker-registry` (the CNCF Distribution
 * registry), anonymous, behind Basic authentication (htpasswd, made by `htpasswd` of
 * apache2-utils) and behind a token service. `./k2 test` sets K2_REQUIRE_REGISTRY=1
 * once it has both tools, and then a missing one fails these tests; run by hand
 * without them, they are reported as skipped, never passed.
 */
const HTPASSWD = '/usr/bin/htpasswd';
const haveRegistry = hasDockerRegistry() && fs.existsSync(HTPASSWD);
if (!haveRegistry && process.env.K2_REQUIRE_REGISTRY === '1') {
  throw new Error(
    'docker-registry or htpasswd is missing and K2_REQUIRE_REGISTRY=1 says registry reads must be tested; install them (apt-get install -y docker-registry apache2-utils)',
  );
}
const itWithRegistry = haveRegistry ? it : it.skip;

jest.setTimeout(90_000);

const USER = 'k2-reader';
const PASSWORD = 'S3cret-registry-password';
const TOKEN_PASSWORD = 'An0ther-token-service-password';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

const sha256 = (content: string | Buffer) =>
  `sha256:${createHash('sha256').update(content).digest('hex')}`;

describe('RegistryClient against a real registry', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-registry-client-'));
  let open: LocalRegistry;
  let basic: LocalRegistry;
  let tokens: LocalTokenService;
  let bearer: LocalRegistry;
  /** Loopback port where nothing listens. */
  let closedPort: number;
  /** A registry that accepts connections and never answers. */
  let silent: http.Server;
  /** The open registry behind a proxy that drops `Docker-Content-Digest`. */
  let digestless: http.Server;

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

  /** The bytes of a manifest as the registry stores them, and their digest. */
  async function storedManifest(repository: string, tag: string) {
    const response = await fetch(
      `${open.url}/v2/${repository}/manifests/${tag}`,
      { headers: { accept: [OCI_MANIFEST, OCI_INDEX].join(', ') } },
    );
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    return { body, digest: sha256(body) };
  }

  async function putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    manifest: JsonObject,
  ) {
    const body = JSON.stringify(manifest);
    const response = await fetch(
      `${open.url}/v2/${repository}/manifests/${reference}`,
      { method: 'PUT', headers: { 'content-type': mediaType }, body },
    );
    if (!response.ok) {
      throw new Error(`PUT ${reference}: ${await response.text()}`);
    }
    return sha256(body);
  }

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
    await pushImageTags(
      open.url,
      'shop/many',
      Array.from({ length: 130 }, (_, i) => `1.0.${i}`),
    );
    await pushImageTags(open.url, 'shop/app', ['1.0.0', '1.1.0']);
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
    silent = http.createServer(() => {});
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    digestless = http.createServer((req, res) => {
      const upstream = http.request(
        `${open.url}${req.url}`,
        { method: req.method, headers: req.headers },
        answer => {
          const headers = { ...answer.headers };
          delete headers['docker-content-digest'];
          res.writeHead(answer.statusCode ?? 502, headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>(resolve =>
      digestless.listen(0, '127.0.0.1', resolve),
    );
  });

  afterAll(async () => {
    await Promise.all([open, basic, bearer].map(r => r?.stop()));
    await tokens?.stop();
    for (const server of [silent, digestless]) {
      server?.closeAllConnections();
      await new Promise(resolve =>
        server ? server.close(resolve) : resolve(0),
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  itWithRegistry(
    'follows Link pagination to the last page of tags',
    async () => {
      const client = new RegistryClient(entry(open), { pageSize: 40 });
      const listing = await client.listTags('shop/many');
      expect(listing).toEqual({
        found: true,
        tags: expect.arrayContaining(['1.0.0', '1.0.129']),
        complete: true,
      });
      expect(listing.found && new Set(listing.tags).size).toBe(130);
    },
  );

  itWithRegistry(
    'finds the digest of a tag’s manifest, and of the manifest a digest names',
    async () => {
      const client = new RegistryClient(entry(open));
      const { digest } = await storedManifest('shop/app', '1.1.0');
      expect(await client.manifest('shop/app', '1.1.0')).toEqual({ digest });
      expect(await client.manifest('shop/app', digest)).toEqual({ digest });
    },
  );

  itWithRegistry(
    'answers undefined for a tag or a repository the registry does not hold',
    async () => {
      const client = new RegistryClient(entry(open));
      expect(await client.manifest('shop/app', '9.9.9')).toBeUndefined();
      expect(
        await client.manifest('shop/never-pushed', '1.0.0'),
      ).toBeUndefined();
      expect(
        await client.manifest('shop/app', sha256('no such manifest')),
      ).toBeUndefined();
    },
  );

  itWithRegistry(
    'finds Docker v2 manifests and image indexes by their own digests',
    async () => {
      const client = new RegistryClient(entry(open));
      // The blobs pushImageTags uploaded for shop/app, referenced by other manifests.
      const image = JSON.parse(
        (await storedManifest('shop/app', '1.0.0')).body.toString(),
      );
      const docker = await putManifest(
        'shop/app',
        '2.0.0-docker',
        DOCKER_MANIFEST,
        {
          schemaVersion: 2,
          mediaType: DOCKER_MANIFEST,
          config: {
            ...image.config,
            mediaType: 'application/vnd.docker.container.image.v1+json',
          },
          layers: image.layers.map((layer: JsonObject) => ({
            ...layer,
            mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          })),
        },
      );
      const { digest: imageDigest, body } = await storedManifest(
        'shop/app',
        '1.0.0',
      );
      const index = await putManifest('shop/app', '2.0.0-multi', OCI_INDEX, {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: imageDigest,
            size: body.length,
            platform: { architecture: 'amd64', os: 'linux' },
          },
        ],
      });
      expect(await client.manifest('shop/app', '2.0.0-docker')).toEqual({
        digest: docker,
      });
      // The index itself, not the platform manifest a registry picks for clients
      // that do not accept indexes.
      expect(await client.manifest('shop/app', '2.0.0-multi')).toEqual({
        digest: index,
      });
      expect(index).not.toBe(imageDigest);
    },
  );

  itWithRegistry(
    'computes the digest from the manifest when the registry leaves the header out',
    async () => {
      const port = (digestless.address() as AddressInfo).port;
      const client = new RegistryClient({
        host: `127.0.0.1:${port}`,
        baseUrl: `http://127.0.0.1:${port}`,
        insecure: true,
        timeoutMs: 5_000,
      });
      const { digest } = await storedManifest('shop/app', '1.1.0');
      expect(await client.manifest('shop/app', '1.1.0')).toEqual({ digest });
      expect(await client.manifest('shop/app', '7.7.7')).toBeUndefined();
    },
  );

  itWithRegistry(
    'signs manifest lookups in with Basic credentials and through the token service',
    async () => {
      const basicClient = new RegistryClient(
        entry(basic, { credentials: { username: USER, password: PASSWORD } }),
      );
      expect(await basicClient.manifest('shop/private', '3.1.0')).toEqual({
        digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
      });
      expect(
        await basicClient.manifest('shop/private', '3.2.0'),
      ).toBeUndefined();

      const before = tokens.requests.length;
      const bearerClient = new RegistryClient(
        entry(bearer, {
          credentials: { username: USER, password: TOKEN_PASSWORD },
        }),
      );
      expect(await bearerClient.manifest('shop/tokened', '0.10.0')).toEqual({
        digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
      });
      expect(
        await bearerClient.manifest('shop/tokened', '0.11.0'),
      ).toBeUndefined();
      // One token for the repository, reused for the second lookup.
      expect(tokens.requests.slice(before)).toEqual([
        {
          scope: 'repository:shop/tokened:pull',
          service: tokens.service,
          issued: true,
        },
      ]);
    },
  );

  itWithRegistry(
    'says which registry refused which credentials, without them',
    async () => {
      const wrong = 'Wrong-password-42';
      const basicClient = new RegistryClient(
        entry(basic, { credentials: { username: USER, password: wrong } }),
      );
      const refusal = basicClient.listTags('shop/private');
      await expect(refusal).rejects.toThrow(ServiceUnavailableError);
      await expect(refusal).rejects.toThrow(
        `Registry ${basic.host} refused K2's credentials (401) when K2 listed the tags of shop/private`,
      );
      const manifestRefusal = basicClient.manifest('shop/private', '3.1.0');
      await expect(manifestRefusal).rejects.toThrow(ServiceUnavailableError);
      await expect(manifestRefusal).rejects.toThrow(
        `Registry ${basic.host} refused K2's credentials (401) when K2 looked up shop/private:3.1.0`,
      );
      await expect(
        new RegistryClient(entry(basic)).manifest('shop/private', '3.1.0'),
      ).rejects.toThrow(
        `Registry ${basic.host} asks for a user name and password to look up shop/private:3.1.0; K2 has none configured for it`,
      );
      await expect(
        new RegistryClient(entry(basic)).listTags('shop/private'),
      ).rejects.toThrow(
        `Registry ${basic.host} asks for a user name and password to list the tags of shop/private; K2 has none configured for it`,
      );
      const tokenRefusal = new RegistryClient(
        entry(bearer, { credentials: { username: USER, password: wrong } }),
      ).manifest('shop/tokened', '0.9.0');
      await expect(tokenRefusal).rejects.toThrow(
        /^Registry 127\.0\.0\.1:\d+'s token service \(http:\/\/127\.0\.0\.1:\d+\) answered 401 Unauthorized when K2 asked to look up shop\/tokened:0\.9\.0$/,
      );
      for (const error of await Promise.allSettled([
        refusal,
        manifestRefusal,
        tokenRefusal,
      ])) {
        expect(String((error as PromiseRejectedResult).reason)).not.toContain(
          wrong,
        );
      }
    },
  );

  itWithRegistry(
    'will not send credentials to a token service on plain HTTP unless allowed',
    async () => {
      const client = new RegistryClient(
        entry(bearer, {
          insecure: false,
          credentials: { username: USER, password: TOKEN_PASSWORD },
        }),
      );
      const before = tokens.requests.length;
      await expect(client.listTags('shop/tokened')).rejects.toThrow(
        /named a token service on plain HTTP/,
      );
      await expect(client.manifest('shop/tokened', '0.9.0')).rejects.toThrow(
        /named a token service on plain HTTP/,
      );
      expect(tokens.requests.length).toBe(before);
    },
  );

  itWithRegistry(
    'names the registry that cannot be reached or does not answer',
    async () => {
      const down = new RegistryClient({
        host: `127.0.0.1:${closedPort}`,
        baseUrl: `http://127.0.0.1:${closedPort}`,
        insecure: true,
        timeoutMs: 5_000,
      });
      await expect(down.manifest('shop/down', '1.0.0')).rejects.toThrow(
        `Registry 127.0.0.1:${closedPort} cannot be reached (ECONNREFUSED) when K2 looked up shop/down:1.0.0`,
      );
      const port = (silent.address() as AddressInfo).port;
      const slow = new RegistryClient({
        host: `127.0.0.1:${port}`,
        baseUrl: `http://127.0.0.1:${port}`,
        insecure: true,
        timeoutMs: 300,
      });
      await expect(slow.listTags('shop/slow')).rejects.toThrow(
        `Registry 127.0.0.1:${port} did not answer within 300 ms when K2 listed the tags of shop/slow`,
      );
      await expect(slow.manifest('shop/slow', '1.0.0')).rejects.toThrow(
        new ServiceUnavailableError(
          `Registry 127.0.0.1:${port} did not answer within 300 ms when K2 looked up shop/slow:1.0.0`,
        ),
      );
    },
  );
});

describe('k2.registries', () => {
  const read = (registries: JsonObject[]) =>
    readRegistries(new ConfigReader({ k2: { registries } }));

  it('reads a registry with its defaults', () => {
    expect(read([{ host: 'registry.example.com:5000' }])).toEqual(
      new Map([
        [
          'registry.example.com:5000',
          {
            host: 'registry.example.com:5000',
            baseUrl: 'https://registry.example.com:5000',
            insecure: false,
            credentials: undefined,
            timeoutMs: 5_000,
          },
        ],
      ]),
    );
    expect(read([{ host: 'docker.io' }]).get('docker.io')?.baseUrl).toBe(
      'https://registry-1.docker.io',
    );
  });

  it('names the key of each mistake', () => {
    expect(() => read([{ host: 'not a host' }])).toThrow(
      "Invalid K2 configuration at 'k2.registries[0].host'",
    );
    expect(() =>
      read([{ host: 'registry.example.com', url: 'http://10.0.0.1:5000' }]),
    ).toThrow(
      "Invalid K2 configuration at 'k2.registries[0].url': 'http://10.0.0.1:5000' is plain HTTP; set k2.registries[0].insecure: true",
    );
    expect(() =>
      read([{ host: 'registry.example.com', username: 'reader' }]),
    ).toThrow("Invalid K2 configuration at 'k2.registries[0].password'");
    expect(() =>
      read([
        { host: 'registry.example.com' },
        { host: 'registry.example.com' },
      ]),
    ).toThrow("'registry.example.com' is configured twice");
    expect(() =>
      read([
        {
          host: 'registry.example.com',
          url: 'https://u:p@registry.example.com',
        },
      ]),
    ).toThrow('credentials go in username and password, not the URL');
  });

  it('places an image in its registry, Docker Hub’s one-part names under library/', () => {
    expect(
      registryLocationOf(
        parseImageReference('registry.example.com:5000/team/app:1.0'),
      ),
    ).toEqual({ registry: 'registry.example.com:5000', path: 'team/app' });
    expect(registryLocationOf(parseImageReference('nginx:1.27'))).toEqual({
      registry: 'docker.io',
      path: 'library/nginx',
    });
    expect(registryLocationOf(parseImageReference('bitnami/redis'))).toEqual({
      registry: 'docker.io',
      path: 'bitnami/redis',
    });
  });
});

describe('registry headers', () => {
  it('reads a Bearer challenge with quoted and escaped values', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull", error="insufficient_\\"scope\\""',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:team/app:pull',
        error: 'insufficient_"scope"',
      },
    });
    expect(parseAuthChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
  });

  it('finds the next page among the links', () => {
    expect(
      nextLink(
        '</v2/team/app/tags/list?last=1.4&n=50>; rel="prev", </v2/team/app/tags/list?last=1.9&n=50>; rel="next"',
      ),
    ).toBe('/v2/team/app/tags/list?last=1.9&n=50');
    expect(nextLink('</v2/a/tags/list?last=x>; rel="prev"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});
