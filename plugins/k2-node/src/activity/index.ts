export type { K2ActivityLog } from './K2ActivityLog';
export {
  ACTIVITY_BATCH_MAX,
  HttpActivityLog,
  K2_CORE_PLUGIN_ID,
} from './K2ActivityLog';
export { k2ActivityLogServiceRef } from './service';
