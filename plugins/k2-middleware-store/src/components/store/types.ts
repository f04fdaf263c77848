import { K2MiddlewareEnvironmentPolicy } from '@internal/plugin-k2-middleware-store-common';

/** What `GET /environments` answers: every environment's middleware policy. */
export interface K2MiddlewareEnvironmentPolicyList {
  items: K2MiddlewareEnvironmentPolicy[];
}
