import { Knex } from 'knex';
import { migrate, PluginDatabase } from '../database/migrations';
import { RuleTemplate } from './types';

const TEMPLATES = 'k2_alert_templates';

/** A custom template as stored, with who made and changed it. */
export interface StoredTemplate extends RuleTemplate {
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

interface TemplateRow {
  id: string;
  title: string;
  description: string;
  parameters: string;
  default_severity: string;
  default_for: string;
  scope: string;
  expr: string;
  summary: string | null;
  created_by: string;
  created_at: string | Date;
  updated_by: string;
  updated_at: string | Date;
}

function toTemplate(row: TemplateRow): StoredTemplate {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    builtin: false,
    parameters: JSON.parse(row.parameters),
    defaultSeverity: row.default_severity as RuleTemplate['defaultSeverity'],
    defaultFor: row.default_for,
    scope: row.scope as RuleTemplate['scope'],
    expr: row.expr,
    ...(row.summary !== null ? { summary: row.summary } : {}),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedBy: row.updated_by,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function toRow(template: StoredTemplate): TemplateRow {
  return {
    id: template.id,
    title: template.title,
    description: template.description,
    parameters: JSON.stringify(template.parameters),
    default_severity: template.defaultSeverity,
    default_for: template.defaultFor,
    scope: template.scope,
    expr: template.expr,
    summary: template.summary ?? null,
    created_by: template.createdBy,
    created_at: new Date(template.createdAt),
    updated_by: template.updatedBy,
    updated_at: new Date(template.updatedAt),
  };
}

/** Custom rule templates (platform admins'), in `k2_alert_templates`. */
export class DatabaseTemplateStore {
  static async create(options: PluginDatabase): Promise<DatabaseTemplateStore> {
    return new DatabaseTemplateStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async list(): Promise<StoredTemplate[]> {
    const rows = await this.knex<TemplateRow>(TEMPLATES).orderBy('id');
    return rows.map(toTemplate);
  }

  async get(id: string): Promise<StoredTemplate | undefined> {
    const row = await this.knex<TemplateRow>(TEMPLATES).where('id', id).first();
    return row ? toTemplate(row) : undefined;
  }

  /** @returns false when the id is taken */
  async insert(template: StoredTemplate): Promise<boolean> {
    const inserted = await this.knex(TEMPLATES)
      .insert(toRow(template))
      .onConflict('id')
      .ignore()
      .returning('id');
    return inserted.length > 0;
  }

  async update(template: StoredTemplate): Promise<void> {
    const { id, created_by, created_at, ...row } = toRow(template);
    await this.knex(TEMPLATES).where('id', id).update(row);
  }

  async delete(id: string): Promise<void> {
    await this.knex(TEMPLATES).where('id', id).delete();
  }
}
