import { RenderResult } from '@testing-library/react';
import {
  k2MiddlewareApprovePermission,
  k2MiddlewareConnectionReadPermission,
  k2MiddlewareManagePermission,
} from '@internal/plugin-k2-common';
import {
  languageApis,
  renderK2EntityTab,
} from '@internal/plugin-k2-react/testUtils';
import { MiddlewareTab } from '../components/MiddlewareTab';
import { createK2MiddlewareStoreApi } from './mockK2MiddlewareStoreApi';

/**
 * Renders the Middleware tab of a `payment-gateway` service for a signed-in user at
 * `path` (`/middleware`, `/middleware?instance=${instanceId('cache')}`).
 *
 * @param options.owner - whether the policy lets the user manage the service's
 *   middleware and read connections (owners: yes, the default)
 * @param options.approver - whether the policy lets the user approve (default no)
 * @param options.user - the signed-in user (default alice, who asked for ledger-db)
 */
export function renderMiddlewareTab(
  api: ReturnType<typeof createK2MiddlewareStoreApi>,
  options: {
    owner?: boolean;
    approver?: boolean;
    user?: string;
    path?: string;
    language?: ReturnType<typeof languageApis>;
  } = {},
): RenderResult {
  const { owner = true, approver = false, ...rest } = options;
  return renderK2EntityTab(<MiddlewareTab />, {
    ...rest,
    mountPath: '/middleware',
    authorize: request => {
      switch (request.permission.name) {
        case k2MiddlewareManagePermission.name:
        case k2MiddlewareConnectionReadPermission.name:
          return owner;
        case k2MiddlewareApprovePermission.name:
          return approver;
        default:
          return true;
      }
    },
    apis: [api],
  });
}
