import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { MIGRATIONS } from '../database/migrations';
import { DatabaseTemplateStore } from '../templates/TemplateStore';
import { DatabaseRuleStore } from './DatabaseRuleStore';
import { StoredRule } from './RuleStore';

const databases = createK2TestDatabases();

const rule = (overrides: Partial<StoredRule> = {}): StoredRule => ({
  id: 'r1',
  serviceRef: 'component:default/Payment-Gateway',
  environment: 'test',
  name: 'MemoryHigh',
  templateId: 'memory-usage',
  parameters: { threshold: 90 },
  for: '5m',
  severity: 'warning',
  enabled: true,
  createdBy: 'user:default/alice',
  createdAt: '2026-11-26T10:00:00.000Z',
  updatedBy: 'user:default/alice',
  updatedAt: '2026-11-26T10:00:00.000Z',
  ...overrides,
});

describe.each(databases.eachSupportedId())('alert rule stores on %s', id => {
  async function setUp() {
    const knex = await databases.init(id);
    const database = { getClient: async () => knex };
    return {
      knex,
      rules: await DatabaseRuleStore.create({ database }),
      templates: await DatabaseTemplateStore.create({ database }),
    };
  }

  it('keeps rules per service and environment, one name each, whatever the ref case', async () => {
    const { rules } = await setUp();
    expect(await rules.insert(rule())).toBe(true);
    expect(await rules.insert(rule({ id: 'r2' }))).toBe(false);
    expect(
      await rules.insert(
        rule({
          id: 'r3',
          environment: 'prod',
          expr: 'up == 0',
          templateId: undefined,
          parameters: {},
        }),
      ),
    ).toBe(true);
    expect(await rules.insert(rule({ id: 'r4', name: 'Cpu' }))).toBe(true);

    const all = await rules.list('component:default/payment-gateway');
    expect(all.map(r => [r.environment, r.name])).toEqual([
      ['prod', 'MemoryHigh'],
      ['test', 'Cpu'],
      ['test', 'MemoryHigh'],
    ]);
    expect(all[0]).toEqual(
      expect.objectContaining({ expr: 'up == 0', parameters: {} }),
    );
    expect(all[0].templateId).toBeUndefined();
    expect(await rules.get('r1')).toEqual({
      ...rule(),
      serviceRef: 'component:default/payment-gateway',
    });
    expect(
      (await rules.list('component:default/payment-gateway', 'test')).length,
    ).toBe(2);
    expect(await rules.count('component:default/PAYMENT-gateway')).toBe(3);
    expect(await rules.countByTemplate('memory-usage')).toBe(2);

    expect(await rules.update(rule({ id: 'r4', name: 'MemoryHigh' }))).toBe(
      false,
    );
    expect(
      await rules.update(
        rule({ enabled: false, updatedBy: 'user:default/bob', for: '10m' }),
      ),
    ).toBe(true);
    expect(await rules.get('r1')).toMatchObject({
      enabled: false,
      for: '10m',
      updatedBy: 'user:default/bob',
      createdBy: 'user:default/alice',
    });
    await rules.delete('r1');
    expect(await rules.get('r1')).toBeUndefined();
    expect(await rules.count('component:default/payment-gateway')).toBe(2);
  });

  it("records each group's delivery and lists those not delivered", async () => {
    const { rules } = await setUp();
    const ref = 'component:default/payment-gateway';
    await rules.setGroup({
      serviceRef: ref,
      environment: 'test',
      content: 'groups: []\n',
      state: 'failed',
      message: 'Prometheus did not reload',
      at: '2026-11-26T10:00:00.000Z',
      attempts: 1,
    });
    await rules.setGroup({
      serviceRef: ref,
      environment: 'prod',
      state: 'delivered',
      at: '2026-11-26T10:00:00.000Z',
      attempts: 0,
    });
    expect(await rules.undelivered()).toEqual([
      expect.objectContaining({ environment: 'test', attempts: 1 }),
    ]);
    await rules.setGroup({
      serviceRef: ref,
      environment: 'test',
      content: 'groups: []\n',
      state: 'delivered',
      at: '2026-11-26T10:01:00.000Z',
      attempts: 0,
    });
    expect(await rules.undelivered()).toEqual([]);
    expect(await rules.group(ref, 'test')).toEqual({
      serviceRef: ref,
      environment: 'test',
      content: 'groups: []\n',
      state: 'delivered',
      at: '2026-11-26T10:01:00.000Z',
      attempts: 0,
    });
    expect(await rules.group(ref, 'prod')).not.toHaveProperty('content');
  });

  it('keeps custom templates by id', async () => {
    const { templates } = await setUp();
    const template = {
      id: 'queue-depth',
      title: 'Queue depth',
      description: 'Messages waiting',
      builtin: false,
      parameters: [
        {
          name: 'depth',
          title: 'Depth',
          type: 'number' as const,
          required: true,
          default: 100,
        },
      ],
      defaultSeverity: 'warning' as const,
      defaultFor: '5m',
      scope: 'service' as const,
      expr: 'sum(queue_depth{{{ selector }}}) > {{ depth }}',
      createdBy: 'user:default/admin',
      createdAt: '2026-11-26T10:00:00.000Z',
      updatedBy: 'user:default/admin',
      updatedAt: '2026-11-26T10:00:00.000Z',
    };
    expect(await templates.insert(template)).toBe(true);
    expect(await templates.insert({ ...template, title: 'Other' })).toBe(false);
    expect(await templates.get('queue-depth')).toEqual(template);
    await templates.update({ ...template, title: 'Queue size' });
    expect((await templates.list()).map(t => t.title)).toEqual(['Queue size']);
    await templates.delete('queue-depth');
    expect(await templates.list()).toEqual([]);
  });

  it('migrates down and up again', async () => {
    const { knex } = await setUp();
    await knex.migrate.rollback({ directory: MIGRATIONS }, true);
    expect(await knex.schema.hasTable('k2_alert_rules')).toBe(false);
    await knex.migrate.latest({ directory: MIGRATIONS });
    expect(await knex.schema.hasTable('k2_alert_rules')).toBe(true);
    expect(await knex.schema.hasTable('k2_alert_rule_groups')).toBe(true);
  });
});
