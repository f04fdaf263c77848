import { RenderResult } from '@testing-library/react';
import { SignalApi } from '@backstage/plugin-signals-react';
import {
  languageApis,
  renderK2EntityTab,
} from '@internal/plugin-k2-react/testUtils';
import { ConfigTab } from '../components/ConfigTab';
import { createK2ConfigApi } from './mockK2ConfigApi';

/**
 * Renders the whole Config tab of a `payment-gateway` service for a signed-in user at
 * `path` (`/config`, `/config?environment=test&file=application.yaml`).
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
  const { allow, ...rest } = options;
  return renderK2EntityTab(<ConfigTab />, {
    ...rest,
    mountPath: '/config',
    authorize: allow,
    apis: [api],
  });
}
