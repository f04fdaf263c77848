import type {
  ApiRouter,
  createValidatedOpenApiRouter,
} from '@backstage/backend-openapi-utils';
import { InputError } from '@backstage/errors';
import express, { ErrorRequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import Router from 'express-promise-router';

/** An OpenAPI document as the typed router takes it. */
type RequiredDoc = Parameters<typeof createValidatedOpenApiRouter>[0];

/** One problem the OpenAPI validator found, as express-openapi-validator reports it. */
interface ValidationProblem {
  /** e.g. `/body/replicas`, `/query/limit`, `/params/namespace`. */
  path?: string;
  message: string;
}

/**
 * `/body/env/0/name` → `env[0].name`; query and path parameters by their name.
 */
function fieldOf(path: string | undefined): string | undefined {
  const parts = (path ?? '').split('/').filter(Boolean);
  if (parts.length === 0) return undefined;
  if (['body', 'query', 'params', 'headers'].includes(parts[0])) parts.shift();
  if (parts.length === 0) return 'the request body';
  return parts
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

/** Turns the validator's errors into one InputError that names every bad field. */
const namingFields: ErrorRequestHandler = (error, _req, _res, next) => {
  const problems: ValidationProblem[] | undefined = error?.errors;
  if (!Array.isArray(problems) || typeof error?.status !== 'number') {
    next(error);
    return;
  }
  if (error.status === 415 || error.status === 400) {
    const text = problems
      .map(p => {
        const field = fieldOf(p.path);
        return field ? `'${field}' ${p.message}` : p.message;
      })
      .join('; ');
    next(new InputError(`Invalid request: ${text}`));
    return;
  }
  // 404/405 for undocumented routes are left to the router (ignoreUndocumented).
  next(new InputError(error.message));
};

/**
 * The router of a K2 backend plugin, validated by its OpenAPI document: every request's
 * path parameters, query and body are checked against the contract before a handler
 * runs, and a request that breaks it gets a 400 naming each offending field.
 *
 * Built like `createValidatedOpenApiRouter` of `@backstage/backend-openapi-utils` (same
 * validator, same defaults, same typed router), except for the error messages: the
 * library's say only "request/body must NOT have additional properties", without the
 * field.
 */
export function createK2ApiRouter<T extends RequiredDoc>(
  spec: T,
  options?: { bodyLimit?: string },
): ApiRouter<T> {
  const router = Router();
  router.use(express.json({ limit: options?.bodyLimit ?? '1mb' }));
  router.use(
    OpenApiValidator.middleware({
      apiSpec: spec as any,
      validateRequests: {
        coerceTypes: false,
        allowUnknownQueryParameters: false,
      },
      useRequestUrl: true,
      ignoreUndocumented: true,
      validateResponses: false,
    }),
  );
  router.use(namingFields);
  return router as unknown as ApiRouter<T>;
}
