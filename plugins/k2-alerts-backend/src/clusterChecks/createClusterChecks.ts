import {
  LifecycleService,
  LoggerService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import {
  K2ActionGate,
  K2ClusterAccess,
  K2EnvironmentRegistry,
} from '@internal/plugin-k2-node';
import { IncidentStore } from '../incidents/IncidentStore';
import { SignalServices, SignalSink } from '../signals/KubernetesSignals';
import { ClusterChecks } from './ClusterChecks';
import { ClusterChecksService } from './ClusterChecksService';
import { readClusterChecksConfig } from './readClusterChecksConfig';

/**
 * The cluster checks, wired: resumed from the store's firing check alerts at start,
 * then a scheduler task every `k2.alerts.clusterChecks.interval`. The task is local to
 * each backend replica, as its watch caches are; replicas write the same alerts,
 * which the store keeps once.
 */
export function createClusterChecks(deps: {
  config: RootConfigService;
  scheduler: SchedulerService;
  lifecycle: LifecycleService;
  logger: LoggerService;
  access: K2ClusterAccess;
  services: SignalServices;
  environments: K2EnvironmentRegistry;
  gate: K2ActionGate;
  incidentStore: IncidentStore;
  intake: SignalSink;
}): ClusterChecksService {
  const config = readClusterChecksConfig(deps.config);
  const checks = new ClusterChecks({
    ...deps,
    model: deps.environments.model,
    sink: deps.intake,
    platformSink: deps.incidentStore,
    pendingAfterMs: config.pendingAfterMs,
    diskFullPercent: config.diskFullPercent,
    intervalMs: config.intervalMs,
  });
  deps.lifecycle.addStartupHook(async () => {
    checks.resume(await deps.incidentStore.firing('kubernetes'));
    await deps.scheduler.scheduleTask({
      id: 'k2-alerts-cluster-checks',
      frequency: { milliseconds: config.intervalMs },
      timeout: { milliseconds: Math.max(config.intervalMs, 60_000) },
      scope: 'local',
      fn: () => checks.pass(),
    });
  });
  return new ClusterChecksService({
    checks,
    store: deps.incidentStore,
    gate: deps.gate,
    clusters: () => deps.access.listClusters().map(c => c.name),
  });
}
