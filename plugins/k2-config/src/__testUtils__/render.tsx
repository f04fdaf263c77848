import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { configure, RenderResult } from '@testing-library/react';
import userEvent, {
  PointerEventsCheckLevel,
} from '@testing-library/user-event';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import { ConfigTab } from '../components/ConfigTab';
import { K2_CONFIG, OWNER_GROUP, serviceEntity } from './fixtures';
import { languageApis } from '@internal/plugin-k2-react/testUtils';
import { createK2ConfigApi } from './mockK2ConfigApi';

// The tab loads in steps (permissions, clusters, then each view's first answer).
configure({ asyncUtilTimeout: 5000 });

/** A user at the keyboard and mouse, without typing delays or the slow CSS check. */
export function setupUser() {
  return userEvent.setup({
    delay: null,
    pointerEventsCheck: PointerEventsCheckLevel.Never,
  });
}

type Decision = Extract<
  NonNullable<Parameters<typeof mockApis.permission>[0]>['authorize'],
  string
>;

// usePermission caches answers by resource, so every render gets its own entity.
let renders = 0;

/**
 * Renders the whole Config tab of `payment-gateway` for a signed-in user at `path`
 * (`/config`, `/config?environment=test&file=application.yaml`).
 *
 * @param options.allow - whether the policy lets the user write config files and
 *   read sensitive ones (owners: yes, the default; anyone else signed in: no)
 * @param options.user - the signed-in user (default alice)
 */
export function renderConfigTab(
  api: ReturnType<typeof createK2ConfigApi>,
  options: {
    allow?: boolean;
    user?: string;
    path?: string;
    language?: ReturnType<typeof languageApis>;
    /** The signal API the test speaks through, as the Signals backend would. */
    signals?: SignalApi;
  } = {},
): RenderResult {
  const name = `payment-gateway-${++renders}`;
  const permission = mockApis.permission({
    authorize: (options.allow ?? true ? 'ALLOW' : 'DENY') as Decision,
  });
  const user = options.user ?? 'user:default/alice';
  const identity = mockApis.identity({
    userEntityRef: user,
    ownershipEntityRefs: [user, OWNER_GROUP],
  });
  const tab = (
    <EntityProvider entity={serviceEntity(name)}>
      <ConfigTab />
    </EntityProvider>
  );
  const app = {
    config: K2_CONFIG,
    mountPath: '/config',
    initialRouteEntries: [options.path ?? '/config'],
  };
  if (options.signals) {
    return renderInTestApp(tab, {
      ...app,
      apis: [api, permission, identity, [signalApiRef, options.signals]],
    });
  }
  return options.language
    ? renderInTestApp(tab, {
        ...app,
        apis: [api, permission, identity, ...options.language],
      })
    : renderInTestApp(tab, { ...app, apis: [api, permission, identity] });
}
