export type {
  K2InstanceAddress,
  K2ResolvedInstance,
  K2ResolvedService,
} from './K2ServiceResolver';
export { K2ServiceResolver } from './K2ServiceResolver';
export { k2ServiceResolverServiceRef } from './service';
