import { K2ShellEndReason } from '@internal/plugin-k2-deploy-common';
import { DeployT } from '../../translation';

/** Why a shell session ended, in the user's language. */
export function endReasonText(t: DeployT, reason: K2ShellEndReason): string {
  switch (reason) {
    case 'exit':
      return t('shell.endReason.exit');
    case 'closed':
      return t('shell.endReason.closed');
    case 'idle':
      return t('shell.endReason.idle');
    case 'max-duration':
      return t('shell.endReason.maxDuration');
    case 'pod-gone':
      return t('shell.endReason.podGone');
    case 'no-shell':
      return t('shell.endReason.noShell');
    case 'lost':
      return t('shell.endReason.lost');
    default:
      return t('shell.endReason.error');
  }
}
