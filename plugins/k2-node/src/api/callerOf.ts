import { HttpAuthService } from '@backstage/backend-plugin-api';
import type { Request } from 'express';
import { Caller } from '../actions';

/**
 * Who calls a K2 route, for the action gate: the request's credentials (people and
 * other plugins) and the request itself for the audit trail.
 */
export function callerOf(httpAuth: HttpAuthService) {
  return async (req: Request<any, any, any, any>): Promise<Caller> => ({
    credentials: await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    }),
    request: req as Request,
  });
}
