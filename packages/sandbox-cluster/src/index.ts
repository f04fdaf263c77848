/**
 * The K2 sandbox cluster: a local Kubernetes API with simulated controllers, for the
 * development start, tests and benchmarks. A development and test tool only.
 *
 * @packageDocumentation
 */
export { SandboxCluster } from './cluster';
export type { SandboxClusterOptions } from './cluster';
export { Sandbox, loopbackClustersFromConfig, readEntities } from './sandbox';
export type { ServedCluster } from './sandbox';
export { seedRunningDeployment } from './seed/demo';
export type { SeededWorkload } from './seed/demo';
export { seedBulk } from './seed/bulk';
export {
  DOCKER_REGISTRY,
  hasDockerRegistry,
  pushImageTags,
  startLocalRegistry,
  startLocalTokenService,
} from './registry/localRegistry';
export type {
  LocalRegistry,
  LocalRegistryAuth,
  LocalTokenService,
} from './registry/localRegistry';
export { freePort } from './ports';
export type { FaultSpec } from './server/faults';
export type { KubeObject } from './api/types';
export {
  ANNOTATION_FAILURE,
  ANNOTATION_READY_AFTER,
  ANNOTATION_CRASH_AFTER,
  ANNOTATION_OOM_AFTER,
  ANNOTATION_RUN_SECONDS,
} from './kubelet/kubelet';
