import { Config } from '@backstage/config';
import { K2ConfigError } from '@internal/plugin-k2-common';
import { resolve } from 'node:path';

/** How an environment's rule groups reach its Prometheus. */
export type DeliveryConfig =
  | {
      type: 'files';
      /** Where the rule files go. */
      directory: string;
      /** Where the file_sd files of HTTP probe targets go. */
      probeDirectory: string;
    }
  | {
      type: 'prometheusRule';
      labels: Record<string, string>;
    };

/** One monitored environment, as `k2.alerts.environments.<name>` says. */
export interface MonitoredEnvironment {
  name: string;
  prometheusUrl: string;
  alertmanagerUrl?: string;
  /** host:port of the blackbox exporter. */
  blackboxAddress?: string;
  delivery: DeliveryConfig;
}

/** The rules part of `k2.alerts`. */
export interface AlertsRulesConfig {
  /** The promtool to check groups with; undefined: `promtool` on the PATH. */
  promtool?: string;
  environments: Map<string, MonitoredEnvironment>;
}

const LABEL_NAME =
  /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function url(config: Config, key: string, path: string): string {
  const value = config.getString(key);
  try {
    const parsed = new URL(value);
    if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error();
  } catch {
    throw new K2ConfigError(path, `'${value}' is not an http(s) URL`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * Reads `k2.alerts` (rules part) once at start. A `files` delivery's directories are
 * resolved against the backend's working directory; the probe directory defaults to
 * `<directory>/probes`, so nothing is ever written outside the configured directories.
 *
 * @throws K2ConfigError naming the key that is wrong
 */
export function readAlertsConfig(root: Config): AlertsRulesConfig {
  const alerts = root.getOptionalConfig('k2.alerts');
  const environments = new Map<string, MonitoredEnvironment>();
  const envs = alerts?.getOptionalConfig('environments');
  for (const name of envs?.keys() ?? []) {
    const env = envs!.getConfig(name);
    const base = `k2.alerts.environments.${name}`;
    const type = env.getString('delivery.type');
    let delivery: DeliveryConfig;
    if (type === 'files') {
      const directory = resolve(env.getString('delivery.directory'));
      delivery = {
        type,
        directory,
        probeDirectory: resolve(
          directory,
          env.getOptionalString('delivery.probeDirectory') ?? 'probes',
        ),
      };
    } else if (type === 'prometheusRule') {
      const labels: Record<string, string> = {};
      const labelConfig = env.getOptionalConfig('delivery.labels');
      for (const key of labelConfig?.keys() ?? []) {
        if (!LABEL_NAME.test(key)) {
          throw new K2ConfigError(
            `${base}.delivery.labels`,
            `'${key}' is not a Kubernetes label name`,
          );
        }
        labels[key] = labelConfig!.getString(key);
      }
      delivery = { type, labels };
    } else {
      throw new K2ConfigError(
        `${base}.delivery.type`,
        `must be 'files' or 'prometheusRule', not '${type}'`,
      );
    }
    environments.set(name, {
      name,
      prometheusUrl: url(env, 'prometheus.url', `${base}.prometheus.url`),
      ...(env.has('alertmanager.url')
        ? {
            alertmanagerUrl: url(
              env,
              'alertmanager.url',
              `${base}.alertmanager.url`,
            ),
          }
        : {}),
      ...(env.has('blackbox.address')
        ? { blackboxAddress: env.getString('blackbox.address') }
        : {}),
      delivery,
    });
  }
  return {
    promtool: alerts?.getOptionalString('promtool'),
    environments,
  };
}
