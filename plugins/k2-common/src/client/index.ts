export { K2ApiError } from './K2ApiError';
export type { K2ApiClientOptions, K2ApiErrorBody } from './K2ApiError';
export { K2CoreClient } from './K2CoreClient';
