import { K2ReleaseSpec } from '@internal/plugin-k2-common';

/**
 * A stored release spec as the engine reads it. Specs recorded before releases could
 * mount volumes and config files lack those lists; they mounted nothing.
 */
export function parseReleaseSpec(json: string): K2ReleaseSpec {
  const spec = JSON.parse(json);
  return {
    ...spec,
    volumes: spec.volumes ?? [],
    configFiles: spec.configFiles ?? [],
  };
}
