export { K2TrafficClient } from './K2TrafficClient';
export type {
  K2TrafficBundle,
  K2TrafficClientOptions,
  K2TrafficClusterList,
  K2TrafficService,
  K2TrafficSite,
  K2TrafficSiteChange,
  K2TrafficSiteVersion,
  K2TrafficSiteVersionList,
  K2TrafficSiteVersionPair,
  K2TrafficSiteView,
  K2TrafficTemplateList,
} from './K2TrafficClient';
