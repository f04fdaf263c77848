import { RootConfigService } from '@backstage/backend-plugin-api';
import { K2ActionGate, K2ServiceResolver } from '@internal/plugin-k2-node';
import { readAlertsConfig } from '../delivery/readAlertsConfig';
import { readMaxSilenceMs, SilenceService } from './SilenceService';

/**
 * The silences of services, through the Alertmanager of each environment under
 * `k2.alerts.environments` that has one, bounded by `k2.alerts.silences.maxDuration`.
 */
export function createSilenceService(deps: {
  config: RootConfigService;
  gate: K2ActionGate;
  resolver: K2ServiceResolver;
}) {
  return new SilenceService({
    ...deps,
    config: readAlertsConfig(deps.config),
    maxSilenceMs: readMaxSilenceMs(deps.config),
  });
}
