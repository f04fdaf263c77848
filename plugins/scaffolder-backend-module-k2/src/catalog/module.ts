import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogLocationsExtensionPoint,
  catalogProcessingExtensionPoint,
} from '@backstage/plugin-catalog-node';
import { K2_TEMPLATE_LOCATION_TYPE } from '../catalogRegisterAction';
import { K2TemplateLocationProcessor } from './K2TemplateLocationProcessor';

/**
 * Catalog module: reads the `k2-template` locations `k2:catalog:register` registers,
 * checking their entities again at every read. A backend with the K2 scaffolder
 * module needs this one too, or the catalog cannot read what the action registers.
 */
export const catalogModuleK2TemplateLocations = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'k2-template-locations',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        locations: catalogLocationsExtensionPoint,
        reader: coreServices.urlReader,
      },
      async init({ catalog, locations, reader }) {
        // Backstage's default is url only; the catalog's own API then takes ours too
        // (registering any location stays catalog.location.create, an admin's).
        locations.setAllowedLocationTypes(['url', K2_TEMPLATE_LOCATION_TYPE]);
        catalog.addProcessor(new K2TemplateLocationProcessor({ reader }));
      },
    });
  },
});
