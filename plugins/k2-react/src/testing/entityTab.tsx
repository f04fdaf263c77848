import { ReactElement } from 'react';
import {
  mockApis,
  renderInTestApp,
  TestApiPair,
} from '@backstage/frontend-test-utils';
import { configure, RenderResult } from '@testing-library/react';
import userEvent, {
  PointerEventsCheckLevel,
} from '@testing-library/user-event';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import { languageApis } from './languageApis';
import {
  K2_TEST_CONFIG,
  K2_TEST_OWNER_GROUP,
  k2ServiceEntity,
} from './fixtures';

// A tab loads in steps (permissions, clusters, then each view's first answer).
configure({ asyncUtilTimeout: 5000 });

/** A user at the keyboard and mouse, without typing delays or the slow CSS check. */
export function setupUser() {
  return userEvent.setup({
    delay: null,
    pointerEventsCheck: PointerEventsCheckLevel.Never,
  });
}

type Authorize = NonNullable<
  NonNullable<Parameters<typeof mockApis.permission>[0]>['authorize']
>;
type Decision = Extract<Authorize, string>;
type PermissionRequest = Parameters<
  Extract<Authorize, (...args: any[]) => unknown>
>[0];

const decision = (allowed: boolean) => (allowed ? 'ALLOW' : 'DENY') as Decision;

// usePermission caches answers by resource, so every render gets its own entity.
let renders = 0;

/**
 * Renders a K2 entity tab (`tab`, e.g. `<StorageTab />`) of a fresh `payment-gateway-<n>`
 * service for a signed-in user at `path`. Each render names its service anew, so no
 * permission answer cached by an earlier render leaks into it.
 *
 * @param options.mountPath - where the tab is mounted (`/storage`)
 * @param options.path - the route the user opens (default: the mount path)
 * @param options.authorize - whether the policy allows the user's requests, for all of
 *   them or for each (default: allowed, as for the service's owners)
 * @param options.user - the signed-in user, a member of the owning group (default alice)
 * @param options.apis - the plugin's own API mocks
 * @param options.language - translation APIs from `languageApis`
 * @param options.signals - the signal API the test speaks through, as the Signals backend would
 * @param options.config - the app config (default K2_TEST_CONFIG)
 */
export function renderK2EntityTab(
  tab: ReactElement,
  options: {
    mountPath: string;
    path?: string;
    authorize?: boolean | ((request: PermissionRequest) => boolean);
    user?: string;
    apis?: readonly TestApiPair<any>[];
    language?: ReturnType<typeof languageApis>;
    signals?: SignalApi;
    config?: object;
  },
): RenderResult {
  const name = `payment-gateway-${++renders}`;
  const user = options.user ?? 'user:default/alice';
  const { authorize = true } = options;
  const apis: TestApiPair<any>[] = [
    ...(options.apis ?? []),
    mockApis.permission({
      authorize:
        typeof authorize === 'function'
          ? request => decision(authorize(request))
          : decision(authorize),
    }),
    mockApis.identity({
      userEntityRef: user,
      ownershipEntityRefs: [user, K2_TEST_OWNER_GROUP],
    }),
    ...(options.language ?? []),
  ];
  if (options.signals) apis.push([signalApiRef, options.signals]);
  return renderInTestApp(
    <EntityProvider entity={k2ServiceEntity(name)}>{tab}</EntityProvider>,
    {
      config: options.config ?? K2_TEST_CONFIG,
      mountPath: options.mountPath,
      initialRouteEntries: [options.path ?? options.mountPath],
      apis,
    },
  );
}
