export type { ActionAccess, ActionEntry, Caller } from './K2ActionGate';
export { actorOf, K2ActionGate } from './K2ActionGate';
export { k2ActionGateServiceRef } from './service';
