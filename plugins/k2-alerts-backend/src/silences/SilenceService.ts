import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Config, readDurationFromConfig } from '@backstage/config';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import {
  ALERT_LABEL_ENTITY,
  ALERT_LABEL_ENVIRONMENT,
} from '@internal/plugin-k2-alerts-common';
import {
  K2ConfigError,
  k2AlertReadPermission,
  k2AlertSilenceManagePermission,
} from '@internal/plugin-k2-common';
import {
  actorOf,
  ActionAccess,
  Caller,
  K2ActionGate,
  K2ResolvedService,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { AlertsRulesConfig } from '../delivery/readAlertsConfig';
import {
  AlertmanagerSilences,
  AmMatcher,
  AmSilence,
} from './AlertmanagerSilences';

/** The longest silence unless `k2.alerts.silences.maxDuration` says otherwise. */
export const DEFAULT_MAX_SILENCE_MS = 7 * 86_400_000;
/** The shortest silence. */
export const MIN_SILENCE_MS = 60_000;

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** The labels K2 sets on every silence and nobody may give. */
const K2_MATCHERS = [ALERT_LABEL_ENTITY, ALERT_LABEL_ENVIRONMENT];

const manage: ActionAccess = {
  permission: k2AlertSilenceManagePermission,
  verb: 'manage the silences of',
};

/** A silence of a service, as the API answers it. */
export type ServiceSilence = {
  id: string;
  environment: string;
  matchers: AmMatcher[];
  startsAt: string;
  endsAt: string;
  updatedAt?: string;
  createdBy: string;
  comment: string;
  state: 'active' | 'pending' | 'expired';
};

export type SilenceInput = {
  environment: string;
  matchers: {
    name: string;
    value: string;
    isRegex?: boolean;
    isEqual?: boolean;
  }[];
  duration: string;
  comment: string;
};

/** `k2.alerts.silences.maxDuration` in milliseconds, read once at start. */
export function readMaxSilenceMs(config: Config): number {
  const key = 'k2.alerts.silences.maxDuration';
  if (!config.has(key)) return DEFAULT_MAX_SILENCE_MS;
  const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  if (!(ms >= MIN_SILENCE_MS)) {
    throw new K2ConfigError(key, 'must be at least 1 minute');
  }
  return ms;
}

function durationMs(text: string): number | undefined {
  if (!/^([0-9]{1,6}[smhd])+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)([smhd])/g)) {
    ms += Number(amount) * UNIT_MS[unit];
  }
  return ms;
}

/**
 * A silence is the service's in an environment when it has K2's equal matchers on the
 * service's `k2_entity` and on that `environment`: one Alertmanager may serve several
 * environments, and each silence is listed under its own.
 */
function belongsTo(silence: AmSilence, entityRef: string, environment: string) {
  const equal = (name: string, value: string) =>
    silence.matchers.some(
      m =>
        m.name === name &&
        m.value === value &&
        !m.isRegex &&
        m.isEqual !== false,
    );
  return (
    equal(ALERT_LABEL_ENTITY, entityRef) &&
    equal(ALERT_LABEL_ENVIRONMENT, environment)
  );
}

/**
 * A service's silences in its environments' Alertmanagers. Every silence K2 makes
 * carries the equal matchers `k2_entity="<the service>"` and `environment="<env>"`,
 * so it can silence no other service's alerts; a service's silences are those with
 * its `k2_entity` matcher, and only those can be expired through it. Alertmanager
 * holds the silences: K2 stores nothing of them. Created by the signed-in user
 * (`createdBy` is their entity ref), with a comment, for 1 minute up to the
 * configured maximum.
 */
export class SilenceService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #alertmanagers: Map<string, AlertmanagerSilences>;
  readonly #maxMs: number;

  constructor(options: {
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    config: AlertsRulesConfig;
    maxSilenceMs: number;
  }) {
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#maxMs = options.maxSilenceMs;
    this.#alertmanagers = new Map();
    for (const env of options.config.environments.values()) {
      if (env.alertmanagerUrl) {
        this.#alertmanagers.set(
          env.name,
          new AlertmanagerSilences(env.alertmanagerUrl),
        );
      }
    }
  }

  /**
   * The service's silences in every environment it runs in that has an Alertmanager,
   * newest first.
   *
   * @throws ServiceUnavailableError when one of those Alertmanagers cannot be reached
   */
  async list(
    ref: CompoundEntityRef,
    caller: Caller,
  ): Promise<ServiceSilence[]> {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, {
      permission: k2AlertReadPermission,
      verb: 'read the alerts of',
    });
    const items: ServiceSilence[] = [];
    for (const environment of this.#environments(service)) {
      const found = await this.#alertmanagers.get(environment)!.list({
        [ALERT_LABEL_ENTITY]: service.ref,
        [ALERT_LABEL_ENVIRONMENT]: environment,
      });
      for (const silence of found) {
        if (belongsTo(silence, service.ref, environment)) {
          items.push(view(silence, environment));
        }
      }
    }
    return items.sort((a, b) => b.startsAt.localeCompare(a.startsAt));
  }

  /**
   * @throws InputError for an environment without Alertmanager or that the service
   * does not run in, a matcher on a label K2 sets, a duration out of bounds or an
   * empty comment
   */
  async create(
    ref: CompoundEntityRef,
    input: SilenceInput,
    caller: Caller,
  ): Promise<ServiceSilence> {
    return this.#gate
      .audited(
        caller,
        'alert-silence-create',
        {
          service: stringifyEntityRef(ref),
          environment: input.environment,
          summary: `Create a silence for ${input.duration}`,
        },
        manage,
        async () => {
          const service = await this.#resolver.service(ref);
          const alertmanager = this.#alertmanager(service, input.environment);
          const matchers = this.#matchers(service, input);
          const ms = durationMs(input.duration);
          if (ms === undefined || ms < MIN_SILENCE_MS || ms > this.#maxMs) {
            throw new InputError(
              `A silence lasts from 1m to ${formatMs(this.#maxMs)}, not '${
                input.duration
              }'`,
            );
          }
          const comment = input.comment.trim();
          if (!comment) throw new InputError('A silence needs a comment');
          const now = Date.now();
          const id = await alertmanager.create({
            matchers,
            startsAt: new Date(now).toISOString(),
            endsAt: new Date(now + ms).toISOString(),
            createdBy: actorOf(caller.credentials),
            comment,
          });
          const silence = view(await alertmanager.get(id), input.environment);
          return {
            ...silence,
            summary: `Silenced ${describe(matchers)} until ${
              silence.endsAt
            } (${id})`,
          };
        },
      )
      .then(({ summary, ...silence }) => silence as ServiceSilence);
  }

  /**
   * @throws NotFoundError for a silence that is not the service's
   * @throws ConflictError for a silence that has expired already
   */
  async expire(ref: CompoundEntityRef, id: string, caller: Caller) {
    await this.#gate.audited(
      caller,
      'alert-silence-expire',
      { service: stringifyEntityRef(ref), summary: `Expire silence ${id}` },
      manage,
      async () => {
        const service = await this.#resolver.service(ref);
        for (const environment of this.#environments(service)) {
          const alertmanager = this.#alertmanagers.get(environment)!;
          let silence: AmSilence;
          try {
            silence = await alertmanager.get(id);
          } catch (error) {
            if ((error as Error).name === 'NotFoundError') continue;
            throw error;
          }
          if (!belongsTo(silence, service.ref, environment)) continue;
          if (silence.status.state === 'expired') {
            throw new ConflictError(`Silence ${id} has expired already`);
          }
          await alertmanager.expire(id);
          return {
            summary: `Expired the silence of ${describe(
              silence.matchers,
            )} in ${environment} (${id})`,
          };
        }
        throw new NotFoundError(
          `${service.entity.metadata.name} has no silence ${id}`,
        );
      },
    );
  }

  /** The service's environments that have an Alertmanager. */
  #environments(service: K2ResolvedService): string[] {
    const names = new Set(service.spec.targets.map(t => t.environment.name));
    return [...names].filter(name => this.#alertmanagers.has(name)).sort();
  }

  #alertmanager(service: K2ResolvedService, environment: string) {
    if (!service.spec.targets.some(t => t.environment.name === environment)) {
      throw new InputError(
        `${service.entity.metadata.name} does not run in '${environment}'`,
      );
    }
    const alertmanager = this.#alertmanagers.get(environment);
    if (!alertmanager) {
      throw new InputError(
        `Environment '${environment}' has no Alertmanager (k2.alerts.environments.${environment}.alertmanager.url)`,
      );
    }
    return alertmanager;
  }

  /** The input's matchers after K2's own, which they may not name. */
  #matchers(service: K2ResolvedService, input: SilenceInput): AmMatcher[] {
    const given = input.matchers.map(m => ({
      name: m.name,
      value: m.value,
      isRegex: m.isRegex ?? false,
      isEqual: m.isEqual ?? true,
    }));
    const reserved = given.find(m => K2_MATCHERS.includes(m.name));
    if (reserved) {
      throw new InputError(
        `K2 sets the matcher on '${reserved.name}' of every silence; it cannot be given`,
      );
    }
    const bad = given.find(m => m.isRegex && !compiles(m.value));
    if (bad) {
      throw new InputError(
        `The matcher on '${bad.name}' is not a regular expression: ${bad.value}`,
      );
    }
    return [
      {
        name: ALERT_LABEL_ENTITY,
        value: service.ref,
        isRegex: false,
        isEqual: true,
      },
      {
        name: ALERT_LABEL_ENVIRONMENT,
        value: input.environment,
        isRegex: false,
        isEqual: true,
      },
      ...given,
    ];
  }
}

function view(silence: AmSilence, environment: string): ServiceSilence {
  return {
    id: silence.id,
    environment,
    matchers: silence.matchers.map(m => ({
      name: m.name,
      value: m.value,
      isRegex: m.isRegex,
      isEqual: m.isEqual !== false,
    })),
    startsAt: silence.startsAt,
    endsAt: silence.endsAt,
    ...(silence.updatedAt ? { updatedAt: silence.updatedAt } : {}),
    createdBy: silence.createdBy,
    comment: silence.comment,
    state: silence.status.state,
  };
}

/** Whether a pattern parses (Alertmanager's RE2 may still refuse a few more). */
function compiles(pattern: string) {
  try {
    return RegExp(`^(?:${pattern})$`) instanceof RegExp;
  } catch {
    return false;
  }
}

function describe(matchers: AmMatcher[]) {
  return matchers
    .map(
      m =>
        `${m.name}${m.isEqual === false ? '!' : ''}${m.isRegex ? '~' : '='}"${
          m.value
        }"`,
    )
    .join(',');
}

function formatMs(ms: number) {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / 60_000)}m`;
}
