export { LocalBuildRunner, DEFAULT_STORAGE_DIR } from './LocalBuildRunner';
export type { LocalBuildRunnerOptions } from './LocalBuildRunner';
