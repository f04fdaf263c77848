import {
  K2ClusterRuntime,
  K2Release,
  K2ReleaseStatus,
  shortImageVersion,
  tryParseImageReference,
} from '@internal/plugin-k2-common';
import { DeployT } from '../translation';

/** Statuses in which a release still moves. */
export const ACTIVE: K2ReleaseStatus[] = [
  'pending-approval',
  'applying',
  'rolling-out',
];

export const isActive = (r: K2Release) => ACTIVE.includes(r.status);

/**
 * `registry/team/app:1.4.2` → `1.4.2`, the part people compare; a pinned digest
 * shortened; text that is no image reference (an image ID) as it is.
 */
export function imageTag(image: string) {
  const reference = tryParseImageReference(image);
  return reference ? shortImageVersion(reference) : image;
}

/** `sha256:` and the first 12 hex digits of a digest, as `imageTag` shortens a pinned one. */
export function shortDigest(digest: string) {
  return digest.slice(0, digest.indexOf(':') + 13);
}

/** How long something took, in the user's language; empty when it has not ended. */
export function duration(t: DeployT, from?: string, to?: string) {
  if (!from || !to) return '';
  const s = Math.round((Date.parse(to) - Date.parse(from)) / 1000);
  return s < 60
    ? t('duration.seconds', { seconds: String(s) })
    : t('duration.minutes', {
        minutes: String(Math.floor(s / 60)),
        seconds: String(s % 60),
      });
}

/** The message key of each release status's label. */
const STATUS_KEY = {
  'pending-approval': 'status.pendingApproval',
  applying: 'status.applying',
  'rolling-out': 'status.rollingOut',
  succeeded: 'status.succeeded',
  failed: 'status.failed',
  'timed-out': 'status.timedOut',
  rejected: 'status.rejected',
  cancelled: 'status.cancelled',
  expired: 'status.expired',
} as const satisfies Record<K2ReleaseStatus, string>;

/** A release status in words, in the user's language. */
export function statusLabel(status: K2ReleaseStatus, t: DeployT): string {
  return t(STATUS_KEY[status]);
}

/**
 * Ready and desired replicas of an environment in one cluster. Terminating pods are
 * on their way out: they count neither as ready nor towards the total, so a finished
 * rollout reads 2/2 while old pods drain. Desired is the workloads' own count (the HPA's
 * when it scales them); without a workload, the live pods.
 */
export function readyCounts(cluster: K2ClusterRuntime): {
  ready: number;
  desired: number;
} {
  const live = cluster.pods.filter(p => !p.terminating);
  const ready = live.filter(p => p.ready).length;
  const desired = cluster.workloads.length
    ? cluster.workloads.reduce((sum, w) => sum + w.replicas.desired, 0)
    : live.length;
  return { ready, desired };
}
