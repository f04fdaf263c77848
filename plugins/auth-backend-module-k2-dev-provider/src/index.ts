/**
 * Development-only sign-in for K2: choose which demo catalog user you are.
 *
 * @packageDocumentation
 */
export { authModuleK2DevProvider as default } from './module';
