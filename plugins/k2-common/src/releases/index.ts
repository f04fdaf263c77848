export * from './types';
export * from './canaries';
