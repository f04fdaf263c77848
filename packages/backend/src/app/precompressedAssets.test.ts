import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'fs';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { brotliCompressSync, gzipSync } from 'zlib';
import { startTestBackend } from '@backstage/backend-test-utils';
import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createPrecompressedAssetsHandler } from './precompressedAssets';

const script = `window.k2 = ${JSON.stringify('K2 '.repeat(2000))};\n`;
const style = `.k2 { color: red; }\n`.repeat(200);

let dist: string;
let base: string;
let backend: Awaited<ReturnType<typeof startTestBackend>>;

/** Writes `data` at `path` with the given modification time (seconds). */
function write(path: string, data: string | Buffer, time: number) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
  utimesSync(path, time, time);
}

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'k2-precompressed-'));
  const built = 1_700_000_000;
  write(join(dist, 'static/main.0123456789ab.js'), script, built);
  write(
    join(dist, 'static-compressed/main.0123456789ab.js.br'),
    brotliCompressSync(script),
    built + 1,
  );
  write(
    join(dist, 'static-compressed/main.0123456789ab.js.gz'),
    gzipSync(script),
    built + 1,
  );
  // Changed after the build, as the app backend's config injection does.
  write(join(dist, 'static/config.0123456789ab.js'), script, built + 60);
  write(
    join(dist, 'static-compressed/config.0123456789ab.js.br'),
    brotliCompressSync('stale'),
    built + 1,
  );
  // A build that compressed nothing for this file.
  write(join(dist, 'static/nested/style.0123456789ab.css'), style, built);

  backend = await startTestBackend({
    features: [
      // Stands in for the app backend, which the root router falls back to.
      createBackendPlugin({
        pluginId: 'app',
        register(reg) {
          reg.registerInit({
            deps: { httpRouter: coreServices.httpRouter },
            async init({ httpRouter }) {
              httpRouter.use((_req, res) => {
                res.send('from the app backend');
              });
              httpRouter.addAuthPolicy({ allow: 'unauthenticated', path: '/' });
            },
          });
        },
      }),
      createBackendModule({
        pluginId: 'app',
        moduleId: 'precompressed-assets-test',
        register(reg) {
          reg.registerInit({
            deps: { rootHttpRouter: coreServices.rootHttpRouter },
            async init({ rootHttpRouter }) {
              rootHttpRouter.use(
                '/static',
                createPrecompressedAssetsHandler({
                  staticDir: join(dist, 'static'),
                  compressedDir: join(dist, 'static-compressed'),
                }),
              );
            },
          });
        },
      }),
    ],
  });
  base = `http://localhost:${(backend.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await backend.stop();
  rmSync(dist, { recursive: true, force: true });
});

/** Fetches as a browser does: decoded by the Content-Encoding it is sent with. */
async function get(path: string, acceptEncoding: string) {
  const res = await fetch(`${base}${path}`, {
    headers: { 'accept-encoding': acceptEncoding },
  });
  return { res, body: await res.text() };
}

describe('precompressed static files', () => {
  it('sends the brotli copy to a browser that accepts brotli, cacheable for a year', async () => {
    const { res, body } = await get(
      '/static/main.0123456789ab.js',
      'gzip, deflate, br, zstd',
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(res.headers.get('cache-control')).toBe(
      'public, max-age=31536000, immutable',
    );
    expect(Number(res.headers.get('content-length'))).toBe(
      brotliCompressSync(script).length,
    );
    expect(body).toBe(script);
  });

  it('sends the gzip copy when brotli is not accepted', async () => {
    const { res, body } = await get('/static/main.0123456789ab.js', 'gzip');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(body).toBe(script);
  });

  it('leaves to the app backend a request that accepts no compression', async () => {
    const { body } = await get('/static/main.0123456789ab.js', 'identity');
    expect(body).toBe('from the app backend');
  });

  it('ignores a copy older than its original', async () => {
    const { res, body } = await get('/static/config.0123456789ab.js', 'br');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(body).toBe('from the app backend');
  });

  it('leaves to the app backend a file the build did not compress', async () => {
    const { body } = await get(
      '/static/nested/style.0123456789ab.css',
      'br, gzip',
    );
    expect(body).toBe('from the app backend');
  });
});
