export { cloneAt, gitEnv, resolveRef } from './git';
export type { ResolvedRef, SourceHost } from './git';
export { normaliseRepositoryUrl, sourceOf } from './repositoryUrl';
export type { ServiceSource } from './repositoryUrl';
