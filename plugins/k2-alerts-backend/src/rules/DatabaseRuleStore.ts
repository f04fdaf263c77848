import { Knex } from 'knex';
import { migrate, PluginDatabase } from '../database/migrations';
import { RuleStore, StoredGroupDelivery, StoredRule } from './RuleStore';

const RULES = 'k2_alert_rules';
const GROUPS = 'k2_alert_rule_groups';

interface RuleRow {
  id: string;
  service_ref: string;
  environment: string;
  name: string;
  template_id: string | null;
  parameters: string;
  expr: string | null;
  for: string;
  severity: string;
  enabled: boolean | number;
  created_by: string;
  created_at: string | Date;
  updated_by: string;
  updated_at: string | Date;
}

interface GroupRow {
  service_ref: string;
  environment: string;
  content: string | null;
  state: StoredGroupDelivery['state'];
  message: string | null;
  at: string | Date;
  attempts: number;
}

/** SQLite returns timestamps as text (or epoch ms), PostgreSQL as Date. */
function iso(value: string | Date | number): string {
  return new Date(value).toISOString();
}

function toRule(row: RuleRow): StoredRule {
  return {
    id: row.id,
    serviceRef: row.service_ref,
    environment: row.environment,
    name: row.name,
    ...(row.template_id ? { templateId: row.template_id } : {}),
    parameters: JSON.parse(row.parameters),
    ...(row.expr !== null ? { expr: row.expr } : {}),
    for: row.for,
    severity: row.severity,
    enabled: Boolean(row.enabled),
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedBy: row.updated_by,
    updatedAt: iso(row.updated_at),
  };
}

function toRow(rule: StoredRule): RuleRow {
  return {
    id: rule.id,
    service_ref: rule.serviceRef.toLocaleLowerCase('en-US'),
    environment: rule.environment,
    name: rule.name,
    template_id: rule.templateId ?? null,
    parameters: JSON.stringify(rule.parameters),
    expr: rule.expr ?? null,
    for: rule.for,
    severity: rule.severity,
    enabled: rule.enabled,
    created_by: rule.createdBy,
    created_at: new Date(rule.createdAt),
    updated_by: rule.updatedBy,
    updated_at: new Date(rule.updatedAt),
  };
}

function toGroup(row: GroupRow): StoredGroupDelivery {
  return {
    serviceRef: row.service_ref,
    environment: row.environment,
    ...(row.content !== null ? { content: row.content } : {}),
    state: row.state,
    ...(row.message !== null ? { message: row.message } : {}),
    at: iso(row.at),
    attempts: row.attempts,
  };
}

/** A unique constraint broken, on PostgreSQL or SQLite. */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e.code === '23505' ||
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed/.test(e.message ?? '')
  );
}

/**
 * Rules in `k2_alert_rules` (one name per service and environment, enforced by a
 * unique index) and each group's delivery state in `k2_alert_rule_groups`.
 */
export class DatabaseRuleStore implements RuleStore {
  static async create(options: PluginDatabase): Promise<DatabaseRuleStore> {
    return new DatabaseRuleStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async list(serviceRef: string, environment?: string) {
    const query = this.knex<RuleRow>(RULES)
      .where('service_ref', serviceRef.toLocaleLowerCase('en-US'))
      .orderBy([
        { column: 'environment', order: 'asc' },
        { column: 'name', order: 'asc' },
      ]);
    if (environment) query.andWhere('environment', environment);
    return (await query).map(toRule);
  }

  async get(id: string) {
    const row = await this.knex<RuleRow>(RULES).where('id', id).first();
    return row ? toRule(row) : undefined;
  }

  async count(serviceRef: string) {
    const [{ n }] = await this.knex(RULES)
      .where('service_ref', serviceRef.toLocaleLowerCase('en-US'))
      .count({ n: '*' });
    return Number(n);
  }

  async countByTemplate(templateId: string) {
    const [{ n }] = await this.knex(RULES)
      .where('template_id', templateId)
      .count({ n: '*' });
    return Number(n);
  }

  async usesOfTemplate(templateId: string) {
    const rows = await this.knex<RuleRow>(RULES)
      .where('template_id', templateId)
      .distinct('service_ref', 'environment');
    return rows.map(row => ({
      serviceRef: row.service_ref,
      environment: row.environment,
    }));
  }

  async insert(rule: StoredRule) {
    try {
      await this.knex(RULES).insert(toRow(rule));
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async update(rule: StoredRule) {
    const { id, created_by, created_at, ...row } = toRow(rule);
    try {
      await this.knex(RULES).where('id', id).update(row);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async delete(id: string) {
    await this.knex(RULES).where('id', id).delete();
  }

  async group(serviceRef: string, environment: string) {
    const row = await this.knex<GroupRow>(GROUPS)
      .where({
        service_ref: serviceRef.toLocaleLowerCase('en-US'),
        environment,
      })
      .first();
    return row ? toGroup(row) : undefined;
  }

  async setGroup(delivery: StoredGroupDelivery) {
    await this.knex(GROUPS)
      .insert({
        service_ref: delivery.serviceRef.toLocaleLowerCase('en-US'),
        environment: delivery.environment,
        content: delivery.content ?? null,
        state: delivery.state,
        message: delivery.message ?? null,
        at: new Date(delivery.at),
        attempts: delivery.attempts,
      })
      .onConflict(['service_ref', 'environment'])
      .merge();
  }

  async undelivered() {
    const rows = await this.knex<GroupRow>(GROUPS)
      .whereNot('state', 'delivered')
      .orderBy('at', 'asc');
    return rows.map(toGroup);
  }
}
