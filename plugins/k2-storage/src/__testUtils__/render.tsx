import { RenderResult } from '@testing-library/react';
import { SignalApi } from '@backstage/plugin-signals-react';
import {
  languageApis,
  renderK2EntityTab,
} from '@internal/plugin-k2-react/testUtils';
import { StorageTab } from '../components/StorageTab';
import { createK2StorageApi } from './mockK2StorageApi';

/**
 * Renders the whole Storage tab of a `payment-gateway` service for a signed-in user at
 * `path` (`/storage`, `/storage?environment=prod`).
 *
 * @param options.allow - whether the policy lets the user create, expand and delete volumes
 *   (owners: yes, the default; anyone else signed in: no)
 * @param options.user - the signed-in user (default alice)
 */
export function renderStorageTab(
  api: ReturnType<typeof createK2StorageApi>,
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
  return renderK2EntityTab(<StorageTab />, {
    ...rest,
    mountPath: '/storage',
    authorize: allow,
    apis: [api],
  });
}
