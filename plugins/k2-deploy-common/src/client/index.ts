export { K2DeployClient } from './K2DeployClient';
export type {
  K2DeployAutoscaling,
  K2DeployClientOptions,
  K2DeployImageTags,
  K2DeployInstance,
  K2DeployRelease,
  K2DeployReleaseDefaults,
  K2DeployReleaseInput,
  K2DeployReleaseList,
  K2DeployReleasePreview,
  K2DeployService,
} from './K2DeployClient';
