import {
  K2_SECRET_MASK,
  K2ReleaseChange,
  K2ReleaseSpec,
} from '@internal/plugin-k2-common';

/**
 * A spec's values by path, one per leaf: variables keyed by name (`env.LOG_LEVEL`) and
 * clusters by name (`clusters.prod-a.replicas`), so a variable added in the middle
 * changes one path, not every one after it. A secret variable is its mask and version,
 * never a value. Mounts are keyed by their path in the container: a volume reads as
 * its name (`volumes./data`: `data`, with its subPath and `read-only` when set), a
 * config file as its name and version (`configFiles./app/application.yaml`:
 * `application.yaml v4`), so a new version is one change from v3 to v4. A bound
 * middleware's variable reads as its value or the Secret key it refers to, and its
 * instance (`bindings.REDIS_PASSWORD`: `secret k2-mw-cache/password (cache)`).
 */
function leaves(spec: K2ReleaseSpec): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: unknown, path: string) => {
    if (value === undefined) return;
    if (value === null || typeof value !== 'object') {
      out.set(path, String(value));
      return;
    }
    for (const key of Object.keys(value).sort()) {
      walk((value as Record<string, unknown>)[key], `${path}.${key}`);
    }
  };
  const { env, bindings, clusters, volumes, configFiles, ...rest } = spec;
  for (const key of Object.keys(rest).sort()) {
    walk((rest as Record<string, unknown>)[key], key);
  }
  for (const c of clusters) {
    walk({ replicas: c.replicas, weight: c.weight }, `clusters.${c.name}`);
  }
  for (const v of volumes) {
    out.set(
      `volumes.${v.mountPath}`,
      `${v.subPath ? `${v.volume}/${v.subPath}` : v.volume}${
        v.readOnly ? ' (read-only)' : ''
      }`,
    );
  }
  for (const c of configFiles) {
    out.set(`configFiles.${c.mountPath}`, `${c.file} v${c.version}`);
  }
  for (const e of env) {
    out.set(
      `env.${e.name}`,
      e.secret ? `${K2_SECRET_MASK} (secret, version ${e.version})` : e.value,
    );
  }
  for (const b of bindings ?? []) {
    out.set(
      `bindings.${b.name}`,
      `${
        b.secretKeyRef
          ? `secret ${b.secretKeyRef.name}/${b.secretKeyRef.key}`
          : b.value
      } (${b.instance})`,
    );
  }
  return out;
}

/**
 * What differs between the running release's spec and a new one, path by path in the
 * new spec's order (then paths only the running one has). Empty when the new spec is
 * the running one: releasing it is a redeploy.
 */
export function specChanges(
  before: K2ReleaseSpec | undefined,
  after: K2ReleaseSpec,
): K2ReleaseChange[] {
  const old = before ? leaves(before) : new Map<string, string>();
  const now = leaves(after);
  const changes: K2ReleaseChange[] = [];
  for (const [path, value] of now) {
    if (old.get(path) !== value) {
      changes.push({ path, before: old.get(path), after: value });
    }
  }
  for (const [path, value] of old) {
    if (!now.has(path)) changes.push({ path, before: value });
  }
  return changes;
}
