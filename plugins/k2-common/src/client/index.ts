export { K2ApiError } from './K2ApiError';
export type { K2ApiErrorBody } from './K2ApiError';
export { createK2ApiClient } from './createK2ApiClient';
export type { K2ApiClientOptions } from './createK2ApiClient';
export { K2CoreClient } from './K2CoreClient';
