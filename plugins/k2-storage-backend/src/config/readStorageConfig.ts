import { Config } from '@backstage/config';
import {
  K2ConfigError,
  K2EnvironmentModel,
  parseMemoryBytes,
} from '@internal/plugin-k2-common';

export type StorageKind = 'nfs' | 'cephfs' | 'block';
export type AccessMode =
  | 'ReadWriteOnce'
  | 'ReadOnlyMany'
  | 'ReadWriteMany'
  | 'ReadWriteOncePod';

/** A class an environment offers, as configured. */
export interface OfferedClass {
  name: string;
  label: string;
  kind: StorageKind;
  accessModes: AccessMode[];
}

/** `k2.storage`, validated. */
export interface StorageConfig {
  minSize: string;
  minBytes: number;
  maxSize: string;
  maxBytes: number;
  /** By environment; an environment not here offers nothing. */
  classes: Map<string, OfferedClass[]>;
}

const KINDS: StorageKind[] = ['nfs', 'cephfs', 'block'];
const ACCESS_MODES: AccessMode[] = [
  'ReadWriteOnce',
  'ReadOnlyMany',
  'ReadWriteMany',
  'ReadWriteOncePod',
];
const DEFAULT_MODES: Record<StorageKind, AccessMode[]> = {
  nfs: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'],
  cephfs: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'],
  block: ['ReadWriteOnce'],
};
const CLASS_NAME = /^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/;

/** Runs a config getter, re-throwing its error as one that names the key. */
function read<T>(key: string, get: () => T): T {
  try {
    return get();
  } catch (error) {
    if (error instanceof K2ConfigError) throw error;
    throw new K2ConfigError(key, (error as Error).message);
  }
}

function size(config: Config | undefined, key: string, fallback: string) {
  const text =
    read(`k2.storage.${key}`, () => config?.getOptionalString(key)) ?? fallback;
  const bytes = parseMemoryBytes(text);
  if (bytes === undefined || bytes <= 0) {
    throw new K2ConfigError(
      `k2.storage.${key}`,
      `'${text}' is not a positive quantity of bytes, e.g. 1Gi`,
    );
  }
  return { text, bytes };
}

/**
 * Reads `k2.storage`: the size limits and, per environment of the model, the classes
 * offered there.
 *
 * @throws K2ConfigError naming the key that is wrong
 */
export function readStorageConfig(
  root: Config,
  model: K2EnvironmentModel,
): StorageConfig {
  const config = root.getOptionalConfig('k2.storage');
  const min = size(config, 'minSize', '1Gi');
  const max = size(config, 'maxSize', '1Ti');
  if (max.bytes < min.bytes) {
    throw new K2ConfigError(
      'k2.storage.maxSize',
      `'${max.text}' is smaller than minSize '${min.text}'`,
    );
  }
  const classes = new Map<string, OfferedClass[]>();
  const environments = config?.getOptionalConfig('environments');
  for (const environment of environments?.keys() ?? []) {
    const at = `k2.storage.environments.${environment}`;
    if (!model.environments.some(e => e.name === environment)) {
      throw new K2ConfigError(
        at,
        `'${environment}' is not an environment of k2.environments`,
      );
    }
    const entries = read(`${at}.classes`, () =>
      environments!.getConfig(environment).getConfigArray('classes'),
    );
    const seen = new Set<string>();
    classes.set(
      environment,
      entries.map((entry, index) => {
        const key = `${at}.classes[${index}]`;
        const name = read(`${key}.name`, () => entry.getString('name'));
        if (!CLASS_NAME.test(name)) {
          throw new K2ConfigError(
            `${key}.name`,
            `'${name}' is not a StorageClass name (a lowercase DNS subdomain)`,
          );
        }
        if (seen.has(name)) {
          throw new K2ConfigError(`${key}.name`, `'${name}' is listed twice`);
        }
        seen.add(name);
        const kind = read(`${key}.kind`, () =>
          entry.getString('kind'),
        ) as StorageKind;
        if (!KINDS.includes(kind)) {
          throw new K2ConfigError(
            `${key}.kind`,
            `'${kind}' must be one of ${KINDS.join(', ')}`,
          );
        }
        const modes = (read(`${key}.accessModes`, () =>
          entry.getOptionalStringArray('accessModes'),
        ) ?? DEFAULT_MODES[kind]) as AccessMode[];
        for (const mode of modes) {
          if (!ACCESS_MODES.includes(mode)) {
            throw new K2ConfigError(
              `${key}.accessModes`,
              `'${mode}' must be one of ${ACCESS_MODES.join(', ')}`,
            );
          }
        }
        if (modes.length === 0) {
          throw new K2ConfigError(`${key}.accessModes`, 'names no access mode');
        }
        return {
          name,
          label:
            read(`${key}.label`, () => entry.getOptionalString('label')) ??
            name,
          kind,
          accessModes: modes,
        };
      }),
    );
  }
  return {
    minSize: min.text,
    minBytes: min.bytes,
    maxSize: max.text,
    maxBytes: max.bytes,
    classes,
  };
}
