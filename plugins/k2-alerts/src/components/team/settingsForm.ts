import type {
  K2AlertChannel,
  K2TeamAlertSettings,
  K2TeamAlertSettingsView,
} from '../../api/K2AlertsApi';

/** A channel type of the contract (`AlertChannel.type`). */
export type ChannelType = K2AlertChannel['type'];

/**
 * Every channel type of the contract, in the order the form offers them. Keyed by the
 * contract's enum, so a type added to the OpenAPI document fails to compile here until
 * it is offered.
 */
const TYPE_ORDER: Record<ChannelType, number> = {
  notifications: 0,
  webhook: 1,
  email: 2,
};
export const CHANNEL_TYPES = (Object.keys(TYPE_ORDER) as ChannelType[]).sort(
  (a, b) => TYPE_ORDER[a] - TYPE_ORDER[b],
);

/** Who an escalation level notifies (`EscalationLevel.target`). */
export type EscalationTarget =
  K2TeamAlertSettings['escalation'][number]['target'];

/**
 * One channel as the form edits it. A stored webhook's URL is never known to the
 * browser: `urlHint` is the backend's masked hint and `url` stays empty unless the user
 * replaces it, in which case the new URL is sent; an empty `url` is left out of the
 * request, so the backend keeps the stored one.
 */
export interface ChannelForm {
  key: string;
  id: string;
  type: ChannelType;
  enabled: boolean;
  template: string;
  payload: string;
  /** An email's subject template; empty for the backend's default. */
  subject: string;
  urlHint?: string;
  url: string;
  /** Why the backend says this channel cannot deliver now (email without its config). */
  problem?: string;
}

export interface LevelForm {
  key: string;
  target: EscalationTarget;
  /** Minutes as typed; sent as whole seconds. */
  minutes: string;
}

/** The settings as the form edits them; every number is kept as typed. */
export interface SettingsForm {
  channels: ChannelForm[];
  quietOn: boolean;
  timeZone: string;
  quietStart: string;
  quietEnd: string;
  lead: string;
  escalation: LevelForm[];
  rotaOn: boolean;
  rotaUsers: string[];
  rotaPeriodHours: string;
  /** A `datetime-local` value in the browser's time zone. */
  rotaStartsAt: string;
}

let keys = 0;
/** A key that tells the form's rows apart while they move and change. */
export const newKey = () => `k${++keys}`;

const two = (n: number) => String(n).padStart(2, '0');

/** An ISO time as a `datetime-local` value in the browser's time zone. */
export function localDateTime(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(
    d.getHours(),
  )}:${two(d.getMinutes())}`;
}

/** A wait in minutes as the form shows it: whole minutes, or to two decimals. */
export const minutesOf = (seconds: number) =>
  String(Math.round((seconds / 60) * 100) / 100);

/** The form for settings as the backend answered them. */
export function formOf(view: K2TeamAlertSettingsView): SettingsForm {
  return {
    channels: view.channels.map(c => ({
      key: newKey(),
      id: c.id,
      type: c.type,
      enabled: c.enabled,
      template: c.template,
      payload: c.payload ?? '',
      subject: c.subject ?? '',
      urlHint: c.urlHint,
      problem: c.problem,
      url: '',
    })),
    quietOn: Boolean(view.quietHours),
    timeZone:
      view.quietHours?.timeZone ??
      new Intl.DateTimeFormat().resolvedOptions().timeZone,
    quietStart: view.quietHours?.start ?? '22:00',
    quietEnd: view.quietHours?.end ?? '07:00',
    lead: view.lead ?? '',
    escalation: view.escalation.map(l => ({
      key: newKey(),
      target: l.target,
      minutes: minutesOf(l.waitSeconds),
    })),
    rotaOn: Boolean(view.rota),
    rotaUsers: view.rota?.users ?? [],
    rotaPeriodHours: String(view.rota?.periodHours ?? 168),
    rotaStartsAt: localDateTime(
      view.rota?.startsAt ?? new Date().toISOString(),
    ),
  };
}

/**
 * The request for a form: only what the contract takes (no hints, no row keys), a
 * webhook's `url` only when the user typed a new one, the optional parts only when on.
 */
export function settingsOf(form: SettingsForm): K2TeamAlertSettings {
  return {
    channels: form.channels.map(c => ({
      id: c.id,
      type: c.type,
      enabled: c.enabled,
      template: c.template,
      ...(c.type === 'webhook' && c.payload.trim()
        ? { payload: c.payload }
        : {}),
      ...(c.type === 'webhook' && c.url.trim() ? { url: c.url.trim() } : {}),
      ...(c.type === 'email' && c.subject.trim() ? { subject: c.subject } : {}),
    })),
    ...(form.quietOn
      ? {
          quietHours: {
            timeZone: form.timeZone,
            start: form.quietStart,
            end: form.quietEnd,
          },
        }
      : {}),
    ...(form.lead ? { lead: form.lead } : {}),
    escalation: form.escalation.map(l => ({
      target: l.target,
      waitSeconds: Math.round(Number(l.minutes) * 60),
    })),
    ...(form.rotaOn
      ? {
          rota: {
            users: form.rotaUsers,
            periodHours: Number(form.rotaPeriodHours),
            startsAt: new Date(form.rotaStartsAt).toISOString(),
          },
        }
      : {}),
  };
}

/** Where a refusal belongs on the page: a section, or one channel by its id. */
export type SettingsField =
  | { section: 'channels'; channelId?: string }
  | { section: 'quietHours' | 'escalation' | 'lead' | 'rota' };

const SECTIONS = ['quietHours', 'escalation', 'lead', 'rota'] as const;

/**
 * The part of the form a 400 names, from its message: K2's own refusals start with the
 * field (`channels.dingtalk: …`, `quietHours.timeZone: …`), the contract's validator
 * names the body's path (`…/body/channels/1/url must match…`). Undefined when it names
 * none.
 */
export function fieldOfRefusal(
  message: string,
  channels: Pick<ChannelForm, 'id'>[],
): SettingsField | undefined {
  const own = message.match(/^channels\.([a-z0-9][a-z0-9-]*)/);
  if (own) return { section: 'channels', channelId: own[1] };
  const path = message.match(/body\/channels\/(\d+)/);
  if (path) {
    return { section: 'channels', channelId: channels[Number(path[1])]?.id };
  }
  if (/^channels\b|body\/channels\b/.test(message)) {
    return { section: 'channels' };
  }
  const section = SECTIONS.find(name =>
    new RegExp(`^${name}\\b|body/${name}\\b`).test(message),
  );
  return section ? { section } : undefined;
}

/** Checks the form the way the contract will, so Save says what to fix first. */
export function formProblems(form: SettingsForm): {
  channels?: string;
  escalation?: string;
  rota?: string;
  quietHours?: string;
} {
  const problems: ReturnType<typeof formProblems> = {};
  const ids = form.channels.map(c => c.id);
  if (new Set(ids).size !== ids.length) problems.channels = 'duplicateId';
  if (
    form.escalation.some(l => {
      const seconds = Math.round(Number(l.minutes) * 60);
      return !(seconds >= 1 && seconds <= 86400);
    })
  ) {
    problems.escalation = 'wait';
  }
  if (form.quietOn && form.quietStart === form.quietEnd) {
    problems.quietHours = 'sameTime';
  }
  if (form.rotaOn) {
    const hours = Number(form.rotaPeriodHours);
    if (form.rotaUsers.length === 0) problems.rota = 'noUsers';
    else if (!Number.isInteger(hours) || hours < 1 || hours > 2160)
      problems.rota = 'period';
    else if (Number.isNaN(Date.parse(form.rotaStartsAt)))
      problems.rota = 'start';
  }
  return problems;
}
