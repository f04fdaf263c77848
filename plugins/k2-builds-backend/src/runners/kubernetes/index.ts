export { KubernetesBuildRunner } from './KubernetesBuildRunner';
export type { BuildPlacement } from './KubernetesBuildRunner';
export {
  buildJobName,
  LABEL_BUILD_ID,
  ownedBy,
  pushReferenceOf,
  renderBuildJob,
  validateBuildObjects,
} from './renderBuildJob';
export type {
  BuildRegistry,
  BuildSourceAuth,
  RenderBuildJobOptions,
  RenderedBuild,
} from './renderBuildJob';
export {
  DEFAULT_KUBERNETES_BUILD_SETTINGS,
  readKubernetesBuildSettings,
} from './settings';
export type { KubernetesBuildSettings } from './settings';
