export type { K2ServiceSpec, K2ServiceTarget } from './readServiceSpec';
export { readServiceSpec, isK2Service } from './readServiceSpec';
