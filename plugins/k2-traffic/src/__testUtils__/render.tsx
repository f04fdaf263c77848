import { RenderResult } from '@testing-library/react';
import {
  languageApis,
  renderK2EntityTab,
} from '@internal/plugin-k2-react/testUtils';
import { TrafficTab } from '../components/TrafficTab';
import { K2_CONFIG } from './fixtures';
import { createK2TrafficApi } from './mockK2TrafficApi';

/**
 * Renders the whole Traffic tab of a `payment-gateway` service for a signed-in user at
 * `path` (`/traffic`, `/traffic/site?environment=test`, `/traffic/versions`).
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
  const { allow = true, approve = false, ...rest } = options;
  return renderK2EntityTab(<TrafficTab />, {
    ...rest,
    mountPath: '/traffic',
    authorize: request =>
      request.permission.name === 'k2.traffic.site.approve' ? approve : allow,
    config: K2_CONFIG,
    apis: [api],
  });
}
