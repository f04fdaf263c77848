import { LoggerService } from '@backstage/backend-plugin-api';
import { K2ClusterAccess, K2ServiceResolver } from '@internal/plugin-k2-node';
import YAML from 'yaml';
import { PrometheusClient } from '../prometheus/PrometheusClient';
import { Promtool } from '../prometheus/Promtool';
import { compileGroup, CompiledGroup, RuleTarget } from '../rules/compile';
import { RuleStore, StoredGroupDelivery, StoredRule } from '../rules/RuleStore';
import { ruleTarget } from '../rules/targets';
import { RuleTemplate } from '../templates/types';
import { FilesDelivery } from './FilesDelivery';
import { PrometheusRuleDelivery } from './PrometheusRuleDelivery';
import { AlertsRulesConfig } from './readAlertsConfig';
import { GroupContent, ProbeTarget, RuleDelivery } from './types';

/** The longest delivery message kept (Prometheus's reload errors can be long). */
const MAX_MESSAGE = 2000;

/**
 * Compiles a service's rules of one environment into its group, checks it with
 * promtool and delivers it the way the environment is configured, recording how that
 * went. Deliveries of one group run one after the other; each delivers what the
 * database holds when it starts, so the last one leaves Prometheus with the latest
 * rules. A group whose delivery failed is delivered again by {@link GroupDeliverer.retry}.
 */
export class GroupDeliverer {
  readonly #store: RuleStore;
  readonly #resolver: K2ServiceResolver;
  readonly #config: AlertsRulesConfig;
  readonly #promtool?: Promtool;
  readonly #templates: (id: string) => Promise<RuleTemplate | undefined>;
  readonly #logger: LoggerService;
  readonly #deliveries = new Map<string, RuleDelivery>();
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(options: {
    store: RuleStore;
    resolver: K2ServiceResolver;
    access: K2ClusterAccess;
    config: AlertsRulesConfig;
    promtool?: Promtool;
    templates: (id: string) => Promise<RuleTemplate | undefined>;
    logger: LoggerService;
  }) {
    this.#store = options.store;
    this.#resolver = options.resolver;
    this.#config = options.config;
    this.#promtool = options.promtool;
    this.#templates = options.templates;
    this.#logger = options.logger;
    for (const env of options.config.environments.values()) {
      this.#deliveries.set(
        env.name,
        env.delivery.type === 'files'
          ? new FilesDelivery({
              directory: env.delivery.directory,
              probeDirectory: env.delivery.probeDirectory,
              prometheus: new PrometheusClient(env.prometheusUrl),
            })
          : new PrometheusRuleDelivery({
              access: options.access,
              labels: env.delivery.labels,
              blackboxAddress: env.blackboxAddress,
            }),
      );
    }
  }

  /**
   * The group of `rules` for the target, checked by promtool.
   *
   * @throws InputError naming the problem when promtool refuses it
   */
  async compile(
    target: RuleTarget,
    rules: Array<StoredRule | (Omit<StoredRule, 'id'> & { id: string })>,
  ): Promise<CompiledGroup> {
    const templates = new Map<string, RuleTemplate>();
    for (const rule of rules) {
      if (rule.templateId && !templates.has(rule.templateId)) {
        const template = await this.#templates(rule.templateId);
        if (template) templates.set(rule.templateId, template);
      }
    }
    const group = compileGroup(target, rules, id => templates.get(id));
    if (this.#promtool && group.rules.length) {
      await this.#promtool.checkRules(group.yaml);
    }
    return group;
  }

  /**
   * What delivering a group puts in place: the rule file and, for each enabled rule
   * of a `url` template, its probe target.
   */
  async content(
    target: RuleTarget,
    group: CompiledGroup,
    rules: StoredRule[],
  ): Promise<GroupContent> {
    const probes: ProbeTarget[] = [];
    for (const rule of rules) {
      if (!rule.enabled || !rule.templateId) continue;
      const template = await this.#templates(rule.templateId);
      if (
        template?.scope === 'url' &&
        typeof rule.parameters.url === 'string'
      ) {
        probes.push({ rule: rule.id, url: rule.parameters.url });
      }
    }
    const empty = group.rules.length === 0;
    return {
      target,
      name: group.name,
      yaml: empty ? undefined : group.yaml,
      groups: empty ? [] : YAML.parse(group.yaml).groups,
      probes,
    };
  }

  /** Delivers the service's group of the environment now, after any under way. */
  deliver(
    serviceRef: string,
    environment: string,
  ): Promise<StoredGroupDelivery> {
    const key = `${serviceRef.toLocaleLowerCase('en-US')}\n${environment}`;
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => this.#deliverNow(serviceRef, environment));
    this.#queues.set(key, next);
    next
      .finally(() => {
        if (this.#queues.get(key) === next) this.#queues.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  async #deliverNow(
    serviceRef: string,
    environment: string,
  ): Promise<StoredGroupDelivery> {
    const before = await this.#store.group(serviceRef, environment);
    const record = async (
      state: StoredGroupDelivery['state'],
      content: string | undefined,
      message?: string,
    ) => {
      const delivery: StoredGroupDelivery = {
        serviceRef,
        environment,
        content,
        state,
        ...(message ? { message: message.slice(0, MAX_MESSAGE) } : {}),
        at: new Date().toISOString(),
        attempts:
          state === 'failed'
            ? (before?.state === 'failed' ? before.attempts : 0) + 1
            : 0,
      };
      await this.#store.setGroup(delivery);
      return delivery;
    };
    let content: string | undefined = before?.content;
    try {
      const delivery = this.#deliveries.get(environment);
      if (!delivery) {
        throw new Error(
          `Environment '${environment}' has no monitoring configured`,
        );
      }
      const rules = await this.#store.list(serviceRef, environment);
      const service = await this.#resolver.service(serviceRef);
      const target = ruleTarget(
        this.#resolver,
        this.#config,
        service,
        environment,
      );
      const group = await this.compile(target, rules);
      const groupContent = await this.content(target, group, rules);
      content = groupContent.yaml;
      await record('pending', content);
      await delivery.deliver(groupContent);
      return await record('delivered', content);
    } catch (error) {
      const message = (error as Error).message;
      this.#logger.warn(
        `Alert rules of ${serviceRef} in ${environment} not delivered: ${message}`,
      );
      return record('failed', content, message);
    }
  }

  /** Delivers every group whose last delivery did not succeed; how many now did. */
  async retry(): Promise<{ delivered: number; failed: number }> {
    let delivered = 0;
    let failed = 0;
    for (const group of await this.#store.undelivered()) {
      const result = await this.deliver(group.serviceRef, group.environment);
      if (result.state === 'delivered') delivered++;
      else failed++;
    }
    return { delivered, failed };
  }
}
