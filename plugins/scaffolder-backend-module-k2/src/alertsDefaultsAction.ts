import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  K2AlertRuleInput,
  K2AlertsClient,
} from '@internal/plugin-k2-alerts-common';
import { ANNOTATION_ENVIRONMENTS } from '@internal/plugin-k2-common';
import { fetchAsInitiator, isPluginNotInstalled, serviceName } from './asUser';

/**
 * The rules a new service gets when the step names none: the built-in templates of
 * plugins/k2-alerts-backend/templates for a service that is down, short of memory,
 * crash-looping or OOMKilled, each with its template's parameters, severity and `for`.
 */
export const DEFAULT_ALERT_TEMPLATES = [
  'instances-unavailable',
  'memory-usage',
  'restarts',
  'oom-killed',
] as const;

/** One rule the step asks for. */
export interface K2AlertsDefaultsRule {
  templateId: string;
  name?: string;
  parameters?: Record<string, string | number>;
  severity?: 'critical' | 'warning' | 'info';
  for?: string;
}

/** A rule's default name: its template's id in PascalCase, e.g. `OomKilled`. */
export function ruleNameOf(templateId: string): string {
  return templateId
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map(word => word[0].toLocaleUpperCase('en-US') + word.slice(1))
    .join('');
}

/**
 * `k2:alerts:defaults`: gives a service its alert rules from built-in templates
 * through the Alerts backend's API, exactly as the Alerts tab's New rule does (same
 * permission check, validation, promtool check, delivery, audit and activity entry),
 * acting as the user who runs the template. A rule of the same template that the
 * service already has in an environment is kept as it is, so a re-run creates nothing
 * twice.
 */
export function createK2AlertsDefaultsAction(options: {
  auth: AuthService;
  discovery: DiscoveryService;
  catalog: CatalogService;
}) {
  const { auth, discovery, catalog } = options;

  return createTemplateAction({
    id: 'k2:alerts:defaults',
    description:
      'Creates alert rules for a service from K2’s built-in templates in each of its environments (or the ones named), as the user running the template. ' +
      `Without rules it creates ${DEFAULT_ALERT_TEMPLATES.join(
        ', ',
      )} with their templates’ defaults. ` +
      'A rule of the same template the service already has in an environment is kept unchanged, so running it again creates nothing twice. ' +
      'The Alerts tab lists the rules; change or delete them there. ' +
      'Where the Alerts plugin is not installed the step logs that and creates nothing.',
    examples: [
      {
        description:
          'The default rules for the new service in all its environments',
        example: [
          'steps:',
          '  - id: alerts',
          '    action: k2:alerts:defaults',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
        ].join('\n'),
      },
      {
        description:
          'Chosen rules in test only: memory above 80 % of the limit, more than 5 restarts in 30 minutes as critical',
        example: [
          'steps:',
          '  - id: alerts',
          '    action: k2:alerts:defaults',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
          '      environments: [test]',
          '      rules:',
          '        - templateId: memory-usage',
          '          parameters:',
          '            threshold: 80',
          '        - templateId: restarts',
          '          parameters:',
          '            count: 5',
          '            window: 30m',
          '          severity: critical',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        entityRef: z =>
          z
            .string()
            .describe(
              'The service the rules are for, e.g. component:default/payment-gateway',
            ),
        environments: z =>
          z
            .array(z.string())
            .min(1)
            .optional()
            .describe(
              'Environments to create the rules in, each one the service runs in and with monitoring; default: the service’s environments (k2.io/environments)',
            ),
        rules: z =>
          z
            .array(
              z.object({
                templateId: z
                  .string()
                  .describe(
                    'A rule template, e.g. memory-usage (the Alerts documentation lists the built-in ones)',
                  ),
                name: z
                  .string()
                  .optional()
                  .describe(
                    'The rule’s name, also its alerts’ alertname; default: the template id in PascalCase, e.g. MemoryUsage',
                  ),
                parameters: z
                  .record(z.union([z.string(), z.number()]))
                  .optional()
                  .describe(
                    'Values for the template’s parameters; its defaults fill the rest',
                  ),
                severity: z
                  .enum(['critical', 'warning', 'info'])
                  .optional()
                  .describe('default: the template’s'),
                for: z
                  .string()
                  .optional()
                  .describe(
                    'How long the condition must hold, e.g. 5m; default: the template’s',
                  ),
              }),
            )
            .min(1)
            .optional()
            .describe(
              `The rules to create; default: ${DEFAULT_ALERT_TEMPLATES.join(
                ', ',
              )} with their templates’ defaults`,
            ),
      },
      output: {
        created: z =>
          z.array(z.string()).describe('The ids of the rules the step created'),
        kept: z =>
          z
            .array(z.string())
            .describe(
              'The ids of rules of the same templates the service already had, left as they were',
            ),
      },
    },
    async handler(ctx) {
      const { entityRef } = ctx.input;
      const service = serviceName(entityRef);
      const credentials = await ctx.getInitiatorCredentials();

      let environments = ctx.input.environments;
      if (!environments) {
        const entity = await catalog.getEntityByRef(entityRef, {
          credentials,
        });
        if (!entity) {
          throw new Error(`There is no service ${entityRef} in the catalog`);
        }
        environments = (
          entity.metadata.annotations?.[ANNOTATION_ENVIRONMENTS] ?? ''
        )
          .split(',')
          .map(name => name.trim())
          .filter(Boolean);
        if (environments.length === 0) {
          throw new Error(
            `${entityRef} runs in no environment (${ANNOTATION_ENVIRONMENTS} is empty); name the environments in the step`,
          );
        }
      }
      const rules: K2AlertsDefaultsRule[] =
        ctx.input.rules ??
        DEFAULT_ALERT_TEMPLATES.map(templateId => ({ templateId }));

      // The Alerts API through its typed client, as the template runner: the backend's
      // own words (permission, unknown template, bad parameter) fail the step.
      const client = new K2AlertsClient({
        discoveryApi: discovery,
        fetchApi: fetchAsInitiator({
          auth,
          targetPluginId: 'k2-alerts',
          getInitiatorCredentials: async () => credentials,
        }),
      });

      const created: string[] = [];
      const kept: string[] = [];
      for (const environment of environments) {
        let existing;
        try {
          existing = (await client.getRules(service, environment)).items;
        } catch (error) {
          if (!isPluginNotInstalled(error)) throw error;
          // A portal without the Alerts plugin: the template's alerts step is a
          // no-op there, not a failure.
          ctx.logger.info(
            'The Alerts plugin is not installed in this portal (its API answered 404); no alert rules were created',
          );
          break;
        }
        for (const rule of rules) {
          const same = existing.find(r => r.templateId === rule.templateId);
          if (same) {
            kept.push(same.id);
            ctx.logger.info(
              `${environment}: kept ${same.name} (${rule.templateId}), the rule ${entityRef} already has`,
            );
            continue;
          }
          const input: K2AlertRuleInput = {
            environment,
            name: rule.name ?? ruleNameOf(rule.templateId),
            templateId: rule.templateId,
            ...(rule.parameters ? { parameters: rule.parameters } : {}),
            ...(rule.severity ? { severity: rule.severity } : {}),
            ...(rule.for ? { for: rule.for } : {}),
          };
          const made = await client.createRule(service, input);
          created.push(made.id);
          ctx.logger.info(
            `${environment}: created ${made.name} (${rule.templateId}, ${made.severity}, for ${made.for}); delivery ${made.delivery.state}`,
          );
        }
      }
      ctx.output('created', created);
      ctx.output('kept', kept);
    },
  });
}
