import {
  K2_SECRET_MASK,
  K2Release,
  K2ReleaseSpec,
} from '@internal/plugin-k2-common';
import { StoredClusterProgress, StoredRelease } from '../database/ReleaseStore';

/**
 * A spec as a response may carry it: every secret variable's value is the mask.
 * Values are never stored; masked again so no response could carry one.
 */
export function maskedSpec(spec: K2ReleaseSpec): K2ReleaseSpec {
  return {
    ...spec,
    env: spec.env.map(e => (e.secret ? { ...e, value: K2_SECRET_MASK } : e)),
  };
}

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
    spec: maskedSpec(rest.spec),
    progress: progress.map(({ generation: _generation, ...p }) => p),
  };
}
