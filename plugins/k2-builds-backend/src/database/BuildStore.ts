import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { isoTimestamp, isUniqueViolation } from '@internal/plugin-k2-node';
import type {
  K2BuildLintProblem,
  K2BuildStatus,
} from '@internal/plugin-k2-builds-common';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';

/** Where the plugin's knex migrations live. */
export const MIGRATIONS = resolvePackagePath(
  '@internal/plugin-k2-builds-backend',
  'migrations',
);

/** A chunk of a log holds at most this many bytes. */
export const LOG_CHUNK_BYTES = 64 * 1024;
/** A build's log holds at most this many bytes, then one line saying the rest was cut. */
export const MAX_LOG_BYTES = 10 * 1024 * 1024;
/** What ends a log that reached {@link MAX_LOG_BYTES}. */
export const LOG_TRUNCATED_LINE = `\n[k2] The log reached ${
  MAX_LOG_BYTES / 1024 / 1024
} MiB; the rest of the build's output is not kept.\n`;

/** At most this many services are asked about in one query of {@link BuildStore.servicesWithImagesIn}. */
export const MAX_SERVICES_ASKED = 500;

/**
 * The longest repository key (`k2_builds.source_key`) a build records; a build plan
 * refuses a source location whose key is longer.
 */
export const MAX_SOURCE_KEY_LENGTH = 1000;

/** `value` matched literally by `LIKE … ESCAPE` with a backslash. */
const escapeLike = (value: string) => value.replace(/[\\%_]/g, '\\$&');

export type BuildTrigger = 'ui' | 'scaffolder' | 'webhook';
export type BuildRunnerKind = 'local' | 'kubernetes';
export type DockerfileSource = 'generated' | 'repository';

/** Statuses a build ends in; it never changes again. */
export const FINISHED_STATUSES: ReadonlyArray<K2BuildStatus> = [
  'succeeded',
  'failed',
  'cancelled',
  'timed-out',
  'superseded',
];

/** A build as stored. */
export interface StoredBuild {
  id: string;
  /** Lowercased entity ref. */
  service: string;
  number: number;
  ref: string;
  commit?: string;
  commitMessage?: string;
  trigger: BuildTrigger;
  triggeredBy: string;
  deliveryId?: string;
  status: K2BuildStatus;
  reason?: string;
  runner: BuildRunnerKind;
  cluster?: string;
  jobName?: string;
  image: string;
  imageDigest?: string;
  /** The repository cloned, normalised (`sourceOf(entity).key`); none for builds from before it was recorded. */
  sourceKey?: string;
  dockerfileSource: DockerfileSource;
  dockerfilePath?: string;
  dockerfileTemplate?: string;
  dockerfile?: string;
  dockerfileProblems?: K2BuildLintProblem[];
  releaseTo?: string;
  release?: { id: string; number: number; environment: string };
  cancelRequestedAt?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  logBytes: number;
  logTruncated: boolean;
}

/** What a new build is made of; the store gives it its id and number. */
export interface NewBuild {
  service: string;
  ref: string;
  commit: string;
  commitMessage?: string;
  trigger: BuildTrigger;
  triggeredBy: string;
  deliveryId?: string;
  runner: BuildRunnerKind;
  image: string;
  /** The repository the build clones, normalised (`sourceOf(entity).key`), at most {@link MAX_SOURCE_KEY_LENGTH} characters. */
  sourceKey: string;
  dockerfileSource: DockerfileSource;
  dockerfilePath?: string;
  dockerfileTemplate?: string;
  releaseTo?: string;
}

/** Fields a build's later steps set. */
export interface BuildPatch {
  status?: K2BuildStatus;
  reason?: string | null;
  cluster?: string;
  jobName?: string;
  imageDigest?: string;
  dockerfile?: string;
  dockerfileProblems?: K2BuildLintProblem[];
  release?: { id: string; number: number };
  startedAt?: string;
  finishedAt?: string;
}

/** A page of a log read from a byte offset. */
export interface LogSlice {
  text: string;
  /** The offset after the text: where the next read starts. */
  nextOffset: number;
}

/** Builds, their logs and the webhook deliveries received. */
export interface BuildStore {
  createBuild(build: NewBuild): Promise<StoredBuild>;
  getBuild(id: string): Promise<StoredBuild | undefined>;
  getBuildByNumber(
    service: string,
    number: number,
  ): Promise<StoredBuild | undefined>;
  /**
   * Creates the build unless a build of its service and ref is queued, which is
   * answered instead (the oldest; `created` false). Two requests racing for the same
   * service and ref create one build: the check and the insert are one transaction,
   * and the loser of the service's next number retries and finds the winner's build.
   */
  queueUnlessQueued(
    build: NewBuild,
  ): Promise<{ build: StoredBuild; created: boolean }>;
  /** Newest first; `before` a number. */
  listBuilds(
    service: string,
    page: { limit: number; before?: number },
  ): Promise<{ items: StoredBuild[]; total: number }>;
  /**
   * Moves queued builds to `running`, oldest first, while fewer than `concurrency` of
   * the runner's builds run, never a second one of a service. Compare-and-set: another
   * replica claiming the same row gets nothing. A claimed build's heartbeat starts.
   * A build `leave` answers true for stays queued, and its service's later builds wait
   * behind it.
   */
  claimQueued(
    runner: BuildRunnerKind,
    concurrency: number,
    leave?: (build: StoredBuild) => boolean,
  ): Promise<StoredBuild[]>;
  /** The replica running the build is alive (false: the build is no longer running). */
  heartbeat(id: string): Promise<boolean>;
  /**
   * Takes over the runner's `running` builds whose heartbeat is older than
   * `staleBefore` (their replica stopped), renewing it. Compare-and-set: a build
   * another replica took over meanwhile is not answered.
   */
  claimAbandoned(
    runner: BuildRunnerKind,
    staleBefore: Date,
  ): Promise<StoredBuild[]>;
  /**
   * Sets `patch` when the build's status is one of `from`; false when it is not (the
   * build moved on meanwhile).
   */
  transition(
    id: string,
    from: ReadonlyArray<K2BuildStatus>,
    patch: BuildPatch,
  ): Promise<boolean>;
  /**
   * Which of `services` (lower-case entity refs; asked about
   * {@link MAX_SERVICES_ASKED} a query) have a succeeded build whose image is
   * in `repository` (`registry/path`, the registry host compared in any letter case;
   * the tag or digest after it ignored): the services that already pushed there.
   */
  servicesWithImagesIn(
    repository: string,
    services: ReadonlyArray<string>,
  ): Promise<Set<string>>;
  /**
   * Which of `services` (lower-case entity refs; asked about
   * {@link MAX_SERVICES_ASKED} a query) have a succeeded build that cloned the
   * repository `sourceKey` (normalised, compared exactly): the services already built
   * from it. Builds from before the repository was recorded count for none.
   */
  servicesWithBuildsFrom(
    sourceKey: string,
    services: ReadonlyArray<string>,
  ): Promise<Set<string>>;
  /** Marks the service's older queued builds of `ref` superseded by build `by`. */
  supersede(service: string, ref: string, by: StoredBuild): Promise<number>;
  /**
   * Records that a running build is to stop, and why (its `reason` from now on); the
   * replica running it sees it. The first request wins; a build that is not running
   * (it ended meanwhile) is left as it is.
   */
  requestCancel(id: string, reason: string): Promise<void>;
  /**
   * Appends to the log, in chunks of at most {@link LOG_CHUNK_BYTES}, up to
   * {@link MAX_LOG_BYTES}; the write that reaches it is cut and followed by
   * {@link LOG_TRUNCATED_LINE}, and later writes are dropped.
   */
  appendLog(
    id: string,
    text: string,
  ): Promise<{ logBytes: number; logTruncated: boolean }>;
  /** The log from byte `offset` on, at most about `maxBytes`. */
  readLog(id: string, offset: number, maxBytes?: number): Promise<LogSlice>;
  /** Deletes the logs of builds that finished before `before`; the rows stay. */
  deleteLogsFinishedBefore(before: Date): Promise<number>;
  /** True the first time a delivery id is seen, false after. */
  recordDelivery(deliveryId: string, at?: Date): Promise<boolean>;
  /** Forgets a delivery that could not be acted on, so a redelivery is. */
  forgetDelivery(deliveryId: string): Promise<void>;
  pruneDeliveries(before: Date): Promise<number>;
}

interface BuildRow {
  id: string;
  service: string;
  number: number;
  ref: string;
  commit: string | null;
  commit_message: string | null;
  trigger: BuildTrigger;
  triggered_by: string;
  delivery_id: string | null;
  status: K2BuildStatus;
  reason: string | null;
  runner: BuildRunnerKind;
  cluster: string | null;
  job_name: string | null;
  image: string;
  image_digest: string | null;
  source_key: string | null;
  dockerfile_source: DockerfileSource;
  dockerfile_path: string | null;
  dockerfile_template: string | null;
  dockerfile: string | null;
  dockerfile_problems: string | null;
  release_to: string | null;
  release_id: string | null;
  release_number: number | null;
  cancel_requested_at: Date | string | null;
  heartbeat_at: Date | string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  log_bytes: number | string;
  log_truncated: boolean | number;
}

const opt = <T>(value: T | null): T | undefined =>
  value === null ? undefined : value;

function toBuild(row: BuildRow): StoredBuild {
  return {
    id: row.id,
    service: row.service,
    number: Number(row.number),
    ref: row.ref,
    commit: opt(row.commit),
    commitMessage: opt(row.commit_message),
    trigger: row.trigger,
    triggeredBy: row.triggered_by,
    deliveryId: opt(row.delivery_id),
    status: row.status,
    reason: opt(row.reason),
    runner: row.runner,
    cluster: opt(row.cluster),
    jobName: opt(row.job_name),
    image: row.image,
    imageDigest: opt(row.image_digest),
    sourceKey: opt(row.source_key),
    dockerfileSource: row.dockerfile_source,
    dockerfilePath: opt(row.dockerfile_path),
    dockerfileTemplate: opt(row.dockerfile_template),
    dockerfile: opt(row.dockerfile),
    dockerfileProblems:
      row.dockerfile_problems === null
        ? undefined
        : JSON.parse(row.dockerfile_problems),
    releaseTo: opt(row.release_to),
    release:
      row.release_id !== null && row.release_to !== null
        ? {
            id: row.release_id,
            number: Number(row.release_number),
            environment: row.release_to,
          }
        : undefined,
    cancelRequestedAt: isoTimestamp(row.cancel_requested_at),
    createdAt: isoTimestamp(row.created_at),
    startedAt: isoTimestamp(row.started_at),
    finishedAt: isoTimestamp(row.finished_at),
    logBytes: Number(row.log_bytes),
    // SQLite stores booleans as 0 and 1.
    logTruncated: Boolean(row.log_truncated),
  };
}

function toRow(patch: BuildPatch): Partial<BuildRow> {
  const row: Partial<BuildRow> = {};
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.reason !== undefined) row.reason = patch.reason;
  if (patch.cluster !== undefined) row.cluster = patch.cluster;
  if (patch.jobName !== undefined) row.job_name = patch.jobName;
  if (patch.imageDigest !== undefined) row.image_digest = patch.imageDigest;
  if (patch.dockerfile !== undefined) row.dockerfile = patch.dockerfile;
  if (patch.dockerfileProblems !== undefined) {
    row.dockerfile_problems = JSON.stringify(patch.dockerfileProblems);
  }
  if (patch.release !== undefined) {
    row.release_id = patch.release.id;
    row.release_number = patch.release.number;
  }
  if (patch.startedAt !== undefined)
    row.started_at = new Date(patch.startedAt).toISOString();
  if (patch.finishedAt !== undefined) {
    row.finished_at = new Date(patch.finishedAt).toISOString();
  }
  return row;
}

/** Cuts `text` to at most `bytes` UTF-8 bytes without splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  let end = bytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls between characters.
  while (end > 0 && (buffer[end] & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString('utf8');
}

/** Splits `text` into pieces of at most `bytes` UTF-8 bytes each. */
function splitToBytes(text: string, bytes: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest, 'utf8') > bytes) {
    const piece = cutToBytes(rest, bytes);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}

/** The plugin's database, migrated. */
export interface PluginDatabase {
  database: Pick<DatabaseService, 'getClient'> &
    Partial<Pick<DatabaseService, 'migrations'>>;
}

/** The knex client, migrated to the latest schema unless migrations are skipped. */
export async function migrate(options: PluginDatabase): Promise<Knex> {
  const knex = await options.database.getClient();
  if (!options.database.migrations?.skip) {
    await knex.migrate.latest({ directory: MIGRATIONS });
  }
  return knex;
}

/** {@link BuildStore} on knex: PostgreSQL in production, SQLite in development and tests. */
export class DatabaseBuildStore implements BuildStore {
  static async create(options: PluginDatabase): Promise<DatabaseBuildStore> {
    return new DatabaseBuildStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async createBuild(build: NewBuild): Promise<StoredBuild> {
    return (await this.#insert(build, false)).build;
  }

  queueUnlessQueued(
    build: NewBuild,
  ): Promise<{ build: StoredBuild; created: boolean }> {
    return this.#insert(build, true);
  }

  async #insert(
    build: NewBuild,
    unlessQueued: boolean,
  ): Promise<{ build: StoredBuild; created: boolean }> {
    // The number is the service's highest plus one; two requests racing for it lose
    // one insert to the unique index and try again, and a retry of a build that must
    // not queue twice then finds the winner's build of the ref.
    for (let attempt = 0; ; attempt++) {
      try {
        const id = randomUUID();
        const queued = await this.knex.transaction(async tx => {
          const { max } = (await tx('k2_builds')
            .where({ service: build.service })
            .max({ max: 'number' })
            .first()) as { max: number | string | null };
          // Read after the number: a build committed since is seen here, and one not
          // yet committed takes the same number, so one of the two inserts fails.
          if (unlessQueued) {
            const row = await tx<BuildRow>('k2_builds')
              .where({ service: build.service, ref: build.ref })
              .where({ status: 'queued' })
              .orderBy('number', 'asc')
              .first();
            if (row) return toBuild(row);
          }
          await tx('k2_builds').insert({
            id,
            service: build.service,
            number: Number(max ?? 0) + 1,
            ref: build.ref,
            commit: build.commit,
            commit_message: build.commitMessage ?? null,
            trigger: build.trigger,
            triggered_by: build.triggeredBy,
            delivery_id: build.deliveryId ?? null,
            status: 'queued',
            runner: build.runner,
            image: build.image,
            source_key: build.sourceKey,
            dockerfile_source: build.dockerfileSource,
            dockerfile_path: build.dockerfilePath ?? null,
            dockerfile_template: build.dockerfileTemplate ?? null,
            release_to: build.releaseTo ?? null,
            created_at: new Date().toISOString(),
            log_bytes: 0,
            log_truncated: false,
          });
          return undefined;
        });
        if (queued) return { build: queued, created: false };
        return { build: (await this.getBuild(id))!, created: true };
      } catch (error) {
        if (isUniqueViolation(error) && attempt < 5) continue;
        throw error;
      }
    }
  }

  async getBuild(id: string): Promise<StoredBuild | undefined> {
    const row = await this.knex<BuildRow>('k2_builds').where({ id }).first();
    return row && toBuild(row);
  }

  async getBuildByNumber(
    service: string,
    number: number,
  ): Promise<StoredBuild | undefined> {
    const row = await this.knex<BuildRow>('k2_builds')
      .where({ service, number })
      .first();
    return row && toBuild(row);
  }

  async listBuilds(
    service: string,
    page: { limit: number; before?: number },
  ): Promise<{ items: StoredBuild[]; total: number }> {
    const query = this.knex<BuildRow>('k2_builds').where({ service });
    if (page.before !== undefined) query.where('number', '<', page.before);
    const rows = await query.orderBy('number', 'desc').limit(page.limit);
    const { count } = (await this.knex('k2_builds')
      .where({ service })
      .count({ count: '*' })
      .first()) as { count: number | string };
    return { items: rows.map(toBuild), total: Number(count) };
  }

  async claimQueued(
    runner: BuildRunnerKind,
    concurrency: number,
    leave?: (build: StoredBuild) => boolean,
  ): Promise<StoredBuild[]> {
    const running = await this.knex<BuildRow>('k2_builds')
      .where({ status: 'running', runner })
      .select('service');
    const busy = new Set(running.map(r => r.service));
    let free = concurrency - running.length;
    if (free <= 0) return [];
    const queued = await this.knex<BuildRow>('k2_builds')
      .where({ status: 'queued', runner })
      .orderBy('created_at', 'asc')
      .orderBy('number', 'asc')
      .limit(100);
    const claimed: StoredBuild[] = [];
    for (const row of queued) {
      if (free <= 0) break;
      if (busy.has(row.service)) continue;
      busy.add(row.service);
      if (leave?.(toBuild(row))) continue;
      const now = new Date().toISOString();
      const won = await this.knex('k2_builds')
        .where({ id: row.id, status: 'queued' })
        .update({ status: 'running', started_at: now, heartbeat_at: now });
      if (won === 1) {
        free--;
        claimed.push((await this.getBuild(row.id))!);
      }
    }
    return claimed;
  }

  async heartbeat(id: string): Promise<boolean> {
    const updated = await this.knex('k2_builds')
      .where({ id, status: 'running' })
      .update({ heartbeat_at: new Date().toISOString() });
    return updated === 1;
  }

  async claimAbandoned(
    runner: BuildRunnerKind,
    staleBefore: Date,
  ): Promise<StoredBuild[]> {
    const rows = await this.knex<BuildRow>('k2_builds')
      .where({ status: 'running', runner })
      .where(q =>
        q
          .whereNull('heartbeat_at')
          .orWhere('heartbeat_at', '<', staleBefore.toISOString()),
      )
      .orderBy('created_at', 'asc');
    const claimed: StoredBuild[] = [];
    for (const row of rows) {
      // The heartbeat read is the compare: a replica that took the build over (or
      // the one running it, beating again) changed it.
      const query = this.knex('k2_builds').where({
        id: row.id,
        status: 'running',
      });
      if (row.heartbeat_at === null) query.whereNull('heartbeat_at');
      else query.where('heartbeat_at', row.heartbeat_at);
      const won = await query.update({
        heartbeat_at: new Date().toISOString(),
      });
      if (won === 1) claimed.push((await this.getBuild(row.id))!);
    }
    return claimed;
  }

  async transition(
    id: string,
    from: ReadonlyArray<K2BuildStatus>,
    patch: BuildPatch,
  ): Promise<boolean> {
    const updated = await this.knex('k2_builds')
      .where({ id })
      .whereIn('status', from as K2BuildStatus[])
      .update(toRow(patch));
    return updated === 1;
  }

  async servicesWithImagesIn(
    repository: string,
    services: ReadonlyArray<string>,
  ): Promise<Set<string>> {
    // Images are stored as the annotation wrote them (`Registry.Example/team/app:tag`):
    // compared in lower case (the path and `:`/`@` are lower case already), with LIKE's
    // wildcards in the repository taken literally.
    const prefix = escapeLike(repository.toLocaleLowerCase('en-US'));
    return this.#servicesWithSucceededBuilds(services, query =>
      query.where(images =>
        images
          .whereRaw(`lower(image) like ? escape '\\'`, [`${prefix}:%`])
          .orWhereRaw(`lower(image) like ? escape '\\'`, [`${prefix}@%`]),
      ),
    );
  }

  async servicesWithBuildsFrom(
    sourceKey: string,
    services: ReadonlyArray<string>,
  ): Promise<Set<string>> {
    return this.#servicesWithSucceededBuilds(services, query =>
      query.where({ source_key: sourceKey }),
    );
  }

  /**
   * Which of `services` have a succeeded build that `narrow` keeps, asked about
   * {@link MAX_SERVICES_ASKED} a query; the service index bounds the rows read to
   * those services' builds.
   */
  async #servicesWithSucceededBuilds(
    services: ReadonlyArray<string>,
    narrow: (query: Knex.QueryBuilder) => Knex.QueryBuilder,
  ): Promise<Set<string>> {
    const unique = [...new Set(services)];
    const found = new Set<string>();
    for (let i = 0; i < unique.length; i += MAX_SERVICES_ASKED) {
      const rows: Array<{ service: string }> = await narrow(
        this.knex('k2_builds')
          .distinct('service')
          .whereIn('service', unique.slice(i, i + MAX_SERVICES_ASKED))
          .where({ status: 'succeeded' }),
      );
      for (const row of rows) found.add(row.service);
    }
    return found;
  }

  async supersede(
    service: string,
    ref: string,
    by: StoredBuild,
  ): Promise<number> {
    return this.knex('k2_builds')
      .where({ service, ref, status: 'queued' })
      .where('number', '<', by.number)
      .update({
        status: 'superseded',
        reason: `Superseded by build ${by.number} of a newer push`,
        finished_at: new Date().toISOString(),
      });
  }

  async requestCancel(id: string, reason: string): Promise<void> {
    await this.knex('k2_builds')
      .where({ id, status: 'running' })
      .whereNull('cancel_requested_at')
      .update({ cancel_requested_at: new Date().toISOString(), reason });
  }

  async appendLog(
    id: string,
    text: string,
  ): Promise<{ logBytes: number; logTruncated: boolean }> {
    return this.knex.transaction(async tx => {
      const build = (await tx<BuildRow>('k2_builds')
        .where({ id })
        .select('log_bytes', 'log_truncated')
        .first()) as Pick<BuildRow, 'log_bytes' | 'log_truncated'> | undefined;
      if (!build) return { logBytes: 0, logTruncated: false };
      let logBytes = Number(build.log_bytes);
      if (build.log_truncated || text.length === 0) {
        return { logBytes, logTruncated: Boolean(build.log_truncated) };
      }
      let kept = text;
      let truncated = false;
      if (logBytes + Buffer.byteLength(text, 'utf8') > MAX_LOG_BYTES) {
        kept = cutToBytes(text, MAX_LOG_BYTES - logBytes) + LOG_TRUNCATED_LINE;
        truncated = true;
      }
      const last = (await tx('k2_build_log_chunks')
        .where({ build_id: id })
        .max({ seq: 'seq' })
        .first()) as { seq: number | string | null };
      let seq = last.seq === null ? 0 : Number(last.seq) + 1;
      const rows = splitToBytes(kept, LOG_CHUNK_BYTES).map(piece => {
        const bytes = Buffer.byteLength(piece, 'utf8');
        const row = {
          build_id: id,
          seq: seq++,
          start_byte: logBytes,
          bytes,
          text: piece,
        };
        logBytes += bytes;
        return row;
      });
      if (rows.length > 0) await tx('k2_build_log_chunks').insert(rows);
      await tx('k2_builds')
        .where({ id })
        .update({ log_bytes: logBytes, log_truncated: truncated });
      return { logBytes, logTruncated: truncated };
    });
  }

  async readLog(
    id: string,
    offset: number,
    maxBytes: number = 4 * 1024 * 1024,
  ): Promise<LogSlice> {
    const chunks = (await this.knex('k2_build_log_chunks')
      .where({ build_id: id })
      .where(this.knex.raw('start_byte + bytes'), '>', offset)
      .orderBy('seq', 'asc')
      .limit(Math.max(1, Math.ceil(maxBytes / LOG_CHUNK_BYTES)))) as Array<{
      start_byte: number | string;
      bytes: number | string;
      text: string;
    }>;
    const parts: Buffer[] = [];
    let next = offset;
    for (const chunk of chunks) {
      const start = Number(chunk.start_byte);
      const buffer = Buffer.from(chunk.text, 'utf8');
      parts.push(start < offset ? buffer.subarray(offset - start) : buffer);
      next = start + Number(chunk.bytes);
    }
    return { text: Buffer.concat(parts).toString('utf8'), nextOffset: next };
  }

  async deleteLogsFinishedBefore(before: Date): Promise<number> {
    const ids = this.knex('k2_builds')
      .whereNotNull('finished_at')
      .where('finished_at', '<', before.toISOString())
      .select('id');
    const deleted = await this.knex('k2_build_log_chunks')
      .whereIn('build_id', ids)
      .delete();
    await this.knex('k2_builds')
      .whereNotNull('finished_at')
      .where('finished_at', '<', before.toISOString())
      .whereNull('log_deleted_at')
      .update({ log_deleted_at: new Date().toISOString() });
    return deleted;
  }

  async recordDelivery(deliveryId: string, at = new Date()): Promise<boolean> {
    try {
      await this.knex('k2_build_webhook_deliveries').insert({
        delivery_id: deliveryId,
        received_at: at.toISOString(),
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async forgetDelivery(deliveryId: string): Promise<void> {
    await this.knex('k2_build_webhook_deliveries')
      .where({ delivery_id: deliveryId })
      .delete();
  }

  async pruneDeliveries(before: Date): Promise<number> {
    return this.knex('k2_build_webhook_deliveries')
      .where('received_at', '<', before.toISOString())
      .delete();
  }
}
