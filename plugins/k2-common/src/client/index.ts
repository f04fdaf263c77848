export { K2ApiError, requestFetch } from './K2ApiError';
export type { K2ApiClientOptions, K2ApiErrorBody } from './K2ApiError';
export { K2CoreClient } from './K2CoreClient';
