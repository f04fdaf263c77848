import {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { K2ApiError } from '@internal/plugin-k2-common';

/** A service as K2's APIs name it: its catalog namespace and name. */
export interface K2ServiceName {
  namespace: string;
  name: string;
}

/**
 * The namespace and name of a component ref such as `component:default/payment-gateway`;
 * anything else fails the step, naming the ref.
 */
export function serviceName(entityRef: string): K2ServiceName {
  const match = /^component:([^/]+)\/(.+)$/i.exec(entityRef);
  if (!match) {
    throw new Error(
      `entityRef '${entityRef}' is not a component ref such as component:default/payment-gateway`,
    );
  }
  return { namespace: match[1], name: match[2] };
}

/**
 * A fetch that calls a K2 backend plugin as the user who runs the template (a token
 * on the initiator's behalf for `targetPluginId`), so the plugin applies that user's
 * permissions, audit and approvals exactly as for the same click in the UI.
 */
export function fetchAsInitiator(options: {
  auth: AuthService;
  targetPluginId: string;
  getInitiatorCredentials: () => Promise<BackstageCredentials>;
}): { fetch: typeof fetch } {
  const { auth, targetPluginId, getInitiatorCredentials } = options;
  return {
    async fetch(input, init) {
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: await getInitiatorCredentials(),
        targetPluginId,
      });
      const request = new Request(input, init);
      request.headers.set('Authorization', `Bearer ${token}`);
      return fetch(request);
    },
  };
}

/**
 * Whether a K2 API answered as a backend without that plugin does: a 404 without
 * Backstage's error body (no route served the path). A 404 of the plugin itself, such
 * as an unknown service, carries a `NotFoundError` body and is not this.
 */
export function isPluginNotInstalled(error: unknown): boolean {
  return (
    error instanceof K2ApiError &&
    error.statusCode === 404 &&
    !error.body?.error?.name
  );
}
