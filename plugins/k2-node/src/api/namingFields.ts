import { InputError } from '@backstage/errors';
import type { ErrorRequestHandler, Request } from 'express';

/** One problem the OpenAPI validator found, as express-openapi-validator reports it. */
interface ValidationProblem {
  /** e.g. `/body/env/0/name`, `/query/limit`, `/params/namespace`. */
  path?: string;
  message: string;
  /** e.g. `required.openapi.validation`, `additionalProperties.openapi.validation`. */
  errorCode?: string;
}

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
};

/** An OpenAPI document, as far as naming fields needs it. */
export interface NamingDoc {
  paths: object;
  components?: { schemas?: object };
}

const LOCATIONS: Record<string, string> = {
  params: 'Path parameter',
  query: 'Query parameter',
  headers: 'Header',
};

/** `['env', '0', 'name']` as people write it: `env[0].name`. */
function fieldName(pointer: string[]): string {
  return pointer
    .map((p, i) => {
      if (/^\d+$/.test(p)) return `[${p}]`;
      return i ? `.${p}` : p;
    })
    .join('');
}

function resolveRef(doc: NamingDoc, schema: Schema | undefined) {
  let s = schema;
  while (s?.$ref) {
    const name = s.$ref.replace('#/components/schemas/', '');
    s = (doc.components?.schemas as Record<string, Schema> | undefined)?.[name];
  }
  return s;
}

/** The fields the body object at `pointer` takes, from the operation's schema. */
function knownFields(doc: NamingDoc, req: Request, pointer: string[]) {
  const operationId = (
    req as { openapi?: { schema?: { operationId?: string } } }
  ).openapi?.schema?.operationId;
  const operation = Object.values(doc.paths)
    .flatMap(p => Object.values(p as object))
    .find(o => (o as { operationId?: string }).operationId === operationId) as
    | { requestBody?: { content?: Record<string, { schema?: Schema }> } }
    | undefined;
  let schema = resolveRef(
    doc,
    operation?.requestBody?.content?.['application/json']?.schema,
  );
  for (const p of pointer) {
    schema = resolveRef(
      doc,
      /^\d+$/.test(p) ? schema?.items : schema?.properties?.[p],
    );
  }
  return Object.keys(schema?.properties ?? {});
}

/** One sentence per problem; unknown fields of one object are named together. */
function describe(
  doc: NamingDoc,
  req: Request,
  problems: ValidationProblem[],
): string {
  const sentences: string[] = [];
  const unknownByObject = new Map<string, string[]>();
  for (const problem of problems) {
    const [location = '', ...pointer] = (problem.path ?? '')
      .split('/')
      .filter(Boolean);
    if (location !== 'body') {
      sentences.push(
        /^Unknown /.test(problem.message) || !pointer.length
          ? problem.message
          : `${LOCATIONS[location] ?? location} '${pointer.join('.')}' ${
              problem.message
            }`,
      );
    } else if (problem.errorCode?.startsWith('required.')) {
      sentences.push(`'${fieldName(pointer)}' is required`);
    } else if (problem.errorCode?.startsWith('additionalProperties.')) {
      const parent = pointer.slice(0, -1).join('/');
      unknownByObject.set(parent, [
        ...(unknownByObject.get(parent) ?? []),
        fieldName(pointer),
      ]);
    } else {
      sentences.push(
        pointer.length
          ? `'${fieldName(pointer)}' ${problem.message}`
          : `The request body ${problem.message}`,
      );
    }
  }
  for (const [parent, fields] of unknownByObject) {
    const pointer = parent ? parent.split('/') : [];
    const where = pointer.length ? `'${fieldName(pointer)}'` : 'the request';
    const known = knownFields(doc, req, pointer);
    sentences.push(
      `Unknown field(s) ${[...new Set(fields)]
        .map(f => `'${f}'`)
        .join(', ')}; ${where} takes ${known.join(', ') || 'no fields'}`,
    );
  }
  return sentences.join('; ');
}

/**
 * Turns the OpenAPI validator's errors into one InputError whose message names every
 * offending parameter or field: `Query parameter 'limit' must be <= 100`,
 * `'env[0].name' must match pattern …`, `'image' is required`,
 * `Unknown field(s) 'colour'; the request takes environment, image, …`.
 */
export function namingFields(doc: NamingDoc): ErrorRequestHandler {
  return (error, req, _res, next) => {
    if (error?.type === 'entity.parse.failed') {
      // Without echoing the body back, as the parser's own error would.
      next(new InputError('The request body is not valid JSON'));
      return;
    }
    const problems: ValidationProblem[] | undefined = error?.errors;
    if (!Array.isArray(problems) || typeof error?.status !== 'number') {
      next(error);
      return;
    }
    if (error.status === 415) {
      next(new InputError('The request body must be JSON (application/json)'));
      return;
    }
    next(new InputError(describe(doc, req, problems) || error.message));
  };
}
