import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { K2ConfigError } from '@internal/plugin-k2-common';
import { Caller, K2ServiceResolver } from '@internal/plugin-k2-node';
import type { components } from '@internal/plugin-k2-deploy-common';
import { ReleaseStore } from '../database/ReleaseStore';

/** A volume or config file version and the releases that mount it. */
export type MountUse = components['schemas']['MountUse'];

const RETAINED_KEY = 'k2.releases.retainedForRollback';

/**
 * How many releases per environment that succeeded K2 counts as retained for
 * rollback (`k2.releases.retainedForRollback`, default 10): what they mount is in use.
 *
 * @throws K2ConfigError naming the key when it is not a whole number of at least 1
 */
export function readRetainedForRollback(config: Config): number {
  const value = config.getOptionalNumber(RETAINED_KEY) ?? 10;
  if (!Number.isInteger(value) || value < 1) {
    throw new K2ConfigError(
      RETAINED_KEY,
      `must be a whole number of at least 1, got ${value}`,
    );
  }
  return value;
}

/**
 * What a service's releases mount: every volume and config file version that its
 * current release or a retained one (one a rollback can re-apply, or one waiting for
 * approval or in flight) mounts, so Storage and Config never delete what a release may
 * still apply. Items come per environment in name order; each lists its releases
 * newest first.
 */
export class ReleaseMounts {
  readonly #store: ReleaseStore;
  readonly #resolver: K2ServiceResolver;
  readonly #retained: number;
  readonly #authorizeRead: (service: string, caller: Caller) => Promise<void>;

  constructor(options: {
    store: ReleaseStore;
    resolver: K2ServiceResolver;
    retainedForRollback: number;
    authorizeRead: (service: string, caller: Caller) => Promise<void>;
  }) {
    this.#store = options.store;
    this.#resolver = options.resolver;
    this.#retained = options.retainedForRollback;
    this.#authorizeRead = options.authorizeRead;
  }

  /** @throws NotFoundError for a service the catalog does not hold */
  async list(ref: CompoundEntityRef, caller: Caller): Promise<MountUse[]> {
    const service = stringifyEntityRef(ref);
    await this.#authorizeRead(service, caller);
    await this.#resolver.service(ref);
    const releases = await this.#store.listRetained(service, this.#retained);
    // The current release of an environment is its newest that succeeded.
    const current = new Map<string, string>();
    for (const r of releases) {
      if (r.status === 'succeeded' && !current.has(r.environment)) {
        current.set(r.environment, r.id);
      }
    }
    const uses = new Map<string, MountUse>();
    const use = (key: string, item: Omit<MountUse, 'releases'>) => {
      let found = uses.get(key);
      if (!found) {
        found = { ...item, releases: [] };
        uses.set(key, found);
      }
      return found;
    };
    for (const r of releases) {
      const entry = {
        id: r.id,
        number: r.number,
        current: current.get(r.environment) === r.id,
      };
      const add = (item: MountUse) => {
        if (!item.releases.some(x => x.id === r.id)) item.releases.push(entry);
      };
      for (const v of r.spec.volumes) {
        add(
          use(`${r.environment}|volume|${v.volume}`, {
            environment: r.environment,
            kind: 'volume',
            name: v.volume,
          }),
        );
      }
      for (const c of r.spec.configFiles) {
        add(
          use(`${r.environment}|config|${c.file}|${c.version}`, {
            environment: r.environment,
            kind: 'config',
            name: c.file,
            version: c.version,
            object: c.object,
          }),
        );
      }
    }
    return [...uses.values()].sort(
      (a, b) =>
        a.environment.localeCompare(b.environment) ||
        a.kind.localeCompare(b.kind) ||
        a.name.localeCompare(b.name) ||
        (a.version ?? 0) - (b.version ?? 0),
    );
  }
}
