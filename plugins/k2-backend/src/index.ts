/**
 * K2's core backend plugin: the activity log and cluster health.
 *
 * @packageDocumentation
 */
export { k2Plugin as default } from './plugin';
