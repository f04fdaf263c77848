import { K2ConfigFormat } from '@internal/plugin-k2-config-common';
import { isoTimestamp, isUniqueViolation } from '@internal/plugin-k2-node';
import { Knex } from 'knex';
import {
  ConfigFileSummary,
  ConfigStore,
  NewConfigFile,
  NewConfigVersion,
  RetentionCandidate,
  StoredConfigFile,
  StoredConfigVersion,
} from './ConfigStore';
import { migrate, PluginDatabase } from './migrations';

const FILES = 'k2_config_files';
const VERSIONS = 'k2_config_versions';

interface FileRow {
  id: number | string;
  service_ref: string;
  environment: string;
  name: string;
  format: string;
  sensitive: boolean | number;
  description: string | null;
  mount_path: string;
  created_by: string;
  created_at: Date | string;
  deleted_at: Date | string | null;
  deleted_by: string | null;
}

interface VersionRow {
  id: number | string;
  file_id: number | string;
  number: number;
  hash: string;
  object: string;
  sensitive: boolean | number;
  size: number;
  content: string | null;
  author: string;
  message: string;
  created_at: Date | string;
  restored_from: number | null;
  collected_at: Date | string | null;
}

/** Columns of a version without its content, for lists. */
const VERSION_METADATA = [
  'id',
  'file_id',
  'number',
  'hash',
  'object',
  'sensitive',
  'size',
  'author',
  'message',
  'created_at',
  'restored_from',
  'collected_at',
];

function toFile(row: FileRow): StoredConfigFile {
  return {
    id: Number(row.id),
    service: row.service_ref,
    environment: row.environment,
    name: row.name,
    format: row.format as K2ConfigFormat,
    // SQLite returns booleans as 0 and 1.
    sensitive: Boolean(row.sensitive),
    ...(row.description !== null ? { description: row.description } : {}),
    mountPath: row.mount_path,
    createdBy: row.created_by,
    createdAt: isoTimestamp(row.created_at),
    ...(row.deleted_at !== null
      ? { deletedAt: isoTimestamp(row.deleted_at), deletedBy: row.deleted_by! }
      : {}),
  };
}

function toVersion(
  row: Omit<VersionRow, 'content'> & { content?: string | null },
): StoredConfigVersion {
  return {
    fileId: Number(row.file_id),
    number: row.number,
    hash: row.hash,
    object: row.object,
    sensitive: Boolean(row.sensitive),
    size: row.size,
    ...(typeof row.content === 'string' ? { content: row.content } : {}),
    author: row.author,
    message: row.message,
    createdAt: isoTimestamp(row.created_at),
    ...(row.restored_from !== null ? { restoredFrom: row.restored_from } : {}),
    ...(row.collected_at !== null
      ? { collectedAt: isoTimestamp(row.collected_at) }
      : {}),
  };
}

function versionRow(fileId: number, version: NewConfigVersion, now: string) {
  return {
    file_id: fileId,
    number: version.number,
    hash: version.hash,
    object: version.object,
    sensitive: version.sensitive,
    size: version.size,
    // The one place content is written: never for a sensitive version.
    content: version.sensitive ? null : version.content,
    author: version.author,
    message: version.message,
    created_at: now,
    restored_from: version.restoredFrom ?? null,
    collected_at: null,
  };
}

/**
 * {@link ConfigStore} on the plugin's database (SQLite or PostgreSQL). Timestamps are
 * written as ISO 8601 text, which both engines compare in time order.
 */
export class DatabaseConfigStore implements ConfigStore {
  static async create(options: PluginDatabase): Promise<DatabaseConfigStore> {
    return new DatabaseConfigStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async listFiles(
    service: string,
    environment: string,
  ): Promise<ConfigFileSummary[]> {
    const files: FileRow[] = await this.knex(FILES)
      .where({ service_ref: service, environment, deleted_at: null })
      .orderBy('name');
    if (files.length === 0) return [];
    const ids = files.map(f => f.id);
    const counts = this.knex(VERSIONS)
      .select('file_id')
      .max({ newest: 'number' })
      .count({ n: '*' })
      .whereIn('file_id', ids)
      .groupBy('file_id')
      .as('c');
    const latest: Array<VersionRow & { n: number | string }> = await this.knex(
      `${VERSIONS} as v`,
    )
      .join(counts, function on() {
        this.on('v.file_id', '=', 'c.file_id').andOn(
          'v.number',
          '=',
          'c.newest',
        );
      })
      .select(...VERSION_METADATA.map(c => `v.${c}`), 'c.n');
    const byFile = new Map(latest.map(row => [Number(row.file_id), row]));
    return files.flatMap(row => {
      const version = byFile.get(Number(row.id));
      return version
        ? [
            {
              file: toFile(row),
              latest: toVersion(version),
              versionCount: Number(version.n),
            },
          ]
        : [];
    });
  }

  async getFile(service: string, environment: string, name: string) {
    const row: FileRow | undefined = await this.knex(FILES)
      .where({ service_ref: service, environment, name, deleted_at: null })
      .first();
    return row ? toFile(row) : undefined;
  }

  async createFile(
    file: NewConfigFile,
    version: Omit<NewConfigVersion, 'number'>,
  ): Promise<ConfigFileSummary | undefined> {
    const now = new Date().toISOString();
    const values = {
      format: file.format,
      sensitive: file.sensitive,
      description: file.description ?? null,
      mount_path: file.mountPath,
      created_by: file.createdBy,
      created_at: now,
      deleted_at: null,
      deleted_by: null,
    };
    try {
      return await this.knex.transaction(async tx => {
        const existing: FileRow | undefined = await tx(FILES)
          .where({
            service_ref: file.service,
            environment: file.environment,
            name: file.name,
          })
          .first();
        let id: number;
        let number = 1;
        if (existing) {
          if (existing.deleted_at === null) return undefined;
          id = Number(existing.id);
          // Compare-and-set on the deletion: of two revivals, one updates the row.
          const revived = await tx(FILES)
            .where({ id, deleted_at: existing.deleted_at })
            .update(values);
          if (revived !== 1) return undefined;
          const last = await tx(VERSIONS)
            .where({ file_id: id })
            .max({ n: 'number' })
            .first();
          number = Number(last?.n ?? 0) + 1;
        } else {
          const [inserted] = await tx(FILES)
            .insert({
              service_ref: file.service,
              environment: file.environment,
              name: file.name,
              ...values,
            })
            .returning('id');
          id = Number(typeof inserted === 'object' ? inserted.id : inserted);
        }
        await tx(VERSIONS).insert(versionRow(id, { ...version, number }, now));
        const fileRow: FileRow = await tx(FILES).where({ id }).first();
        const versionRowRead: VersionRow = await tx(VERSIONS)
          .where({ file_id: id, number })
          .first();
        return {
          file: toFile(fileRow),
          latest: toVersion(versionRowRead),
          versionCount: number,
        };
      });
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async addVersion(fileId: number, version: NewConfigVersion) {
    try {
      await this.knex(VERSIONS).insert(
        versionRow(fileId, version, new Date().toISOString()),
      );
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    return this.getVersion(fileId, version.number);
  }

  async latestVersion(fileId: number) {
    const row: VersionRow | undefined = await this.knex(VERSIONS)
      .where({ file_id: fileId })
      .orderBy('number', 'desc')
      .first();
    return row ? toVersion(row) : undefined;
  }

  async getVersion(fileId: number, number: number) {
    const row: VersionRow | undefined = await this.knex(VERSIONS)
      .where({ file_id: fileId, number })
      .first();
    return row ? toVersion(row) : undefined;
  }

  async listVersions(
    fileId: number,
    query: { limit: number; before?: number },
  ) {
    const page = this.knex(VERSIONS)
      .select(VERSION_METADATA)
      .where({ file_id: fileId })
      .orderBy('number', 'desc')
      .limit(query.limit);
    if (query.before !== undefined) page.where('number', '<', query.before);
    const [rows, total] = await Promise.all([
      page,
      this.knex(VERSIONS).where({ file_id: fileId }).count({ n: '*' }).first(),
    ]);
    return {
      items: (rows as VersionRow[]).map(toVersion),
      total: Number(total?.n ?? 0),
    };
  }

  async allVersions(fileId: number) {
    const rows: VersionRow[] = await this.knex(VERSIONS)
      .select(VERSION_METADATA)
      .where({ file_id: fileId })
      .orderBy('number', 'desc');
    return rows.map(toVersion);
  }

  async markDeleted(fileId: number, by: string) {
    const now = new Date().toISOString();
    await this.knex.transaction(async tx => {
      await tx(FILES)
        .where({ id: fileId, deleted_at: null })
        .update({ deleted_at: now, deleted_by: by });
      await tx(VERSIONS)
        .where({ file_id: fileId, collected_at: null })
        .update({ collected_at: now });
    });
  }

  async retentionCandidates(options: {
    keepVersions: number;
    createdBefore: Date;
  }): Promise<RetentionCandidate[]> {
    const newest = this.knex(VERSIONS)
      .select('file_id')
      .max({ newest: 'number' })
      .groupBy('file_id')
      .as('n');
    const rows: Array<VersionRow & { f_id: number }> = await this.knex(
      `${VERSIONS} as v`,
    )
      .join(newest, 'v.file_id', 'n.file_id')
      .join(`${FILES} as f`, 'f.id', 'v.file_id')
      .whereNull('f.deleted_at')
      .whereNull('v.collected_at')
      .where('v.created_at', '<', options.createdBefore.toISOString())
      .whereRaw('v.number <= n.newest - ?', [options.keepVersions])
      .select(...VERSION_METADATA.map(c => `v.${c}`))
      .orderBy([
        { column: 'v.file_id', order: 'asc' },
        { column: 'v.number', order: 'asc' },
      ]);
    if (rows.length === 0) return [];
    const fileIds = [...new Set(rows.map(r => r.file_id))];
    const files: FileRow[] = await this.knex(FILES).whereIn('id', fileIds);
    const byId = new Map(files.map(f => [Number(f.id), toFile(f)]));
    return rows.map(row => ({
      file: byId.get(Number(row.file_id))!,
      version: toVersion(row),
    }));
  }

  async markCollected(fileId: number, numbers: number[]) {
    if (numbers.length === 0) return;
    await this.knex(VERSIONS)
      .where({ file_id: fileId, collected_at: null })
      .whereIn('number', numbers)
      .update({ collected_at: new Date().toISOString() });
  }
}
