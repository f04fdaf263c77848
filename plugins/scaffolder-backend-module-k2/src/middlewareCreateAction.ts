import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  K2MiddlewareInstance,
  K2MiddlewareStoreClient,
} from '@internal/plugin-k2-middleware-store-common';
import { fetchAsInitiator, isPluginNotInstalled, serviceName } from './asUser';

/** States in which the instance will not become ready without someone acting. */
const STOPPED = ['rejected', 'failed', 'deleting', 'deleted', 'expired'];

/** The instance's state with its reason, if it has one. */
function stateOf(instance: K2MiddlewareInstance): string {
  return instance.stateReason
    ? `${instance.state}: ${instance.stateReason}`
    : instance.state;
}

/**
 * `k2:middleware:create`: creates a middleware instance for a service through the
 * Middleware store's API, exactly as the Middleware tab's button does (same template
 * validation, permission checks, unique names, approval and audit), acting as the user
 * who runs the template. In an environment that needs approval the instance waits for
 * an approver and the step ends at once with state `awaiting-approval`; elsewhere the
 * step waits, unless told not to, until the instance is ready.
 */
export function createK2MiddlewareCreateAction(options: {
  auth: AuthService;
  discovery: DiscoveryService;
  /** Poll interval while waiting for readiness; default 2 s. */
  pollIntervalMs?: number;
}) {
  const { auth, discovery } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;

  return createTemplateAction({
    id: 'k2:middleware:create',
    description:
      "Creates a middleware instance (MySQL, Redis, Kafka, ...) for a service in one of its K2 environments from the Middleware store's templates and, unless told not to, waits until it is ready. " +
      'In an environment that needs approval the instance waits for an approver and the step ends with state awaiting-approval. ' +
      'With bind it is bound to the service at once (else bind it on the Middleware tab), so the service’s next release receives its connection env vars. ' +
      'Where the Middleware store is not installed the step logs that and creates nothing (state not-installed).',
    examples: [
      {
        description: 'A Redis for the new service in test, with the defaults',
        example: [
          'steps:',
          '  - id: redis',
          '    action: k2:middleware:create',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
          '      environment: test',
          '      template: redis-7',
          '      name: ${{ parameters.name }}-cache',
        ].join('\n'),
      },
      {
        description:
          'A production MySQL with a larger size preset and more storage, which waits for the approvers',
        example: [
          'steps:',
          '  - id: mysql',
          '    action: k2:middleware:create',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
          '      environment: prod',
          '      template: mysql-8',
          '      name: ${{ parameters.name }}-db',
          '      parameters:',
          '        size: medium',
          '        storageSize: 20Gi',
          '      reason: Orders database of the new service',
        ].join('\n'),
      },
      {
        description:
          'A ZooKeeper in test kept for 14 days, without waiting for it to be ready',
        example: [
          'steps:',
          '  - id: zookeeper',
          '    action: k2:middleware:create',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
          '      environment: test',
          '      template: zookeeper-3',
          '      name: ${{ parameters.name }}-zk',
          '      ttlDays: 14',
          '      wait: false',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        entityRef: z =>
          z
            .string()
            .describe(
              'The service the instance is for, e.g. component:default/payment-gateway',
            ),
        environment: z =>
          z.string().describe('One of the service’s environments, e.g. test'),
        template: z =>
          z
            .string()
            .describe(
              'A template of the Middleware store, e.g. redis-7 or mysql-8 (the App Store page lists them)',
            ),
        name: z =>
          z
            .string()
            .describe(
              'The instance’s name, unique in the environment: lowercase letters, digits and -, starting with a letter, at most 40 characters',
            ),
        parameters: z =>
          z
            .record(z.unknown())
            .optional()
            .describe(
              'Values for the template’s parameters (size, replicas, storageSize, ...); its defaults fill the rest',
            ),
        ttlDays: z =>
          z
            .number()
            .int()
            .positive()
            .optional()
            .describe(
              'Days until it expires, at most the environment’s cap; the environment’s default when left out',
            ),
        reason: z =>
          z
            .string()
            .optional()
            .describe('Why it is needed, shown to the approvers'),
        bind: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Bind the instance to the service at once (default false), so the service’s next release in the environment receives its connection env vars',
            ),
        wait: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Wait until the instance is ready (default true); an instance awaiting approval never holds the step',
            ),
        timeoutSeconds: z =>
          z
            .number()
            .int()
            .positive()
            .optional()
            .describe(
              'How long to wait for readiness before the step fails (default 600); the instance stays',
            ),
      },
      output: {
        instanceId: z =>
          z
            .string()
            .optional()
            .describe('The instance’s id (none when not-installed)'),
        state: z =>
          z
            .string()
            .describe(
              'Its state when the step ended: ready, awaiting-approval, creating when not waiting, or not-installed where the Middleware store is not installed (nothing created)',
            ),
        entityRef: z =>
          z
            .string()
            .optional()
            .describe(
              'The instance’s catalog Resource (none when not-installed)',
            ),
      },
    },
    async handler(ctx) {
      const { entityRef, environment, template, name, parameters } = ctx.input;
      const service = serviceName(entityRef);
      // The Middleware store API through its typed client, as the template runner:
      // the backend's own words (bad parameter, permission, name taken) fail the step.
      const client = new K2MiddlewareStoreClient({
        discoveryApi: discovery,
        fetchApi: fetchAsInitiator({
          auth,
          targetPluginId: 'k2-middleware-store',
          getInitiatorCredentials: () => ctx.getInitiatorCredentials(),
        }),
      });

      let instance: K2MiddlewareInstance;
      try {
        instance = await client.createInstance(service, {
          environment,
          template,
          name,
          parameters,
          ttlDays: ctx.input.ttlDays,
          reason: ctx.input.reason,
        });
      } catch (error) {
        if (!isPluginNotInstalled(error)) throw error;
        // A portal without the Middleware store: the template's middleware step is
        // a no-op there, not a failure.
        ctx.logger.info(
          'The Middleware store is not installed in this portal (its API answered 404); no instance was created',
        );
        ctx.output('state', 'not-installed');
        return;
      }
      ctx.logger.info(
        `Middleware instance ${instance.name} (${instance.template}) of ${entityRef} in ${environment}: ${instance.state}`,
      );
      if (ctx.input.bind) {
        instance = await client.bindInstance(instance.id, service);
        ctx.logger.info(
          `${instance.name} is bound to ${entityRef}: its next release in ${environment} receives the connection env vars`,
        );
      }
      if (instance.state === 'awaiting-approval') {
        ctx.logger.info(
          `${instance.name} waits for an approver of ${environment}; it is created once approved on the Middleware tab`,
        );
      } else if (ctx.input.wait !== false) {
        const timeoutSeconds = ctx.input.timeoutSeconds ?? 600;
        const deadline = Date.now() + timeoutSeconds * 1000;
        let last = '';
        while (instance.state !== 'ready') {
          if (STOPPED.includes(instance.state)) {
            throw new Error(
              `Middleware instance ${instance.name} is ${stateOf(instance)}`,
            );
          }
          if (ctx.signal?.aborted) throw new Error('The task was cancelled');
          if (Date.now() > deadline) {
            throw new Error(
              `Middleware instance ${instance.name} was not ready within ${timeoutSeconds} s ` +
                `(${stateOf(instance)}); it is kept, see the Middleware tab`,
            );
          }
          await new Promise(r => setTimeout(r, pollIntervalMs));
          instance = await client.getInstance(instance.id);
          const progress = instance.replicas
            ? `${stateOf(instance)}, ${instance.replicas.ready}/${
                instance.replicas.desired
              } ready`
            : stateOf(instance);
          if (progress !== last) ctx.logger.info(progress);
          last = progress;
        }
      }
      ctx.output('instanceId', instance.id);
      ctx.output('state', instance.state);
      ctx.output('entityRef', instance.entityRef);
    },
  });
}
