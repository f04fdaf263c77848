import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { K2ResolvedService, K2ServiceResolver } from '@internal/plugin-k2-node';
import { AlertsRulesConfig } from '../delivery/readAlertsConfig';
import { RuleTarget } from './compile';

/** The owning group's ref of a catalog entity, or '' when it names none. */
export function teamOf(service: K2ResolvedService): string {
  const owner = service.entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return '';
  return stringifyEntityRef(
    parseEntityRef(owner, {
      defaultKind: 'group',
      defaultNamespace: service.entity.metadata.namespace ?? 'default',
    }),
  );
}

/**
 * Where a service's alerts of one environment come from: its namespace, Deployment
 * and clusters there, and its team.
 *
 * @throws InputError when the service does not run in the environment, its identity
 * is not valid there, or the environment has no monitoring configured
 */
export function ruleTarget(
  resolver: K2ServiceResolver,
  config: AlertsRulesConfig,
  service: K2ResolvedService,
  environment: string,
): RuleTarget {
  const target = resolver.target(service, environment);
  if (target.identityProblem) throw new InputError(target.identityProblem);
  if (!config.environments.has(environment)) {
    throw new InputError(
      `Environment '${environment}' has no monitoring (k2.alerts.environments.${environment} is not configured); monitored: ${
        [...config.environments.keys()].join(', ') || 'none'
      }`,
    );
  }
  return {
    entityRef: service.ref,
    service: service.entity.metadata.name,
    environment,
    clusters: target.clusters.map(c => c.name),
    namespace: target.namespace,
    kubernetesId: service.spec.kubernetesId,
    team: teamOf(service),
  };
}
