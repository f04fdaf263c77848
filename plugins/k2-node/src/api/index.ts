export { callerOf } from './callerOf';
export { createK2ApiRouter } from './createK2ApiRouter';
export { k2PluginFetch } from './k2PluginFetch';
