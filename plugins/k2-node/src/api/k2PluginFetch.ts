import { AuthService } from '@backstage/backend-plugin-api';

/**
 * A `fetchApi` for the typed client of another K2 plugin, calling it as this plugin
 * (a service-to-service token for `targetPluginId`), so the answer does not depend on
 * who asked this plugin: Storage and Config asking Deploy what releases mount, Deploy
 * asking Config for a version, the catalog module asking Storage for volumes.
 */
export function k2PluginFetch(
  auth: AuthService,
  targetPluginId: string,
): { fetch: typeof fetch } {
  return {
    async fetch(input, init) {
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: await auth.getOwnServiceCredentials(),
        targetPluginId,
      });
      const request = new Request(input, init);
      request.headers.set('authorization', `Bearer ${token}`);
      return fetch(request);
    },
  };
}
