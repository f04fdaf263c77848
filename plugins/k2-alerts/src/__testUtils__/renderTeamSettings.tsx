import {
  mockApis,
  renderInTestApp,
  TestApiPair,
} from '@backstage/frontend-test-utils';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import {
  K2_TEST_CONFIG,
  languageApis,
} from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from './mockK2AlertsApi';
import { AlertsPageRoutes } from '../components/team/AlertsPageRoutes';

const user = (name: string, displayName: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName }, memberOf: ['payments-team'] },
});

/** payments-team (Payments) with alice, priya and dave, as the catalog relates them. */
const CATALOG = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'payments-team', namespace: 'default' },
    spec: {
      type: 'team',
      profile: { displayName: 'Payments' },
      children: [],
    },
    relations: ['alice', 'priya', 'dave'].map(name => ({
      type: 'hasMember',
      targetRef: `user:default/${name}`,
    })),
  },
  user('alice', 'Alice Chen'),
  user('priya', 'Priya Raman'),
  user('dave', 'Dave Kim'),
];

/**
 * The Alerts pages at `/k2/alerts/settings?team=group:default/payments-team` for a
 * signed-in user: alice (a member of payments-team) unless `groups` says otherwise;
 * `admin` is the policy's answer to `k2.alert.template.manage` (platform admins).
 */
export function renderTeamSettings(
  api: ReturnType<typeof createK2AlertsApi>,
  options: {
    groups?: string[];
    admin?: boolean;
    language?: ReturnType<typeof languageApis>;
  } = {},
) {
  const apis: TestApiPair<any>[] = [
    api,
    catalogApiMock({ entities: CATALOG }),
    mockApis.identity({
      userEntityRef: 'user:default/alice',
      ownershipEntityRefs: [
        'user:default/alice',
        ...(options.groups ?? ['group:default/payments-team']),
      ],
    }),
    mockApis.permission({
      authorize: request =>
        request.permission.name === 'k2.alert.template.manage' && !options.admin
          ? 'DENY'
          : 'ALLOW',
    }),
    ...(options.language ?? []),
  ];
  return renderInTestApp(<AlertsPageRoutes />, {
    config: K2_TEST_CONFIG,
    initialRouteEntries: ['/settings?team=group%3Adefault%2Fpayments-team'],
    apis,
  });
}
