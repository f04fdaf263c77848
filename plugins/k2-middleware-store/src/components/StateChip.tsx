import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { K2MiddlewareInstance } from '@internal/plugin-k2-middleware-store-common';
import { useMiddlewareT } from '../translation';
import { useFormatDate } from './format';

/**
 * An instance's state in the colours of K2's status palette (docs/ui.md): Ready green;
 * Creating, Updating, Deleting and Restoring running (moving is never red); Degraded
 * (with the reason) and an expiry coming warning; Awaiting approval pending; Rejected,
 * Deleted and Expired aborted (the latter two with the date they stay restorable
 * until); Failed (with the reason) red.
 */
export function StateChip(props: { instance: K2MiddlewareInstance }) {
  const t = useMiddlewareT();
  const date = useFormatDate();
  const { state, stateReason, expiring, expiresAt, backup } = props.instance;
  switch (state) {
    case 'ready':
      if (expiring && expiresAt) {
        return (
          <StatusWarning>
            {t('state.ready')} ·{' '}
            {t('state.expiring', { date: date(expiresAt) })}
          </StatusWarning>
        );
      }
      return <StatusOK>{t('state.ready')}</StatusOK>;
    case 'degraded':
      return (
        <StatusWarning>
          {stateReason
            ? t('state.degradedReason', { reason: stateReason })
            : t('state.degraded')}
        </StatusWarning>
      );
    case 'failed':
      return (
        <StatusError>
          {stateReason
            ? t('state.failedReason', { reason: stateReason })
            : t('state.failed')}
        </StatusError>
      );
    case 'awaiting-approval':
      return <StatusPending>{t('state.awaiting-approval')}</StatusPending>;
    case 'rejected':
      return <StatusAborted>{t('state.rejected')}</StatusAborted>;
    case 'deleted':
    case 'expired':
      return (
        <StatusAborted>
          {t(`state.${state}`)}
          {backup &&
            ` · ${t('state.restorableUntil', {
              date: date(backup.restorableUntil),
            })}`}
        </StatusAborted>
      );
    default:
      return <StatusRunning>{t(`state.${state}`)}</StatusRunning>;
  }
}
