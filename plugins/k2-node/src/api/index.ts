export { callerOf } from './callerOf';
export { createK2ApiRouter } from './createK2ApiRouter';
