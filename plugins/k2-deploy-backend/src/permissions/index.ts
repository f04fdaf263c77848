export type { K2ReleaseQuery, K2ReleaseResource } from './rules';
export {
  createK2ReleaseConditionalDecision,
  k2ReleaseConditions,
  k2ReleaseResourceRef,
  k2ReleaseRules,
} from './rules';
