import {
  AuditorService,
  AuthService,
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { isK2Service } from '@internal/plugin-k2-common';
import { K2ActivityLog } from '../activity';
import { K2EnvironmentRegistry } from '../environments';

/** Characters of an activity summary kept (the activity log refuses longer ones). */
const MAX_SUMMARY = 2000;

/**
 * Why an action did not happen, in K2's own words: the gate's refusal (built from the
 * validated service ref and config), or the error's name and, unless it is a bad
 * input's (which may quote the request), its message.
 */
function failureSummary(error: Error, allowed: boolean): string {
  if (!allowed) return `Refused: ${error.message}`;
  return error.name === 'InputError'
    ? `Failed (${error.name})`
    : `Failed (${error.name}): ${error.message}`;
}

/** Who acts, and the HTTP request for the audit trail when there is one. */
export interface Caller {
  credentials: BackstageCredentials;
  request?: Parameters<AuditorService['createEvent']>[0]['request'];
}

/** Names the principal in history and the activity log. */
export function actorOf(credentials: BackstageCredentials): string {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (p.type === 'user') return p.userEntityRef!;
  if (p.type === 'service') return `service:${p.subject}`;
  return 'anonymous';
}

/** What a mutating action is about, for its audit event and activity log entry. */
export interface ActionEntry {
  /** The service's entity ref. */
  service: string;
  environment?: string;
  summary: string;
}

/** The permission an action needs, and how a refusal reads. */
export interface ActionAccess {
  permission: ResourcePermission | BasicPermission;
  /** Completes "You may not ... <service>" in the refusal. */
  verb: string;
  /**
   * The resource the permission is about when it is not the service's catalog entity
   * (e.g. a release id for `k2.release.approve`).
   */
  resourceRef?: string;
  /** The whole refusal message, when "You may not <verb> <service>" would not do. */
  refusal?: string;
}

/**
 * The one gate every K2 decision passes: reads ask {@link K2ActionGate.authorize}; every
 * mutating action runs inside {@link K2ActionGate.audited}, which asks the permission
 * framework (and so K2's policy) first, then records an auditor event and an activity
 * log entry whether the action succeeds, fails or is refused. Audit severity follows the
 * environment's `production` flag.
 *
 * The activity log is per service, and a refused or failed action's entry names only
 * what K2 knows: a service the catalog holds as a K2 service (else no entry at all, so
 * nobody writes entries under names of their choosing; the auditor event records it),
 * an environment of the model (else none), and K2's own words for why.
 */
export class K2ActionGate {
  readonly #permissions: PermissionsService;
  readonly #auditor: AuditorService;
  readonly #activity: K2ActivityLog;
  readonly #environments: K2EnvironmentRegistry;
  readonly #catalog: CatalogService;
  readonly #auth: AuthService;

  constructor(options: {
    permissions: PermissionsService;
    auditor: AuditorService;
    activity: K2ActivityLog;
    environments: K2EnvironmentRegistry;
    /** Tells a K2 service from any name a request puts in its URL. */
    catalog: CatalogService;
    auth: AuthService;
  }) {
    this.#permissions = options.permissions;
    this.#auditor = options.auditor;
    this.#activity = options.activity;
    this.#environments = options.environments;
    this.#catalog = options.catalog;
    this.#auth = options.auth;
  }

  /**
   * Asks the permission framework whether the caller may use `access.permission` on
   * the service (or on `access.resourceRef`).
   *
   * @throws NotAllowedError when the policy denies it
   */
  async authorize(
    service: string,
    caller: Caller,
    access: ActionAccess,
  ): Promise<void> {
    const { permission } = access;
    const [decision] = await this.#permissions.authorize(
      [
        'resourceType' in permission
          ? { permission, resourceRef: access.resourceRef ?? service }
          : { permission },
      ],
      { credentials: caller.credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        access.refusal ?? `You may not ${access.verb} ${service}`,
      );
    }
  }

  /**
   * Runs a mutating action once `access` allows it, with its audit event and activity
   * log entry; a refusal is audited and logged too. The action may return a `summary`
   * that replaces the entry's, and the `releaseId` it created.
   */
  async audited<T>(
    caller: Caller,
    eventId: string,
    entry: ActionEntry,
    access: ActionAccess,
    action: () => Promise<T & { releaseId?: string; summary?: string }>,
  ): Promise<T> {
    const event = await this.#auditor.createEvent({
      eventId,
      severityLevel: this.#isProduction(entry.environment) ? 'high' : 'medium',
      request: caller.request,
      meta: { service: entry.service, environment: entry.environment ?? null },
    });
    const actor = actorOf(caller.credentials);
    let result: T & { releaseId?: string; summary?: string };
    let allowed = false;
    try {
      await this.authorize(entry.service, caller, access);
      allowed = true;
      result = await action();
    } catch (error) {
      // Refusals (permissions, bad input, conflicts) are audited and logged too, but
      // the log says only who, which action, which service and environment, and why:
      // the entry's summary may quote the request (a release's image) and so may a
      // bad input's message, so neither is written; the audit event has the error.
      const service = await this.#knownService(entry.service);
      if (service) {
        await this.#activity.record({
          service,
          environment: this.#knownEnvironment(entry.environment),
          summary: failureSummary(error as Error, allowed).slice(
            0,
            MAX_SUMMARY,
          ),
          actor,
          action: eventId,
          result: 'failed',
        });
      }
      await event.fail({ error: error as Error });
      throw error;
    }
    // The action happened: recording it can no longer turn it into an error.
    await this.#activity.record({
      ...entry,
      summary: (result.summary ?? entry.summary).slice(0, MAX_SUMMARY),
      actor,
      action: eventId,
      result: 'succeeded',
      releaseId: result.releaseId,
    });
    await event.success({ meta: { releaseId: result.releaseId ?? null } });
    return result;
  }

  /**
   * The catalog's ref of the K2 service `ref` names, or undefined when the catalog has
   * no such K2 service (or cannot say now: the refusal stands without an entry).
   */
  async #knownService(ref: string): Promise<string | undefined> {
    try {
      const entity = await this.#catalog.getEntityByRef(parseEntityRef(ref), {
        credentials: await this.#auth.getOwnServiceCredentials(),
      });
      return entity && isK2Service(entity)
        ? stringifyEntityRef(entity)
        : undefined;
    } catch {
      return undefined;
    }
  }

  #knownEnvironment(environment: string | undefined): string | undefined {
    return this.#environments.model.environments.some(
      e => e.name === environment,
    )
      ? environment
      : undefined;
  }

  #isProduction(environment: string | undefined): boolean {
    return (
      environment !== undefined &&
      this.#environments.model.environments.some(
        e => e.name === environment && e.production,
      )
    );
  }
}
