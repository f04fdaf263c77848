import { K2AlertsService } from '../api/K2AlertsApi';

/** An environment of the service as the tab lists it (name and configured title). */
export interface AlertsEnvironment {
  name: string;
  title: string;
}

/**
 * What every sub-view of the Alerts tab works on: the service, its environments in
 * the order its annotation names them, and what the signed-in user may do. A refusal
 * is the reason shown on the disabled control; undefined means allowed.
 */
export interface AlertsScope {
  service: K2AlertsService;
  environments: AlertsEnvironment[];
  rights: {
    manageRefusal?: string;
    promqlRefusal?: string;
  };
}

/** The environment's configured title, or its name when it has none. */
export function environmentTitle(
  environments: AlertsEnvironment[],
  name: string,
): string {
  return environments.find(e => e.name === name)?.title ?? name;
}
