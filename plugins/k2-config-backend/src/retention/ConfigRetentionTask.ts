import { LoggerService } from '@backstage/backend-plugin-api';
import { K2ServiceResolver } from '@internal/plugin-k2-node';
import {
  ConfigStore,
  RetentionCandidate,
  StoredConfigFile,
} from '../database/ConfigStore';
import { ConfigObjects } from '../objects/ConfigObjects';
import { ConfigMountIndex, ReleaseMounts } from '../mounts/ReleaseMounts';
import { ConfigRetention } from '../config/readConfigRetention';

/** What one retention pass did. */
export interface RetentionResult {
  /** Versions marked collected. */
  collected: number;
  /** Objects deleted from the clusters (each counted once, whatever the clusters). */
  objectsDeleted: number;
  /** Candidates kept because a current or retained release mounts their object. */
  mounted: number;
}

/**
 * Removes from the clusters the objects of old config file versions: beyond the newest
 * `keepVersions` of their file, older than `minAge`, and mounted by no current or
 * retained release (as the Deploy backend says; when it cannot say, nothing of that
 * service is removed). An object a kept version shares (same content) stays. The
 * version rows stay, marked collected, with their metadata and, for files that are not
 * sensitive, their content; restoring one writes its object again.
 */
export class ConfigRetentionTask {
  readonly #store: ConfigStore;
  readonly #objects: ConfigObjects;
  readonly #mounts: ReleaseMounts;
  readonly #resolver: K2ServiceResolver;
  readonly #retention: ConfigRetention;
  readonly #logger: LoggerService;

  constructor(options: {
    store: ConfigStore;
    objects: ConfigObjects;
    mounts: ReleaseMounts;
    resolver: K2ServiceResolver;
    retention: ConfigRetention;
    logger: LoggerService;
  }) {
    this.#store = options.store;
    this.#objects = options.objects;
    this.#mounts = options.mounts;
    this.#resolver = options.resolver;
    this.#retention = options.retention;
    this.#logger = options.logger;
  }

  async run(now = new Date()): Promise<RetentionResult> {
    const candidates = await this.#store.retentionCandidates({
      keepVersions: this.#retention.keepVersions,
      createdBefore: new Date(now.getTime() - this.#retention.minAgeMs),
    });
    const byFile = new Map<number, RetentionCandidate[]>();
    for (const c of candidates) {
      const group = byFile.get(c.file.id) ?? [];
      group.push(c);
      byFile.set(c.file.id, group);
    }
    // The Deploy backend is asked once per service and environment in a run.
    const mounts = new Map<string, Promise<ConfigMountIndex>>();
    const result: RetentionResult = {
      collected: 0,
      objectsDeleted: 0,
      mounted: 0,
    };
    for (const group of byFile.values()) {
      try {
        await this.#collect(group[0].file, group, result, mounts);
      } catch (error) {
        // One service's trouble (its clusters, the Deploy backend) leaves the others.
        this.#logger.warn(
          `Config retention skipped ${group[0].file.name} of ${group[0].file.service} in ${group[0].file.environment}: ${error}`,
        );
      }
    }
    return result;
  }

  async #collect(
    file: StoredConfigFile,
    candidates: RetentionCandidate[],
    result: RetentionResult,
    mountsOf: Map<string, Promise<ConfigMountIndex>>,
  ) {
    const resolved = await this.#resolver.service(file.service);
    const target = this.#resolver.target(resolved, file.environment);
    const key = `${resolved.ref}\n${file.environment}`;
    if (!mountsOf.has(key)) {
      mountsOf.set(
        key,
        this.#mounts.forService(resolved.ref, file.environment),
      );
    }
    const mounts = await mountsOf.get(key)!;
    const numbers = new Set(candidates.map(c => c.version.number));
    // Objects a version that stays (not a candidate, not collected) still holds.
    const kept = new Set(
      (await this.#store.allVersions(file.id))
        .filter(v => !numbers.has(v.number) && !v.collectedAt)
        .map(v => v.object),
    );
    const objects = new Map<
      string,
      { sensitive: boolean; versions: number[] }
    >();
    for (const { version } of candidates) {
      if (mounts.byObject(version.object).length > 0) {
        result.mounted += 1;
        continue;
      }
      if (kept.has(version.object)) continue;
      const entry = objects.get(version.object) ?? {
        sensitive: version.sensitive,
        versions: [],
      };
      entry.versions.push(version.number);
      objects.set(version.object, entry);
    }
    const clusters = target.clusters.map(c => c.name);
    for (const [object, { sensitive, versions }] of objects) {
      await this.#objects.remove(clusters, {
        namespace: target.namespace,
        sensitive,
        name: object,
      });
      await this.#store.markCollected(file.id, versions);
      result.objectsDeleted += 1;
      result.collected += versions.length;
    }
  }
}
