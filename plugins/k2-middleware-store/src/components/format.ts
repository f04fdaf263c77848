import { parseEntityRef } from '@backstage/catalog-model';
import {
  K2MiddlewareEnvironmentPolicy,
  K2MiddlewareInstance,
  K2MiddlewareInstanceState,
  K2MiddlewareService,
} from '@internal/plugin-k2-middleware-store-common';
import { useAppLocale } from '@internal/plugin-k2-react';

/** An entity ref as the tables show it: `alice` for `user:default/alice`. */
export const who = (ref: string) => ref.replace(/^[a-z]+:(default\/)?/, '');

/** A service's entity ref as the Middleware store API names the service. */
export function serviceOf(ref: string): K2MiddlewareService {
  const parsed = parseEntityRef(ref);
  return { namespace: parsed.namespace, name: parsed.name };
}

/**
 * States that move on their own (the backend's lifecycle drives them): a view showing
 * one reads again often, so "Creating" turns into "Ready" without a reload.
 */
const MOVING: K2MiddlewareInstanceState[] = [
  'creating',
  'updating',
  'deleting',
  'restoring',
];

export const isMoving = (instance: Pick<K2MiddlewareInstance, 'state'>) =>
  MOVING.includes(instance.state);

/** How often a view reads again while an instance moves, and otherwise. */
export const MOVING_REFRESH_MS = 3000;
export const IDLE_REFRESH_MS = 30_000;

/** States an instance is gone in, until its backup's retention ends. */
export const isGone = (instance: Pick<K2MiddlewareInstance, 'state'>) =>
  instance.state === 'deleted' || instance.state === 'expired';

/** Whether a deleted or expired instance can still be restored now. */
export const isRestorable = (
  instance: K2MiddlewareInstance,
  now = Date.now(),
) =>
  isGone(instance) &&
  !!instance.backup &&
  Date.parse(instance.backup.restorableUntil) > now;

/** An environment's title as its policy gives it, else its name. */
export const environmentTitle = (
  environments: K2MiddlewareEnvironmentPolicy[] | undefined,
  name: string,
) => environments?.find(e => e.name === name)?.title ?? name;

/** A date (no time) in the language chosen in Settings: `2026/12/4`, `12/4/2026`. */
export function useFormatDate(): (iso: string) => string {
  const locale = useAppLocale();
  return iso => new Date(iso).toLocaleDateString(locale);
}

/** An ISO time `days` from `now`. */
export const daysFrom = (days: number, now = Date.now()) =>
  new Date(now + days * 86_400_000).toISOString();
