import { ApiRouter } from '@backstage/backend-openapi-utils';
import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import { Caller } from '@internal/plugin-k2-node';
import { createOpenApiRouter, spec } from '../schema/openapi.generated';

/** The Deploy router: every request validated against the OpenAPI document. */
export type DeployRouter = ApiRouter<typeof spec>;

/**
 * A router that answers 400 to every request breaking the contract, before any route
 * runs, with a message naming the parameter or field.
 */
export async function createDeployRouter(): Promise<DeployRouter> {
  const router = await createOpenApiRouter({
    middleware: [express.json({ limit: '1mb' })],
  });
  // Installed before the routes: it sees the validator's errors, not the routes'.
  router.use(
    (
      error: unknown,
      req: express.Request,
      _res: express.Response,
      next: express.NextFunction,
    ) => next(error instanceof InputError ? namingTheField(error, req) : error),
  );
  return router;
}

/** Who calls, from the request's credentials (users and other plugins). */
export function callerOf(httpAuth: HttpAuthService) {
  return async (req: express.Request<any, any, any, any>): Promise<Caller> => ({
    credentials: await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    }),
    // The typed request is an express request: the audit trail reads its method and path.
    request: req as express.Request,
  });
}

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
};

function resolveRef(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  while (s?.$ref) {
    const name = s.$ref.replace('#/components/schemas/', '');
    s = (spec.components.schemas as Record<string, Schema>)[name];
  }
  return s;
}

/** `env/0/name` as people write it: `env[0].name`. */
function fieldName(pointer: string[]): string {
  return pointer
    .map((p, i) => {
      if (/^\d+$/.test(p)) return `[${p}]`;
      return i ? `.${p}` : p;
    })
    .join('');
}

/**
 * The validator says `request/body/env/0 must NOT have additional properties`: which
 * fields are they, and which does the object take?
 */
function unknownFields(req: express.Request, pointer: string[]) {
  const operationId = (
    req as { openapi?: { schema?: { operationId?: string } } }
  ).openapi?.schema?.operationId;
  const operation = Object.values(spec.paths)
    .flatMap(p => Object.values(p))
    .find(o => (o as { operationId?: string }).operationId === operationId) as
    | {
        requestBody?: {
          content: { 'application/json': { schema: Schema } };
        };
      }
    | undefined;
  let schema = resolveRef(
    operation?.requestBody?.content['application/json'].schema,
  );
  let value: unknown = req.body;
  for (const p of pointer) {
    schema = resolveRef(
      /^\d+$/.test(p) ? schema?.items : schema?.properties?.[p],
    );
    value = (value as Record<string, unknown> | undefined)?.[p];
  }
  const known = Object.keys(schema?.properties ?? {});
  const given =
    value && typeof value === 'object' ? Object.keys(value as object) : [];
  return { unknown: given.filter(k => !known.includes(k)), known };
}

const LOCATIONS: Record<string, string> = {
  params: 'Path parameter',
  query: 'Query parameter',
  headers: 'Header',
};

/** One of the validator's messages, such as `request/query/limit must be <= 100`. */
function rephrase(part: string, req: express.Request): string {
  const match = /^request\/([a-z]+)((?:\/[^\s/]+)*) (.*)$/s.exec(part);
  if (!match) return part;
  const [, location, path, message] = match;
  const pointer = path.split('/').filter(Boolean);
  if (location !== 'body') {
    return `${LOCATIONS[location] ?? location} '${pointer.join(
      '.',
    )}' ${message}`;
  }
  const required = /^must have required property '(.+)'$/.exec(message);
  if (required) {
    return `'${fieldName([...pointer, required[1]])}' is required`;
  }
  if (message === 'must NOT have additional properties') {
    const { unknown, known } = unknownFields(req, pointer);
    const where = pointer.length ? `'${fieldName(pointer)}'` : 'the request';
    return `Unknown field(s) ${unknown
      .map(k => `'${fieldName([...pointer, k])}'`)
      .join(', ')}; ${where} takes ${known.join(', ') || 'no fields'}`;
  }
  return pointer.length
    ? `'${fieldName(pointer)}' ${message}`
    : `The request body ${message}`;
}

/** The validator's error, rephrased so that it names each parameter or field. */
function namingTheField(error: InputError, req: express.Request): InputError {
  if (/^unsupported media type/.test(error.message)) {
    return new InputError('The request body must be JSON (application/json)');
  }
  if (!error.message.startsWith('request/')) return error;
  return new InputError(
    error.message
      .split(/, (?=request\/)/)
      .map(part => rephrase(part, req))
      .join('; '),
  );
}
