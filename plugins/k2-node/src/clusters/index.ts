export { K2ClusterRegistry } from './K2ClusterRegistry';
export type { K2Cluster } from './K2ClusterRegistry';
export { K2ClusterAccess, readWatchTiming } from './K2ClusterAccess';
export { ClusterCache } from './ClusterCache';
export type { ClusterChange } from './ClusterCache';
export { ObjectStore } from './ObjectStore';
export type { StoreChange } from './ObjectStore';
export {
  CONSISTENCY_CHECK_USER_AGENT,
  DEFAULT_WATCH_TIMING,
} from './Reflector';
export type { WatchTiming, ReflectorCounters } from './Reflector';
export { KubeApiError } from './ClusterClient';
export type { KubeletFsStats, KubeletNodeSummary } from './kubeletSummary';
export {
  WATCHED_RESOURCES,
  involvedKey,
  middlewareKey,
  objectIndexKeys,
  serviceKeys,
  trimObject,
} from './resources';
export type {
  KubeObject,
  WatchedResource,
  WatchedResourceName,
} from './resources';
export {
  k2ClusterAccessServiceRef,
  k2ClusterAccessServiceFactory,
} from './service';
export { K2RemoteCommand } from './RemoteCommand';
export type { K2RemoteCommandEnd } from './RemoteCommand';
