import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { isoTimestamp, isUniqueViolation } from '@internal/plugin-k2-node';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';

/** Where the plugin's knex migrations live. */
export const MIGRATIONS = resolvePackagePath(
  '@internal/plugin-k2-middleware-store-backend',
  'migrations',
);

/**
 * Where an instance is in its life. `active` means applied to the cluster; whether it
 * is creating, ready or degraded is read live from the watch caches, never stored.
 */
export type InstancePhase =
  | 'awaiting-approval'
  | 'rejected'
  | 'active'
  | 'updating'
  | 'deleting'
  | 'deleted'
  | 'expired'
  | 'restoring'
  | 'failed';

/** The catalog Resource type of an instance. */
export type InstanceCategory = 'database' | 'cache' | 'queue' | 'coordination';

/** The approval of an instance in an environment that needs one. */
export interface InstanceApproval {
  requestedBy: string;
  requestedAt: string;
  reason?: string;
  decision?: 'approved' | 'rejected';
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
}

/** An instance as stored. Never holds a secret value. */
export interface StoredInstance {
  id: string;
  name: string;
  /** Lowercased entity ref of the service it was created for. */
  service: string;
  /** The service's owning group when it was created. */
  owner: string;
  environment: string;
  cluster: string;
  namespace: string;
  template: string;
  product: string;
  version: string;
  category: InstanceCategory;
  /** The resolved template parameters (defaults filled); never a secret. */
  parameters: Record<string, unknown>;
  phase: InstancePhase;
  phaseReason?: string;
  /** Absent where instances never expire. */
  expiresAt?: string;
  /** Set once the owners were reminded of the current expiry; cleared by a renewal. */
  remindedAt?: string;
  renewals: number;
  secretName: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  approval?: InstanceApproval;
  /** Raised by every update; {@link MiddlewareStore.update} compares and sets it. */
  revision: number;
}

/** What a new instance is. */
export type NewInstance = Omit<
  StoredInstance,
  'id' | 'createdAt' | 'updatedAt' | 'revision' | 'renewals' | 'remindedAt'
>;

/** Columns an update may change. `null` clears an optional one. */
export interface InstancePatch {
  template?: string;
  version?: string;
  parameters?: Record<string, unknown>;
  phaseReason?: string | null;
  expiresAt?: string | null;
  remindedAt?: string | null;
  renewals?: number;
  approval?: InstanceApproval;
}

/** One step of an instance's lifecycle. */
export interface InstanceEvent {
  at: string;
  type: string;
  actor?: string;
  summary: string;
}

/** An event to record; `at` defaults to now. */
export type NewInstanceEvent = Omit<InstanceEvent, 'at'> & { at?: string };

/** The logical dump of a backup. */
export interface BackupDump {
  job: string;
  volume?: string;
  state: 'running' | 'succeeded' | 'failed';
}

/** What a deleted or expired instance keeps for a restore. Never Secret data. */
export interface InstanceBackup {
  instanceId: string;
  savedAt: string;
  reason: 'deleted' | 'expired';
  restorableUntil: string;
  /** The rendered objects (without the Secret), in apply order. */
  manifests: unknown[];
  /** The kept data volumes (PVC names). */
  volumes: string[];
  dump?: BackupDump;
}

/** A binding of an instance to a service. */
export interface InstanceBinding {
  instanceId: string;
  /** Lowercased entity ref of the bound service. */
  service: string;
  createdBy: string;
  createdAt: string;
}

/** Which instances to list; every given condition holds. */
export interface InstanceFilter {
  ids?: string[];
  service?: string;
  owner?: string;
  environment?: string;
  phases?: InstancePhase[];
  /** Only instances with an expiry at or before this instant. */
  expiresBy?: string;
  /** Only instances whose owners were (true) or were not (false) reminded. */
  reminded?: boolean;
}

/** A phase change, made only from one of the expected phases. */
export interface InstanceTransition {
  from: InstancePhase[];
  to: InstancePhase;
  /** Replaces the reason (none when absent). */
  reason?: string;
  patch?: Omit<InstancePatch, 'phaseReason'>;
  event?: NewInstanceEvent;
  /** Only when no service is bound to the instance. */
  unbound?: boolean;
}

/**
 * Middleware instances, their bindings, backups and events.
 *
 * Invariants: a name is unique per environment until its row is purged; every change
 * of an instance is conditional (on its phase for a transition, on its revision for an
 * update), so of two backend replicas acting on one instance exactly one wins and the
 * other is told (undefined); an event is recorded in the transaction of the change it
 * describes; no column ever holds a secret value.
 */
export interface MiddlewareStore {
  /** @returns undefined when the name is taken in the environment */
  createInstance(
    instance: NewInstance,
    event: NewInstanceEvent,
  ): Promise<StoredInstance | undefined>;

  getInstance(id: string): Promise<StoredInstance | undefined>;

  getInstanceByName(
    environment: string,
    name: string,
  ): Promise<StoredInstance | undefined>;

  /** Matching instances, newest first. */
  listInstances(filter?: InstanceFilter): Promise<StoredInstance[]>;

  /** Instances created for the service or bound to it, newest first. */
  listServiceInstances(service: string): Promise<StoredInstance[]>;

  /**
   * Moves the instance to `to` if its phase is one of `from` (and, with `unbound`, no
   * service is bound to it), applying the patch and recording the event.
   *
   * @returns the changed instance, or undefined when the condition did not hold
   */
  transition(
    id: string,
    transition: InstanceTransition,
  ): Promise<StoredInstance | undefined>;

  /**
   * Applies the patch if the instance is still at `revision` (and, when `phases` is
   * given, in one of them), recording the event.
   *
   * @returns the changed instance, or undefined when someone changed it first
   */
  update(
    id: string,
    change: {
      revision: number;
      phases?: InstancePhase[];
      patch: InstancePatch;
      event?: NewInstanceEvent;
    },
  ): Promise<StoredInstance | undefined>;

  addEvent(id: string, event: NewInstanceEvent): Promise<void>;

  /** Oldest first. */
  listEvents(id: string): Promise<InstanceEvent[]>;

  /**
   * Binds the service to the instance if the instance is in one of `phases`.
   *
   * @returns false when the instance is in another phase or already bound to it
   */
  addBinding(
    binding: Omit<InstanceBinding, 'createdAt'>,
    phases: InstancePhase[],
    event?: NewInstanceEvent,
  ): Promise<boolean>;

  /** @returns false when there was no such binding */
  removeBinding(
    instanceId: string,
    service: string,
    event?: NewInstanceEvent,
  ): Promise<boolean>;

  /** The bindings of the given instances, oldest first. */
  listBindings(instanceIds: string[]): Promise<InstanceBinding[]>;

  /**
   * Records the backup once; a second save of the same instance keeps the first (a
   * resumed deletion finds what it saved before).
   *
   * @returns the stored backup
   */
  saveBackup(backup: InstanceBackup): Promise<InstanceBackup>;

  getBackup(instanceId: string): Promise<InstanceBackup | undefined>;

  /** The backups of the given instances. */
  listBackups(instanceIds: string[]): Promise<InstanceBackup[]>;

  setBackupDump(instanceId: string, dump: BackupDump): Promise<void>;

  /** Forgets the backup (a restored instance no longer needs it). */
  deleteBackup(instanceId: string): Promise<void>;

  /** Backups whose retention period ended at or before `now`. */
  listExpiredBackups(now: string): Promise<InstanceBackup[]>;

  /** Deletes the instance with its bindings, backup and events; its name is free again. */
  purgeInstance(id: string): Promise<void>;
}

const INSTANCES = 'k2_middleware_instances';
const BINDINGS = 'k2_middleware_bindings';
const BACKUPS = 'k2_middleware_backups';
const EVENTS = 'k2_middleware_events';

interface InstanceRow {
  id: string;
  name: string;
  service_ref: string;
  owner_ref: string;
  environment: string;
  cluster: string;
  namespace: string;
  template: string;
  product: string;
  version: string;
  category: string;
  parameters: string;
  phase: string;
  phase_reason: string | null;
  expires_at: Date | string | null;
  reminded_at: Date | string | null;
  renewals: number;
  secret_name: string;
  created_by: string;
  created_at: Date | string;
  updated_at: Date | string;
  approval: string | null;
  revision: number;
}

interface BackupRow {
  instance_id: string;
  saved_at: Date | string;
  reason: string;
  restorable_until: Date | string;
  manifests: string;
  volumes: string;
  dump: string | null;
}

interface BindingRow {
  instance_id: string;
  service_ref: string;
  created_by: string;
  created_at: Date | string;
}

interface EventRow {
  at: Date | string;
  type: string;
  actor: string | null;
  summary: string;
}

function toInstance(row: InstanceRow): StoredInstance {
  const expiresAt = isoTimestamp(row.expires_at);
  const remindedAt = isoTimestamp(row.reminded_at);
  return {
    id: row.id,
    name: row.name,
    service: row.service_ref,
    owner: row.owner_ref,
    environment: row.environment,
    cluster: row.cluster,
    namespace: row.namespace,
    template: row.template,
    product: row.product,
    version: row.version,
    category: row.category as InstanceCategory,
    parameters: JSON.parse(row.parameters),
    phase: row.phase as InstancePhase,
    ...(row.phase_reason !== null ? { phaseReason: row.phase_reason } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(remindedAt ? { remindedAt } : {}),
    renewals: Number(row.renewals),
    secretName: row.secret_name,
    createdBy: row.created_by,
    createdAt: isoTimestamp(row.created_at),
    updatedAt: isoTimestamp(row.updated_at),
    ...(row.approval !== null ? { approval: JSON.parse(row.approval) } : {}),
    revision: Number(row.revision),
  };
}

function toBackup(row: BackupRow): InstanceBackup {
  return {
    instanceId: row.instance_id,
    savedAt: isoTimestamp(row.saved_at),
    reason: row.reason as InstanceBackup['reason'],
    restorableUntil: isoTimestamp(row.restorable_until),
    manifests: JSON.parse(row.manifests),
    volumes: JSON.parse(row.volumes),
    ...(row.dump !== null ? { dump: JSON.parse(row.dump) } : {}),
  };
}

function toBinding(row: BindingRow): InstanceBinding {
  return {
    instanceId: row.instance_id,
    service: row.service_ref,
    createdBy: row.created_by,
    createdAt: isoTimestamp(row.created_at),
  };
}

function patchColumns(patch: InstancePatch): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (patch.template !== undefined) columns.template = patch.template;
  if (patch.version !== undefined) columns.version = patch.version;
  if (patch.parameters !== undefined) {
    columns.parameters = JSON.stringify(patch.parameters);
  }
  if (patch.phaseReason !== undefined) columns.phase_reason = patch.phaseReason;
  if (patch.expiresAt !== undefined) columns.expires_at = patch.expiresAt;
  if (patch.remindedAt !== undefined) columns.reminded_at = patch.remindedAt;
  if (patch.renewals !== undefined) columns.renewals = patch.renewals;
  if (patch.approval !== undefined) {
    columns.approval = JSON.stringify(patch.approval);
  }
  return columns;
}

function eventRow(instanceId: string, event: NewInstanceEvent) {
  return {
    instance_id: instanceId,
    at: event.at ?? new Date().toISOString(),
    type: event.type,
    actor: event.actor ?? null,
    summary: event.summary,
  };
}

/** The plugin's database, as the store takes it. */
export interface PluginDatabase {
  database: Pick<DatabaseService, 'getClient' | 'migrations'>;
}

/** The knex client, migrated to the latest schema unless migrations are skipped. */
export async function migrate(options: PluginDatabase): Promise<Knex> {
  const knex = await options.database.getClient();
  if (!options.database.migrations?.skip) {
    await knex.migrate.latest({ directory: MIGRATIONS });
  }
  return knex;
}

/**
 * {@link MiddlewareStore} on the plugin's database (SQLite or PostgreSQL). Timestamps
 * are written as ISO 8601 text, which both engines compare in time order.
 */
export class DatabaseMiddlewareStore implements MiddlewareStore {
  static async create(
    options: PluginDatabase,
  ): Promise<DatabaseMiddlewareStore> {
    return new DatabaseMiddlewareStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async createInstance(instance: NewInstance, event: NewInstanceEvent) {
    const id = randomUUID();
    const now = new Date().toISOString();
    try {
      await this.knex.transaction(async tx => {
        await tx(INSTANCES).insert({
          id,
          name: instance.name,
          service_ref: instance.service,
          owner_ref: instance.owner,
          environment: instance.environment,
          cluster: instance.cluster,
          namespace: instance.namespace,
          template: instance.template,
          product: instance.product,
          version: instance.version,
          category: instance.category,
          parameters: JSON.stringify(instance.parameters),
          phase: instance.phase,
          phase_reason: instance.phaseReason ?? null,
          expires_at: instance.expiresAt ?? null,
          reminded_at: null,
          renewals: 0,
          secret_name: instance.secretName,
          created_by: instance.createdBy,
          created_at: now,
          updated_at: now,
          approval: instance.approval
            ? JSON.stringify(instance.approval)
            : null,
          revision: 1,
        });
        await tx(EVENTS).insert(eventRow(id, { at: now, ...event }));
      });
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    return this.getInstance(id);
  }

  async getInstance(id: string) {
    const row: InstanceRow | undefined = await this.knex(INSTANCES)
      .where({ id })
      .first();
    return row ? toInstance(row) : undefined;
  }

  async getInstanceByName(environment: string, name: string) {
    const row: InstanceRow | undefined = await this.knex(INSTANCES)
      .where({ environment, name })
      .first();
    return row ? toInstance(row) : undefined;
  }

  async listInstances(filter: InstanceFilter = {}) {
    const query = this.knex(INSTANCES).orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'name', order: 'asc' },
    ]);
    if (filter.ids) query.whereIn('id', filter.ids);
    if (filter.service) query.where('service_ref', filter.service);
    if (filter.owner) query.where('owner_ref', filter.owner);
    if (filter.environment) query.where('environment', filter.environment);
    if (filter.phases) query.whereIn('phase', filter.phases);
    if (filter.expiresBy) {
      query
        .whereNotNull('expires_at')
        .where('expires_at', '<=', filter.expiresBy);
    }
    if (filter.reminded === true) query.whereNotNull('reminded_at');
    if (filter.reminded === false) query.whereNull('reminded_at');
    const rows: InstanceRow[] = await query;
    return rows.map(toInstance);
  }

  async listServiceInstances(service: string) {
    const rows: InstanceRow[] = await this.knex(INSTANCES)
      .where('service_ref', service)
      .orWhereIn(
        'id',
        this.knex(BINDINGS).select('instance_id').where('service_ref', service),
      )
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'name', order: 'asc' },
      ]);
    return rows.map(toInstance);
  }

  async transition(id: string, transition: InstanceTransition) {
    return this.knex.transaction(async tx => {
      const now = new Date().toISOString();
      const query = tx(INSTANCES)
        .where({ id })
        .whereIn('phase', transition.from);
      if (transition.unbound) {
        query.whereNotExists(
          tx(BINDINGS).select('instance_id').where('instance_id', id),
        );
      }
      const changed = await query
        .update({
          ...patchColumns(transition.patch ?? {}),
          phase: transition.to,
          phase_reason: transition.reason ?? null,
          updated_at: now,
          revision: tx.raw('revision + 1'),
        })
        .returning('*');
      // Without RETURNING support knex gives the count (older SQLite builds).
      if (!Array.isArray(changed) || changed.length !== 1) return undefined;
      if (transition.event) {
        await tx(EVENTS).insert(eventRow(id, { at: now, ...transition.event }));
      }
      return toInstance(changed[0] as InstanceRow);
    });
  }

  async update(
    id: string,
    change: {
      revision: number;
      phases?: InstancePhase[];
      patch: InstancePatch;
      event?: NewInstanceEvent;
    },
  ) {
    return this.knex.transaction(async tx => {
      const now = new Date().toISOString();
      const query = tx(INSTANCES).where({ id, revision: change.revision });
      if (change.phases) query.whereIn('phase', change.phases);
      const changed = await query
        .update({
          ...patchColumns(change.patch),
          updated_at: now,
          revision: change.revision + 1,
        })
        .returning('*');
      if (!Array.isArray(changed) || changed.length !== 1) return undefined;
      if (change.event) {
        await tx(EVENTS).insert(eventRow(id, { at: now, ...change.event }));
      }
      return toInstance(changed[0] as InstanceRow);
    });
  }

  async addEvent(id: string, event: NewInstanceEvent) {
    await this.knex(EVENTS).insert(eventRow(id, event));
  }

  async listEvents(id: string) {
    const rows: EventRow[] = await this.knex(EVENTS)
      .where({ instance_id: id })
      .orderBy('id', 'asc');
    return rows.map(row => ({
      at: isoTimestamp(row.at),
      type: row.type,
      ...(row.actor !== null ? { actor: row.actor } : {}),
      summary: row.summary,
    }));
  }

  async addBinding(
    binding: Omit<InstanceBinding, 'createdAt'>,
    phases: InstancePhase[],
    event?: NewInstanceEvent,
  ) {
    try {
      return await this.knex.transaction(async tx => {
        const now = new Date().toISOString();
        // Raising the revision locks the row (PostgreSQL) so a deletion waiting on
        // "no binding" sees this one, and only an instance in `phases` is bound.
        const locked = await tx(INSTANCES)
          .where({ id: binding.instanceId })
          .whereIn('phase', phases)
          .update({ revision: tx.raw('revision + 1'), updated_at: now });
        if (locked !== 1) return false;
        await tx(BINDINGS).insert({
          instance_id: binding.instanceId,
          service_ref: binding.service,
          created_by: binding.createdBy,
          created_at: now,
        });
        if (event) {
          await tx(EVENTS).insert(
            eventRow(binding.instanceId, { at: now, ...event }),
          );
        }
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async removeBinding(
    instanceId: string,
    service: string,
    event?: NewInstanceEvent,
  ) {
    return this.knex.transaction(async tx => {
      const removed = await tx(BINDINGS)
        .where({ instance_id: instanceId, service_ref: service })
        .delete();
      if (removed !== 1) return false;
      if (event) await tx(EVENTS).insert(eventRow(instanceId, event));
      return true;
    });
  }

  async listBindings(instanceIds: string[]) {
    if (instanceIds.length === 0) return [];
    const rows: BindingRow[] = await this.knex(BINDINGS)
      .whereIn('instance_id', instanceIds)
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'service_ref', order: 'asc' },
      ]);
    return rows.map(toBinding);
  }

  async saveBackup(backup: InstanceBackup) {
    await this.knex(BACKUPS)
      .insert({
        instance_id: backup.instanceId,
        saved_at: backup.savedAt,
        reason: backup.reason,
        restorable_until: backup.restorableUntil,
        manifests: JSON.stringify(backup.manifests),
        volumes: JSON.stringify(backup.volumes),
        dump: backup.dump ? JSON.stringify(backup.dump) : null,
      })
      .onConflict('instance_id')
      .ignore();
    return (await this.getBackup(backup.instanceId))!;
  }

  async getBackup(instanceId: string) {
    const row: BackupRow | undefined = await this.knex(BACKUPS)
      .where({ instance_id: instanceId })
      .first();
    return row ? toBackup(row) : undefined;
  }

  async listBackups(instanceIds: string[]) {
    if (instanceIds.length === 0) return [];
    const rows: BackupRow[] = await this.knex(BACKUPS).whereIn(
      'instance_id',
      instanceIds,
    );
    return rows.map(toBackup);
  }

  async setBackupDump(instanceId: string, dump: BackupDump) {
    await this.knex(BACKUPS)
      .where({ instance_id: instanceId })
      .update({ dump: JSON.stringify(dump) });
  }

  async deleteBackup(instanceId: string) {
    await this.knex(BACKUPS).where({ instance_id: instanceId }).delete();
  }

  async listExpiredBackups(now: string) {
    const rows: BackupRow[] = await this.knex(BACKUPS)
      .where('restorable_until', '<=', now)
      .orderBy('restorable_until', 'asc');
    return rows.map(toBackup);
  }

  async purgeInstance(id: string) {
    await this.knex.transaction(async tx => {
      await tx(EVENTS).where({ instance_id: id }).delete();
      await tx(BINDINGS).where({ instance_id: id }).delete();
      await tx(BACKUPS).where({ instance_id: id }).delete();
      await tx(INSTANCES).where({ id }).delete();
    });
  }
}
