import { K2Release } from '@internal/plugin-k2-common';
import { StoredClusterProgress, StoredRelease } from '../database/ReleaseStore';

/** A stored release as the API shows it: without the engine's bookkeeping. */
export function releaseView(
  release: StoredRelease,
  progress: StoredClusterProgress[] = release.progress,
): K2Release {
  const { template: _template, ...rest } = release;
  return {
    ...rest,
    progress: progress.map(({ generation: _generation, ...p }) => p),
  };
}
