import { RenderResult, screen } from '@testing-library/react';
import {
  languageApis,
  renderK2EntityTab,
  setupUser,
} from '@internal/plugin-k2-react/testUtils';
import { AlertsTab } from '../components/AlertsTab';
import { createK2AlertsApi } from './mockK2AlertsApi';

/**
 * Renders the whole Alerts tab of a `payment-gateway` service for a signed-in user at
 * `path` (`/alerts`, `/alerts/rules?environment=test`).
 *
 * @param options.manage - whether the policy lets the user manage the service's rules
 *   (owners: yes, the default; anyone else signed in: no)
 * @param options.promql - whether the user may write PromQL (platform admins; default no)
 */
export function renderAlertsTab(
  api: ReturnType<typeof createK2AlertsApi>,
  options: {
    manage?: boolean;
    promql?: boolean;
    user?: string;
    path?: string;
    language?: ReturnType<typeof languageApis>;
  } = {},
): RenderResult {
  const { manage = true, promql = false, ...rest } = options;
  return renderK2EntityTab(<AlertsTab />, {
    ...rest,
    mountPath: '/alerts',
    authorize: request =>
      request.permission.name === 'k2.alert.template.manage' ? promql : manage,
    apis: [api],
  });
}

/**
 * Opens the Rules view of test at `/alerts/rules` and its New rule dialog, as an
 * owner unless `options` say otherwise.
 */
export async function openNewRuleDialog(
  options: Parameters<typeof renderAlertsTab>[1] = {},
) {
  const api = createK2AlertsApi();
  const user = setupUser();
  renderAlertsTab(api, { path: '/alerts/rules', ...options });
  await screen.findByRole('table', { name: 'Alert rules in Test' });
  await user.click(screen.getByRole('button', { name: 'New rule' }));
  const dialog = screen.getByRole('dialog', { name: 'New alert rule in Test' });
  return { api, user, dialog };
}
