import {
  AuditorService,
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import type { Request } from 'express';
import { NewActivity } from '../database/ReleaseStore';

/** Who acts, and the HTTP request for the audit trail when there is one. */
export interface Caller {
  credentials: BackstageCredentials;
  request?: Request;
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
  service: string;
  environment?: string;
  summary: string;
}

/**
 * The gate every K2 action passes: a permission decision for the service, then the
 * action itself wrapped in an auditor event and a per-service activity log entry,
 * whether it succeeds or is refused.
 */
export class ActionGate {
  readonly #permissions: PermissionsService;
  readonly #auditor: AuditorService;
  readonly #activity: { addActivity(activity: NewActivity): Promise<void> };

  constructor(options: {
    permissions: PermissionsService;
    auditor: AuditorService;
    activity: { addActivity(activity: NewActivity): Promise<void> };
  }) {
    this.#permissions = options.permissions;
    this.#auditor = options.auditor;
    this.#activity = options.activity;
  }

  /** @throws NotAllowedError when the policy denies `permission` on `service` */
  async authorize(
    permission: ResourcePermission<'catalog-entity'> | BasicPermission,
    service: string,
    caller: Caller,
    what: string,
  ): Promise<void> {
    const [decision] = await this.#permissions.authorize(
      [
        'resourceType' in permission
          ? { permission, resourceRef: service }
          : { permission },
      ],
      { credentials: caller.credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`You may not ${what} ${service}`);
    }
  }

  /**
   * Runs a mutating action, if `access.permission` allows it on the entry's service, with
   * its audit event and activity log entry; a refusal is audited and logged too. The
   * action may return a `summary` that replaces the entry's, and the `releaseId` it
   * created.
   */
  async audited<T>(
    caller: Caller,
    eventId: string,
    entry: ActionEntry,
    access: {
      permission: ResourcePermission<'catalog-entity'> | BasicPermission;
      /** Completes "You may not ... <service>" in the refusal. */
      verb: string;
    },
    action: () => Promise<T & { releaseId?: string; summary?: string }>,
  ): Promise<T> {
    const event = await this.#auditor.createEvent({
      eventId,
      severityLevel: entry.environment === 'prod' ? 'high' : 'medium',
      request: caller.request,
      meta: { service: entry.service, environment: entry.environment ?? null },
    });
    const actor = actorOf(caller.credentials);
    try {
      await this.authorize(
        access.permission,
        entry.service,
        caller,
        access.verb,
      );
      const result = await action();
      await this.#activity.addActivity({
        ...entry,
        summary: result.summary ?? entry.summary,
        actor,
        action: eventId,
        result: 'succeeded',
        releaseId: result.releaseId,
      });
      await event.success({
        meta: { releaseId: result.releaseId ?? null },
      });
      return result;
    } catch (error) {
      // Refusals (permissions, bad input, conflicts) are audited and logged too.
      await this.#activity.addActivity({
        ...entry,
        summary: `${entry.summary}: ${(error as Error).message}`,
        actor,
        action: eventId,
        result: 'failed',
      });
      await event.fail({ error: error as Error });
      throw error;
    }
  }
}
