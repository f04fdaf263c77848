import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { K2BuildStatus } from '@internal/plugin-k2-builds-common';
import { useBuildsT } from '../translation';

/**
 * A build's status as a coloured label, in the palette of release states (docs/ui.md):
 * succeeded green, failed and timed out red, cancelled and superseded aborted, queued
 * pending, running running.
 */
export function BuildStatus({ status }: { status: K2BuildStatus }) {
  const t = useBuildsT();
  const label = t(`status.${status}`);
  switch (status) {
    case 'succeeded':
      return <StatusOK>{label}</StatusOK>;
    case 'failed':
    case 'timed-out':
      return <StatusError>{label}</StatusError>;
    case 'cancelled':
    case 'superseded':
      return <StatusAborted>{label}</StatusAborted>;
    case 'queued':
      return <StatusPending>{label}</StatusPending>;
    default:
      return <StatusRunning>{label}</StatusRunning>;
  }
}
