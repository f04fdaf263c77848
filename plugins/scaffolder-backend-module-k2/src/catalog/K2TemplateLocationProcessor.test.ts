import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  CatalogProcessorCache,
  CatalogProcessorResult,
  parseEntityYaml,
} from '@backstage/plugin-catalog-node';
import { createHash } from 'crypto';
import http from 'http';
import { AddressInfo } from 'net';
import { K2_TEMPLATE_LOCATION_TYPE } from '../catalogRegisterAction';
import { K2TemplateLocationProcessor } from './K2TemplateLocationProcessor';

const COMPONENT = [
  'apiVersion: backstage.io/v1alpha1',
  'kind: Component',
  'metadata:',
  '  name: ledger',
  'spec:',
  '  type: service',
  '  owner: payments-team',
  '  lifecycle: experimental',
  '',
].join('\n');

/**
 * The processor with Backstage’s URL reader against a small HTTP server that serves
 * one file with an ETag and answers 304 to a request naming it, as forges do.
 */
describe('K2TemplateLocationProcessor', () => {
  let server: http.Server;
  let base: string;
  /** What the server serves at /catalog-info.yaml; undefined: 404. */
  let file: string | undefined;
  /** The If-None-Match header of each request, '' when none. */
  const conditions: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      conditions.push(String(req.headers['if-none-match'] ?? ''));
      if (req.url !== '/catalog-info.yaml' || file === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      const etag = `"${createHash('sha256').update(file).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { etag, 'content-type': 'text/plain' }).end(file);
    });
    await new Promise<void>(resolve =>
      server.listen(0, '127.0.0.1', () => resolve()),
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  beforeEach(() => {
    conditions.length = 0;
  });

  const processor = () =>
    new K2TemplateLocationProcessor({
      reader: UrlReaders.default({
        config: new ConfigReader({
          backend: { reading: { allow: [{ host: new URL(base).host }] } },
        }),
        logger: mockServices.logger.mock(),
      }),
    });

  /** An in-memory processor cache, kept across reads as the catalog keeps it. */
  function memoryCache(): CatalogProcessorCache {
    const values = new Map<string, unknown>();
    return {
      get: async key => values.get(key) as any,
      set: async (key, value) => {
        values.set(key, value);
      },
    };
  }

  async function read(
    p: K2TemplateLocationProcessor,
    cache: CatalogProcessorCache,
    options: { target?: string; type?: string; optional?: boolean } = {},
  ) {
    const results: CatalogProcessorResult[] = [];
    const handled = await p.readLocation(
      {
        type: options.type ?? K2_TEMPLATE_LOCATION_TYPE,
        target: options.target ?? `${base}/catalog-info.yaml`,
      },
      options.optional ?? false,
      result => results.push(result),
      // The catalog's default parser.
      async function* parse({ data, location }) {
        yield* parseEntityYaml(data, location);
      },
      cache,
    );
    return { handled, results };
  }

  it('emits the file’s Component as a url entity, then reads it again with its ETag and checks the cached file', async () => {
    file = COMPONENT;
    const p = processor();
    const cache = memoryCache();
    const url = `${base}/catalog-info.yaml`;
    const first = await read(p, cache);
    expect(first.handled).toBe(true);
    const expected = [
      {
        type: 'entity',
        location: { type: 'url', target: url },
        entity: expect.objectContaining({
          kind: 'Component',
          metadata: { name: 'ledger' },
        }),
      },
      { type: 'refresh', key: `url:${url}` },
    ];
    expect(first.results).toEqual(expected);
    const second = await read(p, cache);
    expect(second.results).toEqual(expected);
    // The second request named the first answer’s ETag, and got a 304.
    expect(conditions).toEqual(['', expect.stringMatching(/^"[a-f0-9]{64}"$/)]);
  });

  it('refuses, at a later read, an entity of another kind or namespace that a commit added, and emits the rest', async () => {
    file = COMPONENT;
    const p = processor();
    const cache = memoryCache();
    await read(p, cache);
    file = [
      COMPONENT,
      'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: more\nspec:\n  targets: [https://github.com/x/y/blob/main/catalog-info.yaml]\n',
      COMPONENT.replace('metadata:\n', 'metadata:\n  namespace: finance\n'),
    ].join('---\n');
    const { results } = await read(p, cache);
    const location = {
      type: K2_TEMPLATE_LOCATION_TYPE,
      target: `${base}/catalog-info.yaml`,
    };
    expect(results).toEqual([
      expect.objectContaining({ type: 'entity' }),
      {
        type: 'error',
        location,
        error: expect.objectContaining({
          name: 'InputError',
          message:
            'Location more is not a Component or API; a location a template registered holds only those; it was not ingested',
        }),
      },
      {
        type: 'error',
        location,
        error: expect.objectContaining({
          name: 'InputError',
          message:
            "Component ledger is in namespace 'finance'; a location a template registered holds entities of the default namespace only; it was not ingested",
        }),
      },
      expect.objectContaining({ type: 'refresh' }),
    ]);
  });

  it('reports a file that is gone, unless the location is optional, and a file over the size limit', async () => {
    file = undefined;
    const p = processor();
    const missing = await read(p, memoryCache());
    expect(missing.results).toEqual([
      expect.objectContaining({
        type: 'error',
        error: expect.objectContaining({ name: 'NotFoundError' }),
      }),
    ]);
    expect((await read(p, memoryCache(), { optional: true })).results).toEqual(
      [],
    );
    file = `${COMPONENT}# ${'x'.repeat(300 * 1024)}\n`;
    const huge = await read(p, memoryCache());
    expect(huge.results).toEqual([
      expect.objectContaining({
        type: 'error',
        error: expect.objectContaining({
          message: expect.stringContaining(
            'bytes; a catalog-info file may have at most',
          ),
        }),
      }),
    ]);
  });

  it('leaves other location types to the other processors', async () => {
    expect(await read(processor(), memoryCache(), { type: 'url' })).toEqual({
      handled: false,
      results: [],
    });
    expect(conditions).toEqual([]);
  });
});
