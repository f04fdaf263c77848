export { K2DeployClient, K2DeployError } from './K2DeployClient';
export type {
  K2DeployAutoscaling,
  K2DeployClientOptions,
  K2DeployErrorBody,
  K2DeployInstance,
  K2DeployRelease,
  K2DeployReleaseInput,
  K2DeployReleaseList,
  K2DeployService,
} from './K2DeployClient';
