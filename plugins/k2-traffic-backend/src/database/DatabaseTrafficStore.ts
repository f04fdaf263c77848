import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { isoTimestamp, isUniqueViolation } from '@internal/plugin-k2-node';
import { migrate, PluginDatabase } from './migrations';
import {
  HostReport,
  NewSiteChange,
  NewSiteVersion,
  SiteChangeStatus,
  StoredBundle,
  StoredSiteChange,
  StoredSiteVersion,
  TrafficStore,
} from './TrafficStore';

const VERSIONS = 'k2_traffic_site_versions';
const BUNDLES = 'k2_traffic_bundles';
const REPORTS = 'k2_traffic_host_reports';
const CHANGES = 'k2_traffic_site_changes';

type VersionRow = {
  service_ref: string;
  environment: string;
  number: number | string;
  cluster: string;
  document: string;
  server_names: string;
  upstreams: string;
  files: string;
  content_hash: string;
  message: string;
  created_by: string;
  created_at: Date | string;
  rollback_of: number | string | null;
  approved_by: string | null;
};

type ChangeRow = {
  id: number | string;
  service_ref: string;
  environment: string;
  cluster: string;
  document: string;
  message: string;
  rollback_of: number | string | null;
  content_hash: string;
  requested_by: string;
  requested_at: Date | string;
  status: SiteChangeStatus;
  decided_by: string | null;
  decided_at: Date | string | null;
  reason: string | null;
  version: number | string | null;
};

type BundleRow = {
  cluster: string;
  version: string;
  hash: string;
  files: string;
  updated_at: Date | string;
};

type ReportRow = {
  cluster: string;
  host: string;
  version: string;
  ok: boolean | number;
  error: string | null;
  applied_version: string | null;
  reported_at: Date | string;
};

const SUMMARY_COLUMNS = [
  'service_ref',
  'environment',
  'number',
  'cluster',
  'content_hash',
  'message',
  'created_by',
  'created_at',
  'rollback_of',
  'approved_by',
];

function toSummary(
  row: Omit<VersionRow, 'document' | 'server_names' | 'upstreams' | 'files'>,
) {
  return {
    service: row.service_ref,
    environment: row.environment,
    number: Number(row.number),
    cluster: row.cluster,
    contentHash: row.content_hash,
    message: row.message,
    createdBy: row.created_by,
    createdAt: isoTimestamp(row.created_at),
    ...(row.rollback_of !== null
      ? { rollbackOf: Number(row.rollback_of) }
      : {}),
    ...(row.approved_by !== null ? { approvedBy: row.approved_by } : {}),
  };
}

function toChange(row: ChangeRow): StoredSiteChange {
  return {
    id: Number(row.id),
    service: row.service_ref,
    environment: row.environment,
    cluster: row.cluster,
    document: JSON.parse(row.document),
    message: row.message,
    ...(row.rollback_of !== null
      ? { rollbackOf: Number(row.rollback_of) }
      : {}),
    contentHash: row.content_hash,
    requestedBy: row.requested_by,
    requestedAt: isoTimestamp(row.requested_at),
    status: row.status,
    ...(row.decided_by !== null ? { decidedBy: row.decided_by } : {}),
    ...(row.decided_at !== null
      ? { decidedAt: isoTimestamp(row.decided_at) }
      : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.version !== null ? { version: Number(row.version) } : {}),
  };
}

/** The unique key that keeps one waiting change per site. */
function waitingSite(service: string, environment: string): string {
  return `${service} ${environment}`;
}

function toVersion(row: VersionRow): StoredSiteVersion {
  return {
    ...toSummary(row),
    document: JSON.parse(row.document),
    serverNames: JSON.parse(row.server_names),
    upstreams: JSON.parse(row.upstreams),
    files: JSON.parse(row.files),
  };
}

function toBundle(row: BundleRow): StoredBundle {
  return {
    cluster: row.cluster,
    version: row.version,
    hash: row.hash,
    files: JSON.parse(row.files),
    updatedAt: isoTimestamp(row.updated_at),
  };
}

/** The cluster's bundle moved on since it was read: the publish must be rebuilt. */
class BundleMoved extends Error {}

/** {@link TrafficStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseTrafficStore implements TrafficStore {
  static async create(options: PluginDatabase): Promise<DatabaseTrafficStore> {
    return new DatabaseTrafficStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async currentVersions(environments: string[]): Promise<StoredSiteVersion[]> {
    if (environments.length === 0) return [];
    const newest = this.knex(VERSIONS)
      .select('service_ref', 'environment')
      .max({ newest: 'number' })
      .whereIn('environment', environments)
      .groupBy('service_ref', 'environment')
      .as('n');
    const rows: VersionRow[] = await this.knex(`${VERSIONS} as v`)
      .join(newest, function on() {
        this.on('v.service_ref', '=', 'n.service_ref')
          .andOn('v.environment', '=', 'n.environment')
          .andOn('v.number', '=', 'n.newest');
      })
      .select('v.*')
      .orderBy([
        { column: 'v.environment', order: 'asc' },
        { column: 'v.service_ref', order: 'asc' },
      ]);
    return rows.map(toVersion);
  }

  async currentVersion(service: string, environment: string) {
    const row: VersionRow | undefined = await this.knex(VERSIONS)
      .where({ service_ref: service, environment })
      .orderBy('number', 'desc')
      .first();
    return row && toVersion(row);
  }

  async getVersion(service: string, environment: string, number: number) {
    const row: VersionRow | undefined = await this.knex(VERSIONS)
      .where({ service_ref: service, environment, number })
      .first();
    return row && toVersion(row);
  }

  async listVersions(query: {
    service: string;
    environment: string;
    limit: number;
    before?: number;
  }) {
    const site = { service_ref: query.service, environment: query.environment };
    const [{ total }] = await this.knex(VERSIONS)
      .where(site)
      .count({ total: '*' });
    const page = this.knex(VERSIONS)
      .where(site)
      .select(SUMMARY_COLUMNS)
      .orderBy('number', 'desc')
      .limit(query.limit);
    if (query.before !== undefined) page.where('number', '<', query.before);
    const rows = await page;
    return { items: rows.map(toSummary), total: Number(total) };
  }

  async publish(
    version: NewSiteVersion,
    bundle: Omit<StoredBundle, 'updatedAt'>,
    expectedBundleVersion: string | undefined,
    approves?: number,
  ): Promise<StoredSiteVersion | undefined> {
    const now = new Date().toISOString();
    try {
      return await this.knex.transaction(async trx => {
        if (
          !(await this.#moveBundle(trx, bundle, expectedBundleVersion, now))
        ) {
          throw new BundleMoved();
        }
        const [{ newest }] = await trx(VERSIONS)
          .where({
            service_ref: version.service,
            environment: version.environment,
          })
          .max({ newest: 'number' });
        const number = Number(newest ?? 0) + 1;
        // The unique (service, environment, number) index refuses a concurrent
        // publish of the same site that read the same number.
        await trx(VERSIONS).insert({
          service_ref: version.service,
          environment: version.environment,
          number,
          cluster: version.cluster,
          document: JSON.stringify(version.document),
          server_names: JSON.stringify(version.serverNames),
          upstreams: JSON.stringify(version.upstreams),
          files: JSON.stringify(version.files),
          content_hash: version.contentHash,
          message: version.message,
          created_by: version.createdBy,
          created_at: now,
          rollback_of: version.rollbackOf ?? null,
          approved_by: version.approvedBy ?? null,
        });
        if (approves !== undefined) {
          const approved = await trx(CHANGES)
            .where({ id: approves, status: 'waiting' })
            .update({
              status: 'approved',
              waiting_site: null,
              decided_by: version.approvedBy ?? null,
              decided_at: now,
              version: number,
            });
          if (approved !== 1) {
            throw new ConflictError(
              `Site change #${approves} is no longer waiting for approval`,
            );
          }
        }
        return { ...version, number, createdAt: now };
      });
    } catch (error) {
      if (error instanceof BundleMoved || isUniqueViolation(error))
        return undefined;
      throw error;
    }
  }

  async requestChange(
    change: NewSiteChange,
  ): Promise<StoredSiteChange | undefined> {
    try {
      // The unique waiting_site key refuses a second waiting change of the site.
      const [row] = await this.knex(CHANGES)
        .insert({
          service_ref: change.service,
          environment: change.environment,
          cluster: change.cluster,
          document: JSON.stringify(change.document),
          message: change.message,
          rollback_of: change.rollbackOf ?? null,
          content_hash: change.contentHash,
          requested_by: change.requestedBy,
          requested_at: new Date().toISOString(),
          status: 'waiting',
          waiting_site: waitingSite(change.service, change.environment),
        })
        .returning('id');
      return this.getChange(Number(typeof row === 'object' ? row.id : row));
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async getChange(id: number): Promise<StoredSiteChange | undefined> {
    const row: ChangeRow | undefined = await this.knex(CHANGES)
      .where({ id })
      .first();
    return row && toChange(row);
  }

  async waitingChange(
    service: string,
    environment: string,
  ): Promise<StoredSiteChange | undefined> {
    const row: ChangeRow | undefined = await this.knex(CHANGES)
      .where({ waiting_site: waitingSite(service, environment) })
      .first();
    return row && toChange(row);
  }

  async closeChange(
    id: number,
    decision: {
      status: 'rejected' | 'withdrawn';
      decidedBy: string;
      reason: string;
    },
  ): Promise<StoredSiteChange | undefined> {
    const updated = await this.knex(CHANGES)
      .where({ id, status: 'waiting' })
      .update({
        status: decision.status,
        waiting_site: null,
        decided_by: decision.decidedBy,
        decided_at: new Date().toISOString(),
        reason: decision.reason,
      });
    return updated === 1 ? this.getChange(id) : undefined;
  }

  async saveBundle(
    bundle: Omit<StoredBundle, 'updatedAt'>,
    expectedVersion: string | undefined,
  ): Promise<boolean> {
    const now = new Date().toISOString();
    try {
      return await this.knex.transaction(trx =>
        this.#moveBundle(trx, bundle, expectedVersion, now),
      );
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async #moveBundle(
    trx: Knex.Transaction,
    bundle: Omit<StoredBundle, 'updatedAt'>,
    expectedVersion: string | undefined,
    now: string,
  ): Promise<boolean> {
    const row = {
      version: bundle.version,
      hash: bundle.hash,
      files: JSON.stringify(bundle.files),
      updated_at: now,
    };
    if (expectedVersion === undefined) {
      if (await trx(BUNDLES).where({ cluster: bundle.cluster }).first()) {
        return false;
      }
      // A concurrent first bundle is refused by the primary key (see isUniqueViolation).
      await trx(BUNDLES).insert({ cluster: bundle.cluster, ...row });
      return true;
    }
    const updated = await trx(BUNDLES)
      .where({ cluster: bundle.cluster, version: expectedVersion })
      .update(row);
    return updated === 1;
  }

  async getBundle(cluster: string): Promise<StoredBundle | undefined> {
    const row: BundleRow | undefined = await this.knex(BUNDLES)
      .where({ cluster })
      .first();
    return row && toBundle(row);
  }

  async bundleVersions(): Promise<Map<string, string>> {
    const rows: Array<{ cluster: string; version: string }> = await this.knex(
      BUNDLES,
    ).select('cluster', 'version');
    return new Map(rows.map(r => [r.cluster, r.version]));
  }

  async recordReport(report: Omit<HostReport, 'appliedVersion'>) {
    const row = {
      cluster: report.cluster,
      host: report.host,
      version: report.version,
      ok: report.ok,
      error: report.ok ? null : report.error ?? null,
      reported_at: report.reportedAt,
    };
    await this.knex(REPORTS)
      .insert({ ...row, applied_version: report.ok ? report.version : null })
      .onConflict(['cluster', 'host'])
      .merge(report.ok ? { ...row, applied_version: report.version } : row);
  }

  async listReports(cluster: string): Promise<HostReport[]> {
    const rows: ReportRow[] = await this.knex(REPORTS)
      .where({ cluster })
      .orderBy('host');
    return rows.map(row => ({
      cluster: row.cluster,
      host: row.host,
      version: row.version,
      // SQLite keeps booleans as 0 and 1.
      ok: !!row.ok,
      ...(row.error !== null ? { error: row.error } : {}),
      ...(row.applied_version !== null
        ? { appliedVersion: row.applied_version }
        : {}),
      reportedAt: isoTimestamp(row.reported_at),
    }));
  }
}
