/**
 * K2's Deploy tab: release, roll back, scale and restart a service from its page.
 *
 * @packageDocumentation
 */
export { k2DeployPlugin as default } from './plugin';
export { k2DeployApiRef } from './api/K2DeployApi';
export type { K2DeployApi, ServiceName } from './api/K2DeployApi';
export { K2DeployClient } from './api/K2DeployClient';
export { k2DeployTranslationRef, k2DeployTranslations } from './translation';
