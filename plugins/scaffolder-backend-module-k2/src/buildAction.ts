import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  isBuildFinished,
  K2Build,
  K2BuildsClient,
} from '@internal/plugin-k2-builds-common';
import { K2ApiError } from '@internal/plugin-k2-common';
import { fetchAsInitiator, K2ServiceName, serviceName } from './asUser';

/** Lines of the log a failed build's step error ends with. */
export const BUILD_LOG_TAIL_LINES = 50;

/**
 * `k2:build`: builds a service's image through K2's Builds API, exactly as the Build
 * button of the Builds tab does (same resolution of the ref, permission check, queue,
 * audit and activity entry), acting as the user who runs the template; then, unless
 * told not to, waits for the build and outputs what it built. A build that does not
 * succeed fails the step with its reason and the last lines of its log.
 *
 * A service a template registered a moment ago may not have reached the Builds
 * backend yet: a 404 is asked again for up to `registrationWaitMs` (60 s).
 */
export function createK2BuildAction(options: {
  auth: AuthService;
  discovery: DiscoveryService;
  /** Poll interval while waiting for the build; default 2 s. */
  pollIntervalMs?: number;
  /** How long a 404 for the service is retried; default 60 s. */
  registrationWaitMs?: number;
}) {
  const { auth, discovery } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const registrationWaitMs = options.registrationWaitMs ?? 60_000;

  return createTemplateAction({
    id: 'k2:build',
    description:
      'Builds a service’s image from its repository (k2.io/build-branch, else the default branch, or the ref given) with its own or a generated Dockerfile and pushes it to its registry, as the user running the template. ' +
      'Waits for the build unless told not to and outputs the commit, the image and the digest the registry answers. ' +
      'A failed build fails the step with the last 50 lines of its log. ' +
      'With releaseTo (default: the service’s k2.io/build-release; null for none) a succeeded build is released there by the Builds backend.',
    examples: [
      {
        description:
          'Build the new service, then release the image to test with k2:release',
        example: [
          'steps:',
          '  - id: build',
          '    action: k2:build',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
          '      releaseTo: null',
          '  - id: release',
          '    action: k2:release',
          '    input:',
          '      entityRef: component:default/${{ parameters.name }}',
          '      environment: test',
          '      image: ${{ steps.build.output.image }}',
        ].join('\n'),
      },
      {
        description:
          'Build tag v1.2.0 as image tag 1.2.0 and let the Builds backend release it to test',
        example: [
          'steps:',
          '  - id: build',
          '    action: k2:build',
          '    input:',
          '      entityRef: component:default/payment-gateway',
          '      ref: v1.2.0',
          '      tag: 1.2.0',
          '      releaseTo: test',
        ].join('\n'),
      },
      {
        description: 'Start a build and go on without waiting for it',
        example: [
          'steps:',
          '  - id: build',
          '    action: k2:build',
          '    input:',
          '      entityRef: component:default/payment-gateway',
          '      wait: false',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        entityRef: z =>
          z
            .string()
            .describe('The service, e.g. component:default/payment-gateway'),
        ref: z =>
          z
            .string()
            .optional()
            .describe(
              'A branch or tag; default k2.io/build-branch, else the repository’s default branch',
            ),
        tag: z =>
          z
            .string()
            .optional()
            .describe(
              'The image tag; default the commit’s first 12 hex digits',
            ),
        releaseTo: z =>
          z
            .string()
            .nullable()
            .optional()
            .describe(
              'An environment (without required approval) a succeeded build is released to; default the service’s k2.io/build-release; null: no release',
            ),
        wait: z =>
          z
            .boolean()
            .optional()
            .describe('Wait until the build ends (default true)'),
      },
      output: {
        buildId: z => z.string(),
        number: z => z.number().describe('The build’s number in the service'),
        status: z => z.string(),
        commit: z => z.string().optional().describe('The commit built'),
        image: z =>
          z.string().describe('The image built, registry/repository:tag'),
        digest: z =>
          z
            .string()
            .optional()
            .describe('The digest the registry answers for the image'),
        releaseId: z =>
          z
            .string()
            .optional()
            .describe('The release the Builds backend started, when it did'),
      },
    },
    async handler(ctx) {
      const { entityRef, ref, tag, releaseTo } = ctx.input;
      const service = serviceName(entityRef);
      const fetchApi = fetchAsInitiator({
        auth,
        targetPluginId: 'k2-builds',
        getInitiatorCredentials: () => ctx.getInitiatorCredentials(),
      });
      // The Builds API through its typed client, as the template runner: the
      // backend's own words (bad ref, permission, configuration) fail the step.
      const client = new K2BuildsClient({ discoveryApi: discovery, fetchApi });
      const input = {
        ...(ref ? { ref } : {}),
        ...(tag ? { tag } : {}),
        ...(releaseTo !== undefined ? { releaseTo } : {}),
      };

      let build = await startWhenKnown(() => client.startBuild(service, input));
      ctx.logger.info(
        `Build #${build.number} of ${entityRef} (${build.ref}${
          build.commit ? ` at ${build.commit.slice(0, 12)}` : ''
        }) → ${build.image}: ${build.status}`,
      );

      if (ctx.input.wait !== false) {
        let last = build.status;
        while (!isBuildFinished(build.status)) {
          if (ctx.signal?.aborted) {
            const number = build.number;
            let cancelled = `build #${number} was cancelled too`;
            try {
              await client.cancelBuild(service, number);
            } catch (error) {
              cancelled = `build #${number} could not be cancelled: ${
                (error as Error).message
              }`;
            }
            throw new Error(`The task was cancelled; ${cancelled}`);
          }
          await new Promise(r => setTimeout(r, pollIntervalMs));
          build = await client.getBuild(service, build.number);
          if (build.status !== last) {
            ctx.logger.info(`Build #${build.number}: ${build.status}`);
            last = build.status;
          }
        }
        if (build.status !== 'succeeded') {
          const tail = await logTail(service, build);
          throw new Error(
            `Build #${build.number} of ${entityRef} ${build.status}${
              build.reason ? `: ${build.reason}` : ''
            }${tail ? `\n--- last lines of its log ---\n${tail}` : ''}`,
          );
        }
        ctx.logger.info(
          `Build #${build.number} pushed ${build.image}${
            build.imageDigest ? ` (${build.imageDigest})` : ''
          }${
            build.release
              ? `; release #${build.release.number} to ${build.release.environment} started`
              : ''
          }`,
        );
      }

      ctx.output('buildId', build.id);
      ctx.output('number', build.number);
      ctx.output('status', build.status);
      ctx.output('image', build.image);
      if (build.commit) ctx.output('commit', build.commit);
      if (build.imageDigest) ctx.output('digest', build.imageDigest);
      if (build.release) ctx.output('releaseId', build.release.id);

      /** Starts the build, asking again while the service is not known yet (404). */
      async function startWhenKnown(start: () => Promise<K2Build>) {
        const deadline = Date.now() + registrationWaitMs;
        for (let attempt = 0; ; attempt++) {
          try {
            return await start();
          } catch (error) {
            if (
              !(error instanceof K2ApiError) ||
              error.statusCode !== 404 ||
              Date.now() >= deadline
            ) {
              throw error;
            }
            if (attempt === 0) {
              ctx.logger.info(
                `${entityRef} is not known to the Builds backend yet (${
                  error.message
                }); asking again for up to ${Math.round(
                  registrationWaitMs / 1000,
                )} s while the catalog processes it`,
              );
            }
            if (ctx.signal?.aborted) throw new Error('The task was cancelled');
            await new Promise(r => setTimeout(r, pollIntervalMs));
          }
        }
      }

      /** The last lines of the build's log, or '' when it cannot be read. */
      async function logTail(name: K2ServiceName, finished: K2Build) {
        try {
          const base = await discovery.getBaseUrl('k2-builds');
          const response = await fetchApi.fetch(
            `${base}/services/${encodeURIComponent(
              name.namespace,
            )}/${encodeURIComponent(name.name)}/builds/${finished.number}/logs`,
          );
          if (!response.ok) {
            ctx.logger.warn(
              `The log of build #${finished.number} could not be read: ${
                (await K2ApiError.fromResponse(response)).message
              }`,
            );
            return '';
          }
          const lines = (await response.text()).replace(/\n$/, '').split('\n');
          return lines.slice(-BUILD_LOG_TAIL_LINES).join('\n');
        } catch (error) {
          ctx.logger.warn(
            `The log of build #${finished.number} could not be read: ${
              (error as Error).message
            }`,
          );
          return '';
        }
      }
    },
  });
}
