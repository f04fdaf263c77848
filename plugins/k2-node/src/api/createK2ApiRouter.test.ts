import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import express from 'express';
import { createK2ApiRouter } from './createK2ApiRouter';

/** A small contract: a path parameter, a bounded query integer and a strict body. */
const spec = {
  openapi: '3.0.3',
  info: { title: 'widgets', version: '1' },
  servers: [{ url: '/' }],
  paths: {
    '/widgets/{name}': {
      post: {
        operationId: 'UpdateWidget',
        parameters: [
          {
            name: 'name',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: 100 },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['title'],
                properties: {
                  title: { type: 'string' },
                  items: {
                    type: 'array',
                    items: {
                      type: 'object',
                      additionalProperties: false,
                      required: ['value'],
                      properties: { value: { type: 'integer' } },
                    },
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'What the handler saw',
            content: {
              'application/json': { schema: { type: 'object' } },
            },
          },
        },
      },
    },
  },
} as const;

describe('createK2ApiRouter', () => {
  let server: Server;
  let baseUrl: string;
  let seen: unknown[];

  beforeAll(async () => {
    const router = createK2ApiRouter(spec);
    router.post('/widgets/:name', (req, res) => {
      seen.push({
        name: req.params.name,
        limit: req.query.limit,
        body: req.body,
      });
      res.json({});
    });
    const app = express();
    app.use('/api/widgets', router);
    // Past the router's validator, which every request under it goes through.
    app.get('/api/widgets/undocumented', (_req, res) => {
      res.json({ undocumented: true });
    });
    app.use(
      MiddlewareFactory.create({
        config: mockServices.rootConfig(),
        logger: mockServices.logger.mock(),
      }).error(),
    );
    server = await new Promise<Server>(resolve => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  beforeEach(() => {
    seen = [];
  });

  async function post(path: string, body: unknown) {
    const response = await fetch(`${baseUrl}/api/widgets${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  it('lets a valid request through to the handler with typed values', async () => {
    const response = await post('/widgets/blue-42?limit=5', {
      title: 'Blue',
      items: [{ value: 1 }, { value: 2 }],
    });
    expect(response.status).toBe(200);
    expect(seen).toEqual([
      {
        name: 'blue-42',
        limit: 5,
        body: { title: 'Blue', items: [{ value: 1 }, { value: 2 }] },
      },
    ]);
  });

  const blue = { title: 'Blue' };

  it.each([
    [
      'a query integer above its maximum',
      '/widgets/blue?limit=101',
      blue,
      'limit',
    ],
    [
      'a query integer below its minimum',
      '/widgets/blue?limit=0',
      blue,
      'limit',
    ],
    [
      'a query value that is not an integer',
      '/widgets/blue?limit=many',
      blue,
      'limit',
    ],
    ['a path parameter breaking its pattern', '/widgets/Blue_1', blue, 'name'],
    [
      'a nested value of the wrong type',
      '/widgets/blue',
      { ...blue, items: [{ value: 'x' }] },
      'items[0].value',
    ],
    ['a missing required field', '/widgets/blue', { items: [] }, 'title'],
    [
      'a missing required field of a nested object',
      '/widgets/blue',
      { ...blue, items: [{ value: 1 }, {}] },
      'items[1].value',
    ],
    [
      'an unknown property',
      '/widgets/blue',
      { ...blue, colour: 'red' },
      'colour',
    ],
    [
      'an unknown property of a nested object',
      '/widgets/blue',
      { ...blue, items: [{ value: 1, size: 3 }] },
      'items[0].size',
    ],
  ])('refuses %s with a 400 naming the field', async (_, path, body, field) => {
    const response = await post(path, body);
    expect(response.status).toBe(400);
    expect(response.body.error.name).toBe('InputError');
    expect(response.body.error.message).toContain(`'${field}'`);
    expect(seen).toEqual([]);
  });

  it('names a bad query field and a bad body field of one request together', async () => {
    const response = await post('/widgets/blue?limit=0', { items: [] });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(`'limit'`);
    expect(response.body.error.message).toContain(`'title'`);
  });

  it('refuses a body that is not JSON with a 400', async () => {
    const response = await fetch(`${baseUrl}/api/widgets/widgets/blue`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"title": ',
    });
    expect(response.status).toBe(400);
    expect(seen).toEqual([]);
  });

  it('refuses a body of another media type with a 400', async () => {
    const response = await fetch(`${baseUrl}/api/widgets/widgets/blue`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'title=Blue',
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.name).toBe('InputError');
    expect(seen).toEqual([]);
  });

  it('leaves routes the document does not describe to their handlers', async () => {
    const response = await fetch(`${baseUrl}/api/widgets/undocumented?x=1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ undocumented: true });
  });
});

describe('createK2ApiRouter with a body limit', () => {
  it('refuses a body over the limit with a 413', async () => {
    const router = createK2ApiRouter(spec, { bodyLimit: '1kb' });
    const handler = jest.fn((_req, res) => res.json({}));
    router.post('/widgets/:name', handler);
    const app = express();
    app.use(router);
    app.use(
      MiddlewareFactory.create({
        config: mockServices.rootConfig(),
        logger: mockServices.logger.mock(),
      }).error(),
    );
    const server = await new Promise<Server>(resolve => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${
        (server.address() as AddressInfo).port
      }/widgets/blue`;
      const send = (title: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ title }),
        });
      expect((await send('x'.repeat(900))).status).toBe(200);
      expect((await send('x'.repeat(1100))).status).toBe(413);
      expect(handler).toHaveBeenCalledTimes(1);
    } finally {
      await new Promise(resolve => server.close(resolve));
    }
  });
});
