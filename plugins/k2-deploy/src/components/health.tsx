import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import {
  K2ClusterRuntime,
  K2Release,
  K2ReleaseClusterProgress,
} from '@internal/plugin-k2-common';
import Tooltip from '@material-ui/core/Tooltip';
import { readyCounts } from './format';
import { DeployT, useDeployT } from '../translation';

/**
 * How a service is doing, in the words an engineer uses and in the colour that
 * matches: a rollout that is still moving is never red; red is for what failed.
 */
export type Health =
  | { state: 'healthy' }
  | { state: 'rolling-out'; detail?: string }
  | { state: 'waiting-for-readiness'; detail?: string }
  | { state: 'failed'; reason: string }
  | { state: 'degraded'; detail: string }
  | { state: 'stale'; detail: string }
  | { state: 'stopped' };

/** The health of an environment's workload in one cluster, from the watch cache. */
export function clusterHealth(cluster: K2ClusterRuntime): Health {
  if (cluster.health.stale) {
    return {
      state: 'stale',
      detail: cluster.health.error?.message ?? cluster.health.status,
    };
  }
  if (cluster.workloads.length === 0) return { state: 'stopped' };
  const failed = cluster.workloads.find(w => w.rollout.state === 'failed');
  if (failed) return { state: 'failed', reason: failed.rollout.message };
  const moving = cluster.workloads.find(w => w.rollout.state === 'progressing');
  if (moving) {
    return moving.replicas.updated < moving.replicas.desired
      ? { state: 'rolling-out', detail: moving.rollout.message }
      : { state: 'waiting-for-readiness', detail: moving.rollout.message };
  }
  const { ready, desired } = readyCounts(cluster);
  if (ready < desired) {
    return {
      state: 'degraded',
      detail: cluster.warnings[0]?.message ?? `${ready}/${desired}`,
    };
  }
  return { state: 'healthy' };
}

/**
 * A release's state in one cluster while it is followed: done, rolling out (new pods
 * still being created), waiting for readiness (all created, not all ready), or failed
 * with the release's reason once the release has ended without success.
 */
export function progressHealth(
  release: K2Release,
  progress: K2ReleaseClusterProgress,
): Health {
  if (progress.done) return { state: 'healthy' };
  if (release.status === 'failed' || release.status === 'timed-out') {
    return {
      state: 'failed',
      reason: release.reason ?? progress.message ?? release.status,
    };
  }
  return progress.updated < progress.replicas
    ? { state: 'rolling-out', detail: progress.message }
    : { state: 'waiting-for-readiness', detail: progress.message };
}

/** A health in words, in the user's language. */
export function healthLabel(health: Health, t: DeployT): string {
  switch (health.state) {
    case 'healthy':
      return t('health.healthy');
    case 'rolling-out':
      return t('health.rollingOut');
    case 'waiting-for-readiness':
      return t('health.waitingForReadiness');
    case 'failed':
      return t('health.failed', { reason: health.reason });
    case 'degraded':
      return t('health.degraded');
    case 'stale':
      return t('health.stale');
    default:
      return t('health.stopped');
  }
}

/** A health as a coloured status label; the detail (what holds it up) on hover. */
export function HealthStatus({ health }: { health: Health }) {
  const t = useDeployT();
  const label = healthLabel(health, t);
  const detail = 'detail' in health ? health.detail ?? '' : '';
  let status;
  switch (health.state) {
    case 'healthy':
      status = <StatusOK>{label}</StatusOK>;
      break;
    case 'rolling-out':
    case 'waiting-for-readiness':
      status = <StatusRunning>{label}</StatusRunning>;
      break;
    case 'failed':
      status = <StatusError>{label}</StatusError>;
      break;
    case 'degraded':
    case 'stale':
      status = <StatusWarning>{label}</StatusWarning>;
      break;
    default:
      status = <StatusAborted>{label}</StatusAborted>;
  }
  return (
    <Tooltip title={detail}>
      <span>{status}</span>
    </Tooltip>
  );
}
