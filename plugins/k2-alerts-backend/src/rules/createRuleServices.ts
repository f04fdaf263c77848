import {
  AuditorService,
  DatabaseService,
  LoggerService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import {
  K2ActionGate,
  K2ClusterAccess,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { scheduleDeliveryRetry } from '../delivery/DeliveryRetryTask';
import { GroupDeliverer } from '../delivery/GroupDeliverer';
import { readAlertsConfig } from '../delivery/readAlertsConfig';
import { Promtool } from '../prometheus/Promtool';
import { loadBuiltinTemplates } from '../templates/builtin';
import { TemplateService } from '../templates/TemplateService';
import { DatabaseTemplateStore } from '../templates/TemplateStore';
import { DatabaseRuleStore } from './DatabaseRuleStore';
import { RuleService } from './RuleService';

/**
 * The rules side of the Alerts backend, wired from `k2.alerts`: templates, rules,
 * the deliverer of each service's group and its retry task. Without promtool (at
 * `k2.alerts.promtool`, else on the PATH) groups are delivered unchecked, said once
 * in the log.
 */
export async function createRuleServices(deps: {
  config: RootConfigService;
  database: DatabaseService;
  scheduler: SchedulerService;
  logger: LoggerService;
  auditor: AuditorService;
  gate: K2ActionGate;
  resolver: K2ServiceResolver;
  access: K2ClusterAccess;
}) {
  const config = readAlertsConfig(deps.config);
  const promtool = await Promtool.find(config.promtool);
  if (!promtool) {
    deps.logger.warn(
      `promtool (${
        config.promtool ?? 'promtool on the PATH'
      }) cannot be run: alert rule groups are delivered without promtool check rules`,
    );
  }
  const store = await DatabaseRuleStore.create(deps);
  const templateStore = await DatabaseTemplateStore.create(deps);
  const builtin = loadBuiltinTemplates();
  // The deliverer reads templates and a changed template delivers groups again.
  const late: { deliverer?: GroupDeliverer } = {};
  const templates = new TemplateService({
    ...deps,
    builtin,
    store: templateStore,
    promtool,
    uses: id => store.countByTemplate(id),
    changed: async id => {
      for (const use of await store.usesOfTemplate(id)) {
        await late.deliverer!.deliver(use.serviceRef, use.environment);
      }
    },
  });
  const template = (id: string) => templates.get(id);
  const deliverer = new GroupDeliverer({
    ...deps,
    store,
    config,
    promtool,
    templates: template,
  });
  late.deliverer = deliverer;
  const rules = new RuleService({
    ...deps,
    store,
    templates: template,
    config,
    deliverer,
  });
  await scheduleDeliveryRetry({ ...deps, deliverer });
  return { rules, templates };
}
