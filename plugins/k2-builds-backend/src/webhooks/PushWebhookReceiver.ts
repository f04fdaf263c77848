import {
  AuditorService,
  AuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { AuthenticationError, InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  parsePushEvent,
  PushEventError,
  verifyWebhookRequest,
  WebhookHeaders,
} from '@internal/git-server';
import type { K2BuildWebhookResult } from '@internal/plugin-k2-builds-common';
import { isK2Service } from '@internal/plugin-k2-common';
import { K2ServiceResolver } from '@internal/plugin-k2-node';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { BuildsConfig } from '../config/readBuildsConfig';
import { BuildStore } from '../database/BuildStore';
import {
  gitEnv,
  normaliseRepositoryUrl,
  resolveRef,
  sourceOf,
} from '../sources';
import { planBuild } from '../builds/BuildPlanner';
import { BuildService } from '../builds/BuildService';
import { ImageRegistries } from '../builds/types';

/** A push body may be this large; a larger one is refused (413) unread. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** How long a delivery id is remembered. */
export const DELIVERY_RETENTION_DAYS = 7;

/** A service of the pushed repository and branch that may not build, and why. */
type Refusal = { service: string; problems: string[] };

/** What the route answers. */
export type WebhookAnswer =
  | { status: 204 }
  | { status: 200 | 202; body: K2BuildWebhookResult };

function header(headers: WebhookHeaders, name: string): string | undefined {
  const value = (headers as Record<string, string | string[] | undefined>)[
    name
  ];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Push webhooks from GitHub, GitLab and K2's local Git server: trusted by their
 * signature alone, each push becomes a build of every K2 service whose source is the
 * pushed repository and whose build branch is the pushed branch. A delivery is acted on
 * once.
 */
export class PushWebhookReceiver {
  constructor(
    private readonly options: {
      config: BuildsConfig;
      store: BuildStore;
      builds: BuildService;
      catalog: CatalogService;
      resolver: Pick<K2ServiceResolver, 'service'>;
      registries: ImageRegistries;
      auth: AuthService;
      auditor: AuditorService;
      logger: LoggerService;
    },
  ) {}

  async receive(
    headers: WebhookHeaders,
    body: Buffer,
    request: Request,
  ): Promise<WebhookAnswer> {
    const { config, store, auditor } = this.options;
    const secret = config.webhookSecret;
    if (!secret || !verifyWebhookRequest(headers, body, secret)) {
      const event = await auditor.createEvent({
        eventId: 'k2.build.webhook',
        severityLevel: 'medium',
        request,
        meta: { verified: false },
      });
      const error = new AuthenticationError('The webhook is not signed for K2');
      await event.fail({ error });
      throw error;
    }
    let push;
    try {
      push = parsePushEvent(headers, body);
    } catch (error) {
      if (error instanceof PushEventError) {
        throw new InputError(`Not a push K2 can read: ${error.message}`);
      }
      throw error;
    }
    if (!push) return { status: 204 };
    if (!push.deleted && push.after.length !== 40) {
      // Builds clone and record SHA-1 commits; a SHA-256 repository's push is refused
      // before anything is recorded, so it is not taken for received.
      throw new InputError(
        `${push.repository.fullName} uses SHA-256 object names (commit ${push.after}); K2 builds repositories with SHA-1 object names only`,
      );
    }

    const deliveryId =
      header(headers, 'x-github-delivery') ??
      header(headers, 'x-gitlab-event-uuid') ??
      `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (!(await store.recordDelivery(deliveryId.slice(0, 200)))) {
      return {
        status: 200,
        body: { builds: [], duplicate: true, message: 'already received' },
      };
    }
    if (push.deleted || !push.branch) {
      return {
        status: 200,
        body: {
          builds: [],
          message: push.deleted
            ? `${push.ref} was deleted; nothing to build`
            : `${push.ref} is not a branch; nothing to build`,
        },
      };
    }
    const branch = push.branch;
    const repository = normaliseRepositoryUrl(push.repository.cloneUrl);
    const queued: K2BuildWebhookResult['builds'] = [];
    let refused: Refusal[] = [];
    try {
      const found = await this.#servicesOf(repository, branch);
      refused = found.refused;
      for (const service of found.matches) {
        const build = await this.options.builds.startFromPush({
          service,
          branch,
          commit: push.after,
          commitMessage: push.headCommit?.message,
          pusher: push.pusher,
          deliveryId,
        });
        queued.push({ service: build.service, number: build.number });
      }
    } catch (error) {
      // Nothing queued for this delivery yet: a redelivery may try again.
      if (queued.length === 0)
        await store.forgetDelivery(deliveryId.slice(0, 200));
      throw error;
    }
    const why = refused
      .map(r => `${r.service} cannot build: ${r.problems.join('; ')}`)
      .join('. ');
    if (queued.length === 0) {
      if (refused.length > 0) {
        // A redelivery once the catalog is corrected builds it.
        await store.forgetDelivery(deliveryId.slice(0, 200));
        return {
          status: 200,
          body: { builds: [], message: `Nothing built: ${why}` },
        };
      }
      return {
        status: 200,
        body: {
          builds: [],
          message: `No K2 service builds ${branch} of ${push.repository.fullName}`,
        },
      };
    }
    return {
      status: 202,
      body:
        refused.length > 0
          ? { builds: queued, message: why }
          : { builds: queued },
    };
  }

  /**
   * The K2 services whose source is `repository` and whose build branch is `branch`:
   * those that build it, and those refused for another owner's image repository or
   * source ({@link BuildService.plan}) with why.
   */
  async #servicesOf(repository: string, branch: string) {
    const { catalog, auth, resolver, config, registries, logger } =
      this.options;
    const { items } = await catalog.getEntities(
      { filter: { kind: 'Component' } },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    const matches = [];
    const refused: Refusal[] = [];
    let defaultBranch: string | undefined;
    for (const entity of items) {
      if (!isK2Service(entity)) continue;
      let source;
      try {
        source = sourceOf(entity);
      } catch {
        continue;
      }
      if (!source || source.key !== repository) continue;
      const service = await resolver.service(stringifyEntityRef(entity));
      const plan = planBuild(service, config, registries.hosts);
      if (plan.problems.length > 0) {
        logger.warn(
          `Push to ${repository}: ${
            service.ref
          } cannot build: ${plan.problems.join('; ')}`,
        );
        continue;
      }
      let wanted = plan.branch;
      if (!wanted) {
        if (!config.sources.some(s => s.host === source!.host)) continue;
        try {
          defaultBranch ??= (
            await resolveRef(
              source.url,
              undefined,
              gitEnv(config.sources, source.url),
            )
          ).ref;
        } catch (error) {
          logger.warn(
            `Push to ${repository}: its default branch could not be read: ${error}`,
          );
          continue;
        }
        wanted = defaultBranch;
      }
      if (wanted !== branch) continue;
      const { problems } = await this.options.builds.plan(service);
      if (problems.length > 0) {
        logger.warn(
          `Push to ${repository}: ${service.ref} cannot build: ${problems.join(
            '; ',
          )}`,
        );
        refused.push({ service: service.ref, problems });
      } else {
        matches.push(service);
      }
    }
    return { matches, refused };
  }

  /** Forgets deliveries older than {@link DELIVERY_RETENTION_DAYS}. */
  async prune(now = new Date()): Promise<number> {
    return this.options.store.pruneDeliveries(
      new Date(now.getTime() - DELIVERY_RETENTION_DAYS * 24 * 60 * 60 * 1000),
    );
  }
}
