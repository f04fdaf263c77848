export {
  K2EnvironmentRegistry,
  declaredClusterNames,
} from './K2EnvironmentRegistry';
export {
  k2EnvironmentsServiceRef,
  k2EnvironmentsServiceFactory,
} from './service';
