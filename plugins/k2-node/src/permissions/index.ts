export { createK2ApprovalRules } from './approvalRules';
export type { K2ApprovableChange, K2ApprovalQuery } from './approvalRules';
