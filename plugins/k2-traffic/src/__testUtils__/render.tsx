import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { configure, RenderResult } from '@testing-library/react';
import userEvent, {
  PointerEventsCheckLevel,
} from '@testing-library/user-event';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { TrafficTab } from '../components/TrafficTab';
import { K2_CONFIG, OWNER_GROUP, serviceEntity } from './fixtures';
import { languageApis } from '@internal/plugin-k2-react/testUtils';
import { createK2TrafficApi } from './mockK2TrafficApi';

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
 * Renders the whole Traffic tab of `payment-gateway` for a signed-in user at `path`
 * (`/traffic`, `/traffic/site?environment=test`, `/traffic/versions`).
 *
 * @param options.allow - whether the policy lets the user publish (owners: yes)
 * @param options.approve - whether the policy lets the user decide a change waiting
 *   for approval (approvers who did not ask for it: yes; default no)
 * @param options.user - the signed-in user, a member of the owning team (default
 *   alice; erin asked for prod's waiting change)
 */
export function renderTrafficTab(
  api: ReturnType<typeof createK2TrafficApi>,
  options: {
    allow?: boolean;
    approve?: boolean;
    user?: string;
    path?: string;
    language?: ReturnType<typeof languageApis>;
  } = {},
): RenderResult {
  const name = `payment-gateway-${++renders}`;
  const permission = mockApis.permission({
    authorize: request => {
      if (request.permission.name === 'k2.traffic.site.approve') {
        return (options.approve ? 'ALLOW' : 'DENY') as Decision;
      }
      return (options.allow ?? true ? 'ALLOW' : 'DENY') as Decision;
    },
  });
  const user = options.user ?? 'user:default/alice';
  const identity = mockApis.identity({
    userEntityRef: user,
    ownershipEntityRefs: [user, OWNER_GROUP],
  });
  const tab = (
    <EntityProvider entity={serviceEntity(name)}>
      <TrafficTab />
    </EntityProvider>
  );
  const app = {
    config: K2_CONFIG,
    mountPath: '/traffic',
    initialRouteEntries: [options.path ?? '/traffic'],
  };
  return options.language
    ? renderInTestApp(tab, {
        ...app,
        apis: [api, permission, identity, ...options.language],
      })
    : renderInTestApp(tab, { ...app, apis: [api, permission, identity] });
}
