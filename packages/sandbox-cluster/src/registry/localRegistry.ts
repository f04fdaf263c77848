import { ChildProcess, spawn } from 'child_process';
import { createHash, createSign, X509Certificate } from 'crypto';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import path from 'path';
import selfsigned from 'selfsigned';

/** Debian's `docker-registry` package: the CNCF Distribution registry. */
export const DOCKER_REGISTRY = '/usr/bin/docker-registry';

/** True when the registry binary is installed. */
export function hasDockerRegistry(): boolean {
  return fs.existsSync(DOCKER_REGISTRY);
}

/** How the local registry asks clients to authenticate. */
export type LocalRegistryAuth =
  /** Basic authentication against an htpasswd file (bcrypt entries). */
  | { htpasswd: string }
  /**
   * Bearer tokens from a token service: the registry's 401 names `realm`, `service`
   * and the scope; it accepts JWTs from `issuer` signed by a key whose certificate
   * chains to `rootCertBundle` (a PEM file).
   */
  | {
      token: {
        realm: string;
        service: string;
        issuer: string;
        rootCertBundle: string;
      };
    };

/** A running local registry. */
export interface LocalRegistry {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** `127.0.0.1:<port>`, as image references name it. */
  host: string;
  /** Everything the registry logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/** The `auth` section of the registry's config file. */
function authConfig(auth: LocalRegistryAuth | undefined): string[] {
  if (auth === undefined) return [];
  if ('htpasswd' in auth) {
    return [
      'auth:',
      '  htpasswd:',
      '    realm: k2-local-registry',
      `    path: ${JSON.stringify(auth.htpasswd)}`,
    ];
  }
  return [
    'auth:',
    '  token:',
    `    realm: ${JSON.stringify(auth.token.realm)}`,
    `    service: ${JSON.stringify(auth.token.service)}`,
    `    issuer: ${JSON.stringify(auth.token.issuer)}`,
    `    rootcertbundle: ${JSON.stringify(auth.token.rootCertBundle)}`,
  ];
}

/** How long the registry may take to listen. */
const START_TIMEOUT_MS = 15_000;

/**
 * Starts a real OCI registry (`docker-registry serve`) on loopback, storing under
 * `rootDirectory`. Port 0 (the default) takes a free port. Resolves once it listens.
 */
export async function startLocalRegistry(options: {
  rootDirectory: string;
  port?: number;
  auth?: LocalRegistryAuth;
}): Promise<LocalRegistry> {
  fs.mkdirSync(options.rootDirectory, { recursive: true });
  const authLines = authConfig(options.auth);
  const configFile = path.join(options.rootDirectory, 'config.yml');
  fs.writeFileSync(
    configFile,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(
        path.join(options.rootDirectory, 'data'),
      )}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${options.port ?? 0}`,
      `  secret: ${createHash('sha256')
        .update(options.rootDirectory)
        .digest('hex')}`,
      ...authLines,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(DOCKER_REGISTRY, ['serve', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(
        new Error(
          `docker-registry did not listen within ${START_TIMEOUT_MS} ms:\n${output}`,
        ),
      );
    }, START_TIMEOUT_MS);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', code => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited (${code}):\n${output}`));
    });
  });
  const host = `127.0.0.1:${port}`;
  return {
    url: `http://${host}`,
    host,
    log: () => output,
    stop: () =>
      new Promise<void>(resolve => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function digestOf(content: Buffer) {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/**
 * Pushes one tiny image to `repository` of the registry at `url` under each of `tags`,
 * through the Distribution API as a client would: a layer and a config blob
 * (monolithic uploads), then an OCI image manifest per tag. `authorization` is sent
 * with every request when the registry needs it.
 */
export async function pushImageTags(
  url: string,
  repository: string,
  tags: string[],
  options: { authorization?: string } = {},
): Promise<void> {
  const headers: Record<string, string> = options.authorization
    ? { authorization: options.authorization }
    : {};
  const call = async (method: string, target: string, init: RequestInit) => {
    const response = await fetch(new URL(target, url), {
      ...init,
      method,
      headers: { ...headers, ...(init.headers as Record<string, string>) },
    });
    if (!response.ok) {
      throw new Error(
        `${method} ${target} answered ${
          response.status
        }: ${await response.text()}`,
      );
    }
    return response;
  };
  const upload = async (content: Buffer) => {
    const digest = digestOf(content);
    const started = await call('POST', `/v2/${repository}/blobs/uploads/`, {});
    await started.body?.cancel();
    const location = new URL(started.headers.get('location')!, url);
    location.searchParams.set('digest', digest);
    const done = await call('PUT', location.href, {
      headers: { 'content-type': 'application/octet-stream' },
      body: content,
    });
    await done.body?.cancel();
    return { digest, size: content.length };
  };
  const layer = await upload(Buffer.from(`k2 layer of ${repository}\n`));
  const config = await upload(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        config: {},
      }),
    ),
  );
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      ...config,
    },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  });
  for (const tag of tags) {
    const done = await call('PUT', `/v2/${repository}/manifests/${tag}`, {
      headers: { 'content-type': OCI_MANIFEST },
      body: manifest,
    });
    await done.body?.cancel();
  }
}

/** A running token service for a local registry's Bearer authentication. */
export interface LocalTokenService {
  /** The token endpoint (`realm` of the registry's challenge). */
  realm: string;
  service: string;
  issuer: string;
  /** PEM file of the certificate that signs tokens, for the registry to trust. */
  rootCertBundle: string;
  /** Requests the service answered: the query each carried, and whether it issued. */
  requests: Array<{
    scope: string | null;
    service: string | null;
    issued: boolean;
  }>;
  stop(): Promise<void>;
}

function base64url(data: Buffer | string) {
  return Buffer.from(data).toString('base64url');
}

/**
 * A token service as registries in front of Harbor, GHCR or GitLab use: `GET
 * <realm>?service=&scope=` with Basic credentials answers `{ token, expires_in }`, a JWT
 * signed (RS256, certificate in `x5c`) for the scope's repository. Only `username` with
 * `password` gets a token; anyone else gets 401. Writes its certificate under `dir`.
 */
export async function startLocalTokenService(options: {
  dir: string;
  username: string;
  password: string;
  expiresInSeconds?: number;
}): Promise<LocalTokenService> {
  fs.mkdirSync(options.dir, { recursive: true });
  const pems = selfsigned.generate(
    [{ name: 'commonName', value: 'k2-local-token-service' }],
    {
      days: 1,
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true },
      ],
    },
  );
  const rootCertBundle = path.join(options.dir, 'token-service.pem');
  fs.writeFileSync(rootCertBundle, pems.cert);
  const certDer = new X509Certificate(pems.cert).raw.toString('base64');
  const service = 'k2-local-registry';
  const issuer = 'k2-local-token-service';
  const expected = `Basic ${Buffer.from(
    `${options.username}:${options.password}`,
  ).toString('base64')}`;
  const requests: LocalTokenService['requests'] = [];
  const server = http.createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://token').searchParams;
    const scope = query.get('scope');
    const issued = req.headers.authorization === expected;
    requests.push({ scope, service: query.get('service'), issued });
    if (!issued) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: 'wrong user name or password' }));
      return;
    }
    // scope = repository:<name>:<actions>
    const [type, name, actions] = (scope ?? '').split(':');
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresInSeconds ?? 300;
    const header = base64url(
      JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [certDer] }),
    );
    const claims = base64url(
      JSON.stringify({
        iss: issuer,
        sub: options.username,
        aud: query.get('service'),
        iat: now,
        nbf: now - 10,
        exp: now + expiresIn,
        jti: createHash('sha256')
          .update(`${now}${Math.random()}`)
          .digest('hex'),
        access: scope
          ? [{ type, name, actions: (actions ?? '').split(',') }]
          : [],
      }),
    );
    const signature = createSign('RSA-SHA256')
      .update(`${header}.${claims}`)
      .sign(pems.private);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token: `${header}.${claims}.${base64url(signature)}`,
        expires_in: expiresIn,
      }),
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle,
    requests,
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
