import type {
  ApiRouter,
  createValidatedOpenApiRouter,
} from '@backstage/backend-openapi-utils';
import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import Router from 'express-promise-router';
import { namingFields } from './namingFields';

/** An OpenAPI document as the typed router takes it. */
type RequiredDoc = Parameters<typeof createValidatedOpenApiRouter>[0];

/**
 * The router of a K2 backend plugin, validated by its OpenAPI document: every request's
 * path parameters, query and body are checked against the contract before a handler
 * runs, and a request that breaks it gets a 400 naming each offending field.
 *
 * Built like `createValidatedOpenApiRouter` of `@backstage/backend-openapi-utils` (same
 * validator, same defaults, same typed router), except for the error messages: the
 * library's say only "request/body must NOT have additional properties", without the
 * field (see {@link namingFields}).
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
        // The first bad field of a body is named; collecting every error (allErrors)
        // lets a large crafted body cost a lot of CPU, so it stays off.
      },
      useRequestUrl: true,
      ignoreUndocumented: true,
      validateResponses: false,
    }),
  );
  router.use(namingFields(spec));
  // The contract itself, its paths under the plugin's mount path (as Backstage's
  // OpenAPI routers serve it).
  router.get('/openapi.json', (req, res) => {
    const base = req.originalUrl.replace(/\/openapi\.json(\?.*)?$/, '');
    res.json({
      ...spec,
      paths: Object.fromEntries(
        Object.entries(spec.paths).map(([path, item]) => [base + path, item]),
      ),
    });
  });
  return router as unknown as ApiRouter<T>;
}
