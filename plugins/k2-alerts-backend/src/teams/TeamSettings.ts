import { InputError } from '@backstage/errors';

export type ChannelType = 'notifications' | 'webhook' | 'email';

/** One channel of a team, as stored: a webhook's URL in full (it may carry a token). */
export interface AlertChannel {
  id: string;
  type: ChannelType;
  enabled: boolean;
  /** Message text with `{{ field }}` placeholders. */
  template: string;
  url?: string;
  /** A webhook's JSON body template. */
  payload?: string;
  /** An email's subject template; without it {@link DEFAULT_SUBJECT}. */
  subject?: string;
}

export interface QuietHours {
  timeZone: string;
  /** HH:MM */
  start: string;
  /** HH:MM; before `start` when the window runs over midnight. */
  end: string;
}

export type EscalationTarget = 'team' | 'lead' | 'parent';

export interface EscalationLevel {
  target: EscalationTarget;
  waitSeconds: number;
}

export interface OnCallRota {
  users: string[];
  periodHours: number;
  startsAt: string;
}

/** A team's alert settings. */
export interface TeamAlertSettings {
  channels: AlertChannel[];
  quietHours?: QuietHours;
  /** User ref of the team's lead (escalation level `lead`). */
  lead?: string;
  escalation: EscalationLevel[];
  rota?: OnCallRota;
}

/** An email's subject when its channel has no subject template. */
export const DEFAULT_SUBJECT = '[{{ severity }}] {{ title }} ({{ event }})';

export const DEFAULT_MESSAGE =
  '[{{ severity }}] {{ title }} — {{ service }} ({{ environment }}), {{ event }}. {{ link }}';

/**
 * What a team without settings gets: in-app notifications to its members, escalated to
 * its lead after 15 minutes and to the parent group's members after 30 more.
 */
export const DEFAULT_SETTINGS: TeamAlertSettings = {
  channels: [
    {
      id: 'in-app',
      type: 'notifications',
      enabled: true,
      template: DEFAULT_MESSAGE,
    },
  ],
  escalation: [
    { target: 'team', waitSeconds: 900 },
    { target: 'lead', waitSeconds: 1800 },
    { target: 'parent', waitSeconds: 3600 },
  ],
};

/**
 * Checks what the contract cannot: channel ids unique, the time zone known, a quiet
 * window that is a window, a rota's start a time.
 *
 * @throws InputError naming the field
 */
export function checkSettings(settings: TeamAlertSettings): void {
  const ids = new Set<string>();
  for (const channel of settings.channels) {
    if (ids.has(channel.id)) {
      throw new InputError(`channels: the id ${channel.id} is used twice`);
    }
    ids.add(channel.id);
    if (channel.type !== 'webhook' && (channel.url || channel.payload)) {
      throw new InputError(
        `channels.${channel.id}: only a webhook channel has a url or payload`,
      );
    }
    if (channel.type !== 'email' && channel.subject) {
      throw new InputError(
        `channels.${channel.id}: only an email channel has a subject`,
      );
    }
  }
  if (settings.quietHours) {
    const { timeZone, start, end } = settings.quietHours;
    try {
      Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      throw new InputError(`quietHours.timeZone: ${timeZone} is no time zone`);
    }
    if (start === end) {
      throw new InputError('quietHours: start and end are the same time');
    }
  }
  if (settings.rota && Number.isNaN(Date.parse(settings.rota.startsAt))) {
    throw new InputError('rota.startsAt is not a time');
  }
}

/** Minutes since midnight of `at` in `timeZone`. */
function minutesIn(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const hour = Number(parts.find(p => p.type === 'hour')?.value);
  const minute = Number(parts.find(p => p.type === 'minute')?.value);
  return hour * 60 + minute;
}

const clock = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** Whether `at` falls in the quiet window (start inclusive, end exclusive). */
export function inQuietHours(quiet: QuietHours | undefined, at: Date): boolean {
  if (!quiet) return false;
  const now = minutesIn(at, quiet.timeZone);
  const start = clock(quiet.start);
  const end = clock(quiet.end);
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** The rota's user on call at `at`, or undefined before it starts. */
export function onCall(rota: OnCallRota | undefined, at: Date) {
  if (!rota) return undefined;
  const elapsed = at.getTime() - Date.parse(rota.startsAt);
  if (elapsed < 0) return undefined;
  const turn = Math.floor(elapsed / (rota.periodHours * 3_600_000));
  return rota.users[turn % rota.users.length];
}

/** A webhook URL's scheme and host; the path and query may hold a token. */
export function maskUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const { protocol, host } = new URL(url);
    return `${protocol}//${host}/…`;
  } catch {
    return '…';
  }
}
