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
  K2DebugImage,
  K2ShellEndReason,
  K2ShellPolicy,
  K2ShellSession,
  K2ShellSessionList,
  K2ShellTicket,
} from './K2DeployClient';
