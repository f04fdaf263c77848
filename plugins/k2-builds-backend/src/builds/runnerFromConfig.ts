import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { K2ClusterAccess } from '@internal/plugin-k2-node';
import { KubernetesBuildRunner } from '../runners/kubernetes';
import { LocalBuildRunner } from '../runners/local';
import { BuildRunner } from '../runners/types';
import { BuildsConfig } from '../config/readBuildsConfig';

/** The runner `k2.builds.runner` names. */
export function runnerFromConfig(options: {
  builds: BuildsConfig;
  config: Config;
  logger: LoggerService;
  access: K2ClusterAccess;
}): BuildRunner {
  const { config, logger, access } = options;
  return options.builds.runner === 'kubernetes'
    ? new KubernetesBuildRunner({ config, logger, access })
    : new LocalBuildRunner({ config, logger });
}
