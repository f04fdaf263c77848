export { isBuildFinished, K2BuildsClient } from './K2BuildsClient';
export type {
  K2Build,
  K2BuildDockerfile,
  K2BuildInput,
  K2BuildLintProblem,
  K2BuildList,
  K2BuildSettings,
  K2BuildsClientOptions,
  K2BuildsService,
  K2BuildStatus,
  K2BuildWebhookResult,
} from './K2BuildsClient';
