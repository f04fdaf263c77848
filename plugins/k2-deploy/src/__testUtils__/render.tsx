import { ReactElement } from 'react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { configure, RenderResult } from '@testing-library/react';
import userEvent, {
  PointerEventsCheckLevel,
} from '@testing-library/user-event';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { ServiceName } from '../api/K2DeployApi';
import { DeployTab } from '../components/DeployTab';
import { DeployTabEntry } from '../components/DeployTabEntry';
import { K2_CONFIG, OWNER_GROUP, serviceEntity, SERVICE } from './fixtures';
import { languageApis } from '@internal/plugin-k2-react/testUtils';
import { createK2DeployApi } from './mockK2DeployApi';

// The Deploy tab loads in steps (permissions, identity, then each view's first
// answer); on a busy machine that takes longer than findBy's default second.
configure({ asyncUtilTimeout: 5000 });

type K2DeployApiMock = ReturnType<typeof createK2DeployApi>;

/**
 * A user at the keyboard and mouse. Keys are typed without delays, and the CSS
 * `pointer-events` check (getComputedStyle up the tree on every pointer action, very
 * slow with MUI's style sheets) is off; disabled buttons still ignore clicks.
 */
export function setupUser() {
  return userEvent.setup({
    delay: null,
    pointerEventsCheck: PointerEventsCheckLevel.Never,
  });
}

/**
 * Renders a Deploy tab component in a test app with the given K2 Deploy API, at
 * `/deploy` (or the first of `initialRouteEntries`, e.g. `/deploy?instance=…`).
 */
export function renderWithApi(
  element: ReactElement,
  api: K2DeployApiMock,
  options: { initialRouteEntries?: string[] } = {},
): RenderResult {
  return renderInTestApp(element, {
    apis: [api],
    config: K2_CONFIG,
    mountPath: '/deploy',
    initialRouteEntries: options.initialRouteEntries ?? ['/deploy'],
  });
}

// The policy's decision as `mockApis.permission` takes it (AuthorizeResult of
// plugin-permission-common, which this package does not depend on).
type Decision = Extract<
  NonNullable<Parameters<typeof mockApis.permission>[0]>['authorize'],
  string
>;
const ALLOW = 'ALLOW' as Decision;
const DENY = 'DENY' as Decision;

// usePermission caches answers by permission and resource (in SWR's module-wide
// cache), so every rendered tab gets its own entity: an answer from an earlier test
// can then never stand in for this one's policy.
let renders = 0;

/**
 * Renders the whole Deploy tab of `payment-gateway` for a signed-in user.
 *
 * @param options.allow - whether the permission policy allows release, scale, restart
 *   and instance actions (owners: yes; others: no)
 * @param options.approve - whether the policy lets this user approve the waiting
 *   release (asked per release, as the backend's `IS_ENVIRONMENT_APPROVER` rule decides)
 * @param options.path - where the tab opens: `/deploy` (the overview), or a sub-view
 *   such as `/deploy/history?environment=prod`
 * @param options.language - the translation and language APIs of a user who picked
 *   another language in Settings (`languageApis('zh', [...])`); English otherwise
 * @param options.entry - renders the tab as the app mounts it, through
 *   {@link DeployTabEntry} (its code loaded lazily)
 * @param options.beside - rendered next to the tab, e.g. a part of the page whose
 *   code is still loading
 * @param options.asked - collects the name of every permission the policy is asked
 */
export function renderDeployTab(
  api: K2DeployApiMock,
  options: {
    allow?: boolean;
    approve?: boolean;
    path?: string;
    language?: ReturnType<typeof languageApis>;
    entry?: boolean;
    beside?: ReactElement;
    asked?: string[];
  } = {},
): RenderResult & { service: ServiceName } {
  const name = `${SERVICE.name}-${++renders}`;
  const permission = mockApis.permission({
    authorize: request => {
      options.asked?.push(request.permission.name);
      if (request.permission.name === 'k2.release.approve') {
        return options.approve ? ALLOW : DENY;
      }
      return options.allow ?? true ? ALLOW : DENY;
    },
  });
  const identity = mockApis.identity({
    userEntityRef: 'user:default/alice',
    ownershipEntityRefs: ['user:default/alice', OWNER_GROUP],
  });
  const tab = (
    <EntityProvider entity={serviceEntity(name)}>
      {options.entry ? <DeployTabEntry /> : <DeployTab />}
      {options.beside}
    </EntityProvider>
  );
  const app = {
    config: K2_CONFIG,
    mountPath: '/deploy',
    initialRouteEntries: [options.path ?? '/deploy'],
  };
  const result = options.language
    ? renderInTestApp(tab, {
        ...app,
        apis: [api, permission, identity, ...options.language],
      })
    : renderInTestApp(tab, { ...app, apis: [api, permission, identity] });
  return { ...result, service: { namespace: 'default', name } };
}
