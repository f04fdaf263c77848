import { AuditorService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { k2AlertTemplateManagePermission } from '@internal/plugin-k2-common';
import { K2AlertRuleTemplateInput } from '@internal/plugin-k2-alerts-common';
import { actorOf, Caller, K2ActionGate } from '@internal/plugin-k2-node';
import { Promtool } from '../prometheus/Promtool';
import { checkParameters, compileGroup, RuleTarget } from '../rules/compile';
import { checkDuration } from '../rules/durations';
import { DatabaseTemplateStore, StoredTemplate } from './TemplateStore';
import { RuleTemplate, SERVICE_PLACEHOLDERS, TemplateParameter } from './types';

/** A service a custom template is compiled for, to check it before it is stored. */
const SAMPLE_TARGET: RuleTarget = {
  entityRef: 'component:default/example',
  service: 'example',
  environment: 'test',
  clusters: ['test'],
  namespace: 'example',
  kubernetesId: 'example',
  team: 'group:default/example',
};

function sampleValue(parameter: TemplateParameter): string | number {
  if (parameter.default !== undefined) return parameter.default;
  switch (parameter.type) {
    case 'duration':
      return '5m';
    case 'string':
      return 'example';
    case 'url':
      return 'http://example.com/';
    default:
      return parameter.min ?? 1;
  }
}

/**
 * Rule templates: the built-in ones (read-only, from the package's `templates/`
 * folder) and the custom ones platform admins make. A custom template is stored only
 * once it compiles, with every parameter at its default, into a group promtool
 * passes; one that rules use cannot be deleted.
 */
export class TemplateService {
  readonly #builtin: RuleTemplate[];
  readonly #store: DatabaseTemplateStore;
  readonly #gate: K2ActionGate;
  readonly #auditor: AuditorService;
  readonly #promtool?: Promtool;
  readonly #uses: (id: string) => Promise<number>;
  readonly #changed: (id: string) => Promise<void>;

  constructor(options: {
    builtin: RuleTemplate[];
    store: DatabaseTemplateStore;
    gate: K2ActionGate;
    auditor: AuditorService;
    promtool?: Promtool;
    /** How many rules use a template. */
    uses: (id: string) => Promise<number>;
    /** Called after a custom template changed, to deliver the groups using it. */
    changed: (id: string) => Promise<void>;
  }) {
    this.#builtin = options.builtin;
    this.#store = options.store;
    this.#gate = options.gate;
    this.#auditor = options.auditor;
    this.#promtool = options.promtool;
    this.#uses = options.uses;
    this.#changed = options.changed;
  }

  /** A template by id, built-in or custom. */
  async get(id: string): Promise<RuleTemplate | undefined> {
    return this.#builtin.find(t => t.id === id) ?? (await this.#store.get(id));
  }

  /** Every template as the API shows it, built-in ones first. */
  async list() {
    const custom = await this.#store.list();
    return [...this.#builtin, ...custom].map(t => this.#view(t));
  }

  async create(input: K2AlertRuleTemplateInput, caller: Caller) {
    return this.#audited(
      'alert-template-create',
      input.id,
      caller,
      async () => {
        if (this.#builtin.some(t => t.id === input.id)) {
          throw new ConflictError(`Template ${input.id} is built in`);
        }
        const template = await this.#check(input, caller);
        if (!(await this.#store.insert(template))) {
          throw new ConflictError(`Template ${input.id} exists`);
        }
        return this.#view(template);
      },
    );
  }

  async update(id: string, input: K2AlertRuleTemplateInput, caller: Caller) {
    return this.#audited('alert-template-update', id, caller, async () => {
      if (this.#builtin.some(t => t.id === id)) {
        throw new ConflictError(`Template ${id} is built in and read-only`);
      }
      const existing = await this.#store.get(id);
      if (!existing) throw new NotFoundError(`No custom template ${id}`);
      if (input.id !== id) {
        throw new InputError(`The body's id '${input.id}' is not '${id}'`);
      }
      const template = await this.#check(input, caller);
      await this.#store.update({
        ...template,
        createdBy: existing.createdBy,
        createdAt: existing.createdAt,
      });
      await this.#changed(id);
      return this.#view(template);
    });
  }

  async remove(id: string, caller: Caller) {
    await this.#audited('alert-template-delete', id, caller, async () => {
      if (this.#builtin.some(t => t.id === id)) {
        throw new ConflictError(`Template ${id} is built in and read-only`);
      }
      if (!(await this.#store.get(id))) {
        throw new NotFoundError(`No custom template ${id}`);
      }
      const uses = await this.#uses(id);
      if (uses > 0) {
        throw new ConflictError(
          `Template ${id} is used by ${uses} rule(s); delete them first`,
        );
      }
      await this.#store.delete(id);
      return {};
    });
  }

  /** A template as the API shows it: without its value expression and bookkeeping. */
  #view(template: RuleTemplate) {
    const { value, createdBy, createdAt, updatedBy, updatedAt, ...view } =
      template as StoredTemplate;
    return { ...view };
  }

  /** A custom template from its input, checked by compiling it. */
  async #check(
    input: K2AlertRuleTemplateInput,
    caller: Caller,
  ): Promise<StoredTemplate> {
    const names = input.parameters.map(p => p.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new InputError(`Parameter '${twice}' is declared twice`);
    const reserved = names.find(n =>
      (SERVICE_PLACEHOLDERS as readonly string[]).includes(n),
    );
    if (reserved) {
      throw new InputError(
        `Parameter '${reserved}' is a name K2 fills in itself; choose another`,
      );
    }
    if (input.scope === 'container') {
      for (const needed of ['pod', 'container']) {
        if (
          !input.parameters.some(p => p.name === needed && p.type === 'string')
        ) {
          throw new InputError(
            `A container template needs a string parameter '${needed}'`,
          );
        }
      }
    }
    if (
      input.scope === 'url' &&
      !input.parameters.some(p => p.name === 'url' && p.type === 'url')
    ) {
      throw new InputError(`A url template needs a url parameter 'url'`);
    }
    checkDuration('defaultFor', input.defaultFor);
    const now = new Date().toISOString();
    const actor = actorOf(caller.credentials);
    const template: StoredTemplate = {
      id: input.id,
      title: input.title,
      description: input.description ?? '',
      builtin: false,
      parameters: input.parameters,
      defaultSeverity: input.defaultSeverity,
      defaultFor: input.defaultFor,
      scope: input.scope,
      expr: input.expr.trim(),
      ...(input.summary ? { summary: input.summary } : {}),
      createdBy: actor,
      createdAt: now,
      updatedBy: actor,
      updatedAt: now,
    };
    const parameters = checkParameters(
      template,
      Object.fromEntries(input.parameters.map(p => [p.name, sampleValue(p)])),
    );
    const group = compileGroup(
      SAMPLE_TARGET,
      [
        {
          id: 'check',
          name: 'TemplateCheck',
          templateId: template.id,
          parameters,
          for: template.defaultFor,
          severity: template.defaultSeverity,
          enabled: true,
        },
      ],
      () => template,
    );
    await this.#promtool?.checkRules(group.yaml);
    return template;
  }

  async #audited<T>(
    eventId: string,
    id: string,
    caller: Caller,
    action: () => Promise<T>,
  ): Promise<T> {
    const event = await this.#auditor.createEvent({
      eventId,
      severityLevel: 'medium',
      request: caller.request,
      meta: { template: id },
    });
    try {
      await this.#gate.authorize(id, caller, {
        permission: k2AlertTemplateManagePermission,
        verb: 'manage',
        refusal: 'Only platform admins may manage alert rule templates',
      });
      const result = await action();
      await event.success();
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }
}
