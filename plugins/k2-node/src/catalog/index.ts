export {
  K2ServiceIndex,
  DEFAULT_SERVICE_INDEX_REFRESH,
} from './K2ServiceIndex';
export { k2ServiceIndexServiceRef } from './service';
