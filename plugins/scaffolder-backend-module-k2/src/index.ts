/**
 * K2's scaffolder actions.
 *
 * @packageDocumentation
 */
export { scaffolderModuleK2 as default } from './module';
export { createK2MiddlewareCreateAction } from './middlewareCreateAction';
export { createK2ReleaseAction } from './releaseAction';
export { createK2AlertsDefaultsAction } from './alertsDefaultsAction';
export { createK2BuildAction } from './buildAction';
export {
  createK2CatalogRegisterAction,
  K2_TEMPLATE_LOCATION_TYPE,
} from './catalogRegisterAction';
export { catalogModuleK2TemplateLocations } from './catalog/module';
export { K2TemplateLocationProcessor } from './catalog/K2TemplateLocationProcessor';
export { createK2PublishLocalGitAction } from './publishLocalGitAction';
export type { K2LocalGitOptions } from './publishLocalGitAction';
