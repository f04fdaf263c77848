import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { K2ReleaseStatus } from '@internal/plugin-k2-common';
import { useDeployT } from '../translation';
import { statusLabel } from './format';

/** A release's status as a coloured label. */
export function ReleaseStatus({ status }: { status: K2ReleaseStatus }) {
  const t = useDeployT();
  const label = statusLabel(status, t);
  switch (status) {
    case 'succeeded':
      return <StatusOK>{label}</StatusOK>;
    case 'failed':
    case 'timed-out':
      return <StatusError>{label}</StatusError>;
    case 'rejected':
    case 'cancelled':
    case 'expired':
      return <StatusAborted>{label}</StatusAborted>;
    case 'pending-approval':
      return <StatusPending>{label}</StatusPending>;
    default:
      return <StatusRunning>{label}</StatusRunning>;
  }
}
