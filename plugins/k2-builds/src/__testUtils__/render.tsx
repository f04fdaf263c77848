import { RenderResult } from '@testing-library/react';
import {
  languageApis,
  renderK2EntityTab,
} from '@internal/plugin-k2-react/testUtils';
import { BuildsTab } from '../components/BuildsTab';
import { createK2BuildsApi } from './mockK2BuildsApi';

/**
 * Renders the whole Builds tab of a `payment-gateway` service for a signed-in user at
 * `path` (`/builds`, `/builds?build=3`).
 *
 * @param options.allow - whether the policy lets the user start and cancel builds and
 *   read logs (owners: yes, the default; anyone else signed in: no)
 */
export function renderBuildsTab(
  api: ReturnType<typeof createK2BuildsApi>,
  options: {
    allow?: boolean;
    path?: string;
    language?: ReturnType<typeof languageApis>;
  } = {},
): RenderResult {
  const { allow, ...rest } = options;
  return renderK2EntityTab(<BuildsTab />, {
    ...rest,
    mountPath: '/builds',
    authorize: allow,
    apis: [api],
  });
}
