export * from './types';
export {
  K2ConfigError,
  readEnvironmentModel,
  checkClusterReferences,
} from './readEnvironmentModel';
