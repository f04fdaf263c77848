export type { K2ReleaseQuery, K2ReleaseResource } from './rules';
export { k2ReleaseResourceRef, k2ReleaseRules } from './rules';
