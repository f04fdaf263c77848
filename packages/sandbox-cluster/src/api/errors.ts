import { ResourceType } from './resources';

/** An API error, served as a `kind: Status` body with the matching HTTP code. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus() {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `deployments.apps` or `pods`, as the real server names a resource in messages. */
export function qualifiedName(type: ResourceType) {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

function detailsOf(type: ResourceType, name?: string) {
  return {
    ...(name ? { name } : {}),
    ...(type.group ? { group: type.group } : {}),
    kind: type.resource,
  };
}

export const errors = {
  notFound(type: ResourceType, name: string) {
    return new StatusError(
      404,
      'NotFound',
      `${qualifiedName(type)} "${name}" not found`,
      detailsOf(type, name),
    );
  },
  pathNotFound() {
    return new StatusError(
      404,
      'NotFound',
      'the server could not find the requested resource',
    );
  },
  alreadyExists(type: ResourceType, name: string) {
    return new StatusError(
      409,
      'AlreadyExists',
      `${qualifiedName(type)} "${name}" already exists`,
      detailsOf(type, name),
    );
  },
  conflict(type: ResourceType, name: string, message: string) {
    return new StatusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedName(
        type,
      )} "${name}": ${message}`,
      detailsOf(type, name),
    );
  },
  invalid(
    type: ResourceType,
    name: string,
    causes: { field: string; message: string; reason?: string }[],
  ) {
    const text = causes.map(c => `${c.field}: ${c.message}`).join(', ');
    return new StatusError(
      422,
      'Invalid',
      `${type.kind}${
        type.group ? `.${type.group}` : ''
      } "${name}" is invalid: ${text}`,
      {
        ...detailsOf(type, name),
        kind: type.kind,
        causes: causes.map(c => ({
          reason: c.reason ?? 'FieldValueInvalid',
          message: c.message,
          field: c.field,
        })),
      },
    );
  },
  invalidPatch(message: string) {
    return new StatusError(422, 'Invalid', message);
  },
  badRequest(message: string) {
    return new StatusError(400, 'BadRequest', message);
  },
  methodNotAllowed(
    message = 'the server does not allow this method on the requested resource',
  ) {
    return new StatusError(405, 'MethodNotAllowed', message);
  },
  unsupportedMediaType(contentType: string) {
    return new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`,
    );
  },
  gone(message: string) {
    return new StatusError(410, 'Expired', message);
  },
  unauthorized() {
    return new StatusError(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(type: ResourceType, name: string, message: string) {
    return new StatusError(
      403,
      'Forbidden',
      `${qualifiedName(type)} "${name}" is forbidden: ${message}`,
      detailsOf(type, name),
    );
  },
};
