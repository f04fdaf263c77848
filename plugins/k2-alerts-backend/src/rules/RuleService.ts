import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  k2AlertReadPermission,
  k2AlertRuleManagePermission,
  k2AlertTemplateManagePermission,
} from '@internal/plugin-k2-common';
import {
  K2AlertRule,
  K2AlertRuleInput,
  K2AlertRulePreview,
} from '@internal/plugin-k2-alerts-common';
import {
  actorOf,
  ActionAccess,
  Caller,
  K2ActionGate,
  K2ResolvedService,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { randomUUID } from 'node:crypto';
import { GroupDeliverer } from '../delivery/GroupDeliverer';
import { AlertsRulesConfig } from '../delivery/readAlertsConfig';
import { PrometheusClient } from '../prometheus/PrometheusClient';
import { RuleTemplate } from '../templates/types';
import {
  checkParameters,
  ruleExpressions,
  RuleTarget,
  selectorWarnings,
} from './compile';
import { checkDuration } from './durations';
import { RuleStore, StoredGroupDelivery, StoredRule } from './RuleStore';
import { ruleTarget } from './targets';

/** The most rules one service may have, over all its environments. */
export const MAX_RULES_PER_SERVICE = 100;

const manageRules: ActionAccess = {
  permission: k2AlertRuleManagePermission,
  verb: 'manage the alert rules of',
};

const manageRaw: ActionAccess = {
  permission: k2AlertTemplateManagePermission,
  verb: 'write raw PromQL rules for',
  refusal: 'Only platform admins may write alert rules as raw PromQL',
};

function delivery(group: StoredGroupDelivery | undefined) {
  if (!group) return { state: 'pending' as const };
  return {
    state: group.state,
    ...(group.message ? { message: group.message } : {}),
    at: group.at,
  };
}

/** How an update reads in the activity log. */
function changeVerb(before: StoredRule, after: StoredRule) {
  if (before.enabled === after.enabled) return 'Changed';
  return after.enabled ? 'Enabled' : 'Disabled';
}

function view(
  rule: StoredRule,
  entityRef: string,
  group: StoredGroupDelivery | undefined,
  warnings?: string[],
): K2AlertRule {
  const { serviceRef, ...rest } = rule;
  return {
    ...rest,
    entityRef,
    severity: rule.severity as K2AlertRule['severity'],
    delivery: delivery(group),
    ...(warnings?.length ? { warnings } : {}),
  };
}

/**
 * A service's alert rules: listed for everyone signed in; created, changed and
 * deleted by its owners (raw PromQL by platform admins), each change compiled with
 * the service's other rules of the environment into its group, checked by promtool
 * (a refused group stores nothing) and delivered; previews of a rule's current value.
 */
export class RuleService {
  readonly #store: RuleStore;
  readonly #templates: (id: string) => Promise<RuleTemplate | undefined>;
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #config: AlertsRulesConfig;
  readonly #deliverer: GroupDeliverer;

  constructor(options: {
    store: RuleStore;
    templates: (id: string) => Promise<RuleTemplate | undefined>;
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    config: AlertsRulesConfig;
    deliverer: GroupDeliverer;
  }) {
    this.#store = options.store;
    this.#templates = options.templates;
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#config = options.config;
    this.#deliverer = options.deliverer;
  }

  async list(
    ref: CompoundEntityRef,
    environment: string | undefined,
    caller: Caller,
  ) {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, {
      permission: k2AlertReadPermission,
      verb: 'read the alerts of',
    });
    const rules = await this.#store.list(service.ref, environment);
    const groups = new Map<string, StoredGroupDelivery | undefined>();
    for (const env of new Set(rules.map(r => r.environment))) {
      groups.set(env, await this.#store.group(service.ref, env));
    }
    return {
      items: rules.map(rule =>
        view(rule, service.ref, groups.get(rule.environment)),
      ),
    };
  }

  async create(
    ref: CompoundEntityRef,
    input: K2AlertRuleInput,
    caller: Caller,
  ) {
    const entityRef = stringifyEntityRef(ref);
    const { summary, ...changed } = await this.#gate.audited(
      caller,
      'alert-rule-create',
      {
        service: entityRef,
        environment: input.environment,
        summary: `Create alert rule ${input.name}`,
      },
      input.expr !== undefined ? manageRaw : manageRules,
      async () => {
        const service = await this.#resolver.service(ref);
        if ((await this.#store.count(service.ref)) >= MAX_RULES_PER_SERVICE) {
          throw new InputError(
            `${service.entity.metadata.name} has ${MAX_RULES_PER_SERVICE} alert rules, the most a service may have`,
          );
        }
        const now = new Date().toISOString();
        const actor = actorOf(caller.credentials);
        const { rule, warnings } = await this.#prepare(service, input, {
          id: randomUUID(),
          createdBy: actor,
          createdAt: now,
          updatedBy: actor,
          updatedAt: now,
        });
        if (!(await this.#store.insert(rule))) {
          throw new ConflictError(
            `${service.entity.metadata.name} already has an alert rule named '${rule.name}' in ${rule.environment}`,
          );
        }
        const group = await this.#deliverer.deliver(
          service.ref,
          rule.environment,
        );
        return {
          ...view(rule, service.ref, group, warnings),
          summary: `Created alert rule ${rule.name} (${
            rule.templateId ?? 'raw PromQL'
          }); delivery ${group.state}`,
        };
      },
    );
    // The summary is the activity log's, not the API's.
    return changed;
  }

  async update(
    ref: CompoundEntityRef,
    id: string,
    input: K2AlertRuleInput,
    caller: Caller,
  ) {
    const entityRef = stringifyEntityRef(ref);
    const existing = await this.#store.get(id);
    const raw = input.expr !== undefined || existing?.expr !== undefined;
    const { summary, ...changed } = await this.#gate.audited(
      caller,
      'alert-rule-update',
      {
        service: entityRef,
        environment: input.environment,
        summary: `Change alert rule ${input.name}`,
      },
      raw ? manageRaw : manageRules,
      async () => {
        const service = await this.#resolver.service(ref);
        if (
          !existing ||
          existing.serviceRef !== service.ref.toLocaleLowerCase('en-US')
        ) {
          throw new NotFoundError(
            `${service.entity.metadata.name} has no alert rule ${id}`,
          );
        }
        if (input.environment !== existing.environment) {
          throw new InputError(
            `A rule stays in its environment ('${existing.environment}'); create one in '${input.environment}' instead`,
          );
        }
        const { rule, warnings } = await this.#prepare(service, input, {
          id,
          createdBy: existing.createdBy,
          createdAt: existing.createdAt,
          updatedBy: actorOf(caller.credentials),
          updatedAt: new Date().toISOString(),
        });
        if (!(await this.#store.update(rule))) {
          throw new ConflictError(
            `${service.entity.metadata.name} already has an alert rule named '${rule.name}' in ${rule.environment}`,
          );
        }
        const group = await this.#deliverer.deliver(
          service.ref,
          rule.environment,
        );
        return {
          ...view(rule, service.ref, group, warnings),
          summary: `${changeVerb(existing, rule)} alert rule ${
            rule.name
          }; delivery ${group.state}`,
        };
      },
    );
    // The summary is the activity log's, not the API's.
    return changed;
  }

  async remove(ref: CompoundEntityRef, id: string, caller: Caller) {
    const entityRef = stringifyEntityRef(ref);
    const existing = await this.#store.get(id);
    await this.#gate.audited(
      caller,
      'alert-rule-delete',
      {
        service: entityRef,
        environment: existing?.environment,
        summary: `Delete alert rule ${existing?.name ?? id}`,
      },
      existing?.expr !== undefined ? manageRaw : manageRules,
      async () => {
        const service = await this.#resolver.service(ref);
        if (
          !existing ||
          existing.serviceRef !== service.ref.toLocaleLowerCase('en-US')
        ) {
          throw new NotFoundError(
            `${service.entity.metadata.name} has no alert rule ${id}`,
          );
        }
        await this.#store.delete(id);
        const group = await this.#deliverer.deliver(
          service.ref,
          existing.environment,
        );
        return {
          summary: `Deleted alert rule ${existing.name}; delivery ${group.state}`,
        };
      },
    );
  }

  async preview(
    ref: CompoundEntityRef,
    input: K2AlertRuleInput,
    caller: Caller,
  ): Promise<K2AlertRulePreview> {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(
      service.ref,
      caller,
      input.expr !== undefined ? manageRaw : manageRules,
    );
    const now = new Date().toISOString();
    const actor = actorOf(caller.credentials);
    const { rule, target, template, group, warnings } = await this.#prepare(
      service,
      input,
      {
        id: 'preview',
        createdBy: actor,
        createdAt: now,
        updatedBy: actor,
        updatedAt: now,
      },
    );
    const { expr, value } = ruleExpressions(rule, template, target);
    const prometheus = new PrometheusClient(
      this.#config.environments.get(target.environment)!.prometheusUrl,
    );
    const base = {
      expr,
      query: value,
      group: group.yaml,
      ...(warnings.length ? { warnings } : {}),
    };
    try {
      const series = await prometheus.query(value);
      return {
        ...base,
        current: { evaluatedAt: new Date().toISOString(), series },
      };
    } catch (error) {
      return { ...base, current: null, error: (error as Error).message };
    }
  }

  /**
   * A rule from its input, checked: its template and parameters, its duration, and
   * the service's group with it in place of its old version passing promtool; raw
   * PromQL also by the environment's Prometheus's parser.
   *
   * @throws InputError naming what is wrong
   */
  async #prepare(
    service: K2ResolvedService,
    input: K2AlertRuleInput,
    identity: Pick<
      StoredRule,
      'id' | 'createdBy' | 'createdAt' | 'updatedBy' | 'updatedAt'
    >,
  ) {
    const target: RuleTarget = ruleTarget(
      this.#resolver,
      this.#config,
      service,
      input.environment,
    );
    let template: RuleTemplate | undefined;
    let parameters: Record<string, string | number> = {};
    const warnings: string[] = [];
    if ((input.templateId === undefined) === (input.expr === undefined)) {
      throw new InputError(
        'A rule has either a templateId (with parameters) or an expr (raw PromQL), not both and not neither',
      );
    }
    if (input.templateId !== undefined) {
      template = await this.#templates(input.templateId);
      if (!template) {
        throw new InputError(`No rule template '${input.templateId}'`);
      }
      parameters = checkParameters(template, input.parameters ?? {});
      if (
        template.scope === 'container' &&
        !new RegExp(
          `^${service.spec.kubernetesId.replace(/[.]/g, '\\.')}-`,
        ).test(String(parameters.pod))
      ) {
        throw new InputError(
          `Pod '${parameters.pod}' is not one of ${service.entity.metadata.name}'s (their names start with '${service.spec.kubernetesId}-')`,
        );
      }
    } else {
      if (input.parameters && Object.keys(input.parameters).length) {
        throw new InputError('A raw PromQL rule takes no parameters');
      }
      if (input.for === undefined || input.severity === undefined) {
        throw new InputError('A raw PromQL rule needs its for and severity');
      }
      const prometheus = new PrometheusClient(
        this.#config.environments.get(target.environment)!.prometheusUrl,
      );
      const parseError = await prometheus
        .parseError(input.expr!)
        .catch(() => undefined);
      if (parseError) {
        throw new InputError(`The expression does not parse: ${parseError}`);
      }
      warnings.push(...selectorWarnings(input.expr!, target));
    }
    const rule: StoredRule = {
      ...identity,
      serviceRef: service.ref.toLocaleLowerCase('en-US'),
      environment: input.environment,
      name: input.name,
      ...(template ? { templateId: template.id } : {}),
      parameters,
      ...(input.expr !== undefined ? { expr: input.expr.trim() } : {}),
      for: checkDuration('for', input.for ?? template!.defaultFor),
      severity: input.severity ?? template!.defaultSeverity,
      enabled: input.enabled ?? true,
    };
    const others = (
      await this.#store.list(service.ref, input.environment)
    ).filter(r => r.id !== rule.id);
    const group = await this.#deliverer.compile(target, [
      ...others,
      { ...rule, enabled: true },
    ]);
    return { rule, target, template, group, warnings };
  }
}
