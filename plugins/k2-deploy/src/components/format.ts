import {
  K2Release,
  K2ReleaseStatus,
  shortImageVersion,
  tryParseImageReference,
} from '@internal/plugin-k2-common';

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

export function ago(iso?: string) {
  if (!iso) return '';
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

export function duration(from?: string, to?: string) {
  if (!from || !to) return '';
  const s = Math.round((Date.parse(to) - Date.parse(from)) / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export const STATUS_LABEL: Record<K2ReleaseStatus, string> = {
  'pending-approval': 'Waiting for approval',
  applying: 'Applying',
  'rolling-out': 'Rolling out',
  succeeded: 'Succeeded',
  failed: 'Failed',
  'timed-out': 'Timed out',
  rejected: 'Rejected',
  cancelled: 'Withdrawn',
  expired: 'Expired',
};
