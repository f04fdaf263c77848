import { K2_SECRET_MASK, K2Release } from '@internal/plugin-k2-common';
import { StoredClusterProgress, StoredRelease } from '../database/ReleaseStore';

/** A stored release as the API shows it: without the engine's bookkeeping. */
export function releaseView(
  release: StoredRelease,
  progress: StoredClusterProgress[] = release.progress,
): K2Release {
  const {
    template: _template,
    followUps: _followUps,
    followUpsDue: _followUpsDue,
    ...rest
  } = release;
  return {
    ...rest,
    // Secret values are never stored; masked again so no response could carry one.
    spec: {
      ...rest.spec,
      env: rest.spec.env.map(e =>
        e.secret ? { ...e, value: K2_SECRET_MASK } : e,
      ),
    },
    progress: progress.map(({ generation: _generation, ...p }) => p),
  };
}
