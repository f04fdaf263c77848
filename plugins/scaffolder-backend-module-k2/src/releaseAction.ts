import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { K2DeployClient } from '@internal/plugin-k2-deploy-common';
import { fetchAsInitiator, serviceName } from './asUser';

const FINISHED = ['succeeded', 'failed', 'timed-out', 'rejected'];

/**
 * `k2:release`: releases a service through K2's release engine, exactly as the Deploy
 * tab's button does (same validation, permission checks, one-in-flight rule, audit and
 * approvals), acting as the user who runs the template. `volumes` and `configFiles`
 * go to the engine as given: left out, the running release's mounts are kept; an
 * empty list unmounts them all.
 */
export function createK2ReleaseAction(options: {
  auth: AuthService;
  discovery: DiscoveryService;
  /** Poll interval while waiting for the rollout; default 2 s. */
  pollIntervalMs?: number;
}) {
  const { auth, discovery } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;

  return createTemplateAction({
    id: 'k2:release',
    description:
      'Releases a service to a K2 environment and, unless told not to, waits for the rollout to finish. ' +
      'It can mount volumes from the Storage tab and config files from the Config tab (each at a version, or its latest); ' +
      'a list left out keeps what the running release mounts, an empty list unmounts them all.',
    examples: [
      {
        description: 'Release the new service to test',
        example: [
          'steps:',
          '  - id: release',
          '    action: k2:release',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
          '      environment: test',
          '      image: registry.example.com/team/${{ parameters.name }}:0.1.0',
        ].join('\n'),
      },
      {
        description:
          'Release to test with the data volume and version 3 of application.yaml mounted',
        example: [
          'steps:',
          '  - id: release',
          '    action: k2:release',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
          '      environment: test',
          '      image: 0.2.0',
          '      volumes:',
          '        - volume: data',
          '          mountPath: /data',
          '          readOnly: false',
          '      configFiles:',
          '        - file: application.yaml',
          '          version: 3',
          '          mountPath: /app/config/application.yaml',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        entityRef: z =>
          z
            .string()
            .describe('The service, e.g. component:default/payment-gateway'),
        environment: z => z.string().describe('The environment, e.g. test'),
        image: z =>
          z
            .string()
            .describe(
              'A full image reference, or a tag of the k2.io/image repository',
            ),
        replicas: z => z.number().int().optional().describe('Total replicas'),
        volumes: z =>
          z
            .array(
              z.object({
                volume: z
                  .string()
                  .describe("The volume's name on the Storage tab, e.g. data"),
                mountPath: z
                  .string()
                  .describe('Absolute path in the container'),
                readOnly: z.boolean().describe('Mount it read-only'),
                subPath: z
                  .string()
                  .optional()
                  .describe('A directory inside the volume to mount instead'),
              }),
            )
            .optional()
            .describe(
              "Volumes to mount; left out, the running release's are kept, an empty list unmounts them all",
            ),
        configFiles: z =>
          z
            .array(
              z.object({
                file: z
                  .string()
                  .describe(
                    "The config file's name on the Config tab, e.g. application.yaml",
                  ),
                version: z
                  .number()
                  .int()
                  .positive()
                  .optional()
                  .describe('The version to mount; its latest when left out'),
                mountPath: z
                  .string()
                  .describe('Absolute path of the file in the container'),
              }),
            )
            .optional()
            .describe(
              "Config files to mount, each as one read-only file; left out, the running release's are kept, an empty list unmounts them all",
            ),
        message: z => z.string().optional().describe('Why: shown in history'),
        wait: z =>
          z
            .boolean()
            .optional()
            .describe('Wait until the rollout finishes (default true)'),
      },
      output: {
        releaseId: z => z.string(),
        number: z => z.number(),
        status: z => z.string(),
      },
    },
    async handler(ctx) {
      const {
        entityRef,
        environment,
        image,
        replicas,
        volumes,
        configFiles,
        message,
      } = ctx.input;
      const service = serviceName(entityRef);
      // The Deploy API through its typed client, as the template runner: the engine's
      // own words (bad input, permission, conflict) fail the step.
      const client = new K2DeployClient({
        discoveryApi: discovery,
        fetchApi: fetchAsInitiator({
          auth,
          targetPluginId: 'k2-deploy',
          getInitiatorCredentials: () => ctx.getInitiatorCredentials(),
        }),
      });

      let release = await client.release(service, {
        environment,
        image,
        replicas,
        volumes,
        configFiles,
        message,
      });
      ctx.logger.info(
        `Release #${release.number} of ${entityRef} to ${environment}: ${release.status}`,
      );
      if (ctx.input.wait !== false) {
        let last = '';
        while (
          !FINISHED.includes(release.status) &&
          release.status !== 'pending-approval'
        ) {
          if (ctx.signal?.aborted) throw new Error('The task was cancelled');
          await new Promise(r => setTimeout(r, pollIntervalMs));
          release = await client.getRelease(release.id);
          const progress = release.progress
            .map(p => `${p.cluster} ${p.ready}/${p.replicas} ready`)
            .join(', ');
          if (progress !== last)
            ctx.logger.info(`${release.status}: ${progress}`);
          last = progress;
        }
        if (release.status === 'pending-approval') {
          ctx.logger.info(
            `Release #${release.number} waits for an approver; it continues once approved on the Deploy tab`,
          );
        } else if (release.status !== 'succeeded') {
          throw new Error(
            `Release #${release.number} ${release.status}: ${
              release.reason ?? ''
            }`,
          );
        }
      }
      ctx.output('releaseId', release.id);
      ctx.output('number', release.number);
      ctx.output('status', release.status);
    },
  });
}
