export {};
export { k2DeploySignalChannel } from './signals';
export type { K2DeploySignal } from './signals';
