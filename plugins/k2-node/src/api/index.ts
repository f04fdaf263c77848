export { createK2ApiRouter } from './createK2ApiRouter';
