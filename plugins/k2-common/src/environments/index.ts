export * from './types';
export {
  isDnsLabel,
  isNamespaceAllowed,
  isSystemNamespace,
  matchesNamespacePattern,
  SYSTEM_NAMESPACES,
} from './namespaces';
export {
  K2ConfigError,
  readEnvironmentModel,
  checkClusterReferences,
} from './readEnvironmentModel';
