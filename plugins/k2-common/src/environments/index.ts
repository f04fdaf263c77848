export * from './types';
export {
  isDnsLabel,
  isNamespaceAllowed,
  isSystemNamespace,
  matchesNamespacePattern,
  SYSTEM_NAMESPACES,
} from './namespaces';
export * from './limits';
export {
  K2ConfigError,
  readEnvironmentModel,
  checkClusterReferences,
} from './readEnvironmentModel';
