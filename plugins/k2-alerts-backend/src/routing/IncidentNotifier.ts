import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { Knex } from 'knex';
import { Incident, IncidentStore } from '../incidents/IncidentStore';
import { renderText } from '../channels/render';
import { Channel } from '../channels/types';
import {
  AlertChannel,
  ChannelType,
  TeamAlertSettings,
} from '../teams/TeamSettings';
import { inQuietHours, onCall } from '../teams/TeamSettings';
import { TeamSettingsService } from '../teams/TeamSettingsService';
import { Notice, NoticeStore } from './NoticeStore';
import { NotifyMarks } from './NotifyMarks';
import { TeamDirectory } from './TeamDirectory';

/** What happened to an incident that its team hears of. */
export type IncidentEvent = 'opened' | 'repeat' | 'escalated' | 'resolved';

/** Resolved messages sent per round at most; the rest wait for the next round. */
const RESOLVED_PER_ROUND = 500;

/** The Alerts tab's URL of an incident: its drawer, with the Acknowledge button. */
export function incidentLink(baseUrl: string, incident: Incident): string {
  const { namespace, name } = parseEntityRef(incident.entityRef);
  return `${baseUrl}/catalog/${namespace}/component/${name}/alerts?incident=${incident.id}`;
}

/**
 * The link that opens an incident's drawer asking its reader to acknowledge it: one
 * click there, as the signed-in user the policy checks (opening a link changes nothing,
 * so a mail scanner that follows it acknowledges nothing).
 */
export function acknowledgeLink(link: string): string {
  return `${link}&acknowledge=1`;
}

/** The fields a message template may name, for an incident. */
export function messageFields(
  incident: Incident,
  event: IncidentEvent,
  extra: { link: string; team: string; level: number },
): Record<string, string> {
  return {
    id: incident.id,
    title: incident.title,
    service: parseEntityRef(incident.entityRef).name,
    entityRef: incident.entityRef,
    environment: incident.environment,
    severity: incident.severity,
    rule: incident.ruleKey,
    status: incident.status,
    event,
    openedAt: incident.openedAt,
    firing: String(incident.firingCount),
    resolvedAt: incident.resolvedAt ?? '',
    resolvedBy: incident.resolvedBy ?? '',
    team: extra.team,
    level: String(extra.level),
    link: extra.link,
    acknowledgeLink: acknowledgeLink(extra.link),
  };
}

/** An incident's team and that team's alert settings. */
export type Routed = { team: string; settings: TeamAlertSettings };

/** The incident group a turn to notify belongs to. */
const groupOf = (incident: Incident) =>
  `${incident.entityRef}|${incident.environment}|${incident.ruleKey}`;

/**
 * Routes incident events to the owning team's channels (see docs/alerts.md, "Routing
 * and notifications").
 *
 * Invariants: an opening or repeat of an incident group (service, environment, rule)
 * is sent at most once per repeat interval, however often it is delivered or flaps;
 * during the team's quiet hours only critical incidents are sent; a channel's failure
 * is logged (without its URL) and never stops the other channels. The channels that
 * delivered a message about an incident, and the users they reached, are told once
 * when it resolves (see {@link IncidentNotifier.notifyResolved}); an incident none
 * was told of gets no resolved message.
 */
export class IncidentNotifier {
  readonly #teams: TeamSettingsService;
  readonly #directory: TeamDirectory;
  readonly #channels: Record<ChannelType, Channel>;
  readonly #marks: NotifyMarks;
  readonly #notices: NoticeStore;
  readonly #incidents: Pick<IncidentStore, 'getIncident'>;
  readonly #repeatIntervalMs: number;
  readonly #baseUrl: string;
  readonly #logger: LoggerService;

  constructor(options: {
    teams: TeamSettingsService;
    directory: TeamDirectory;
    channels: Record<ChannelType, Channel>;
    marks: NotifyMarks;
    notices: NoticeStore;
    incidents: Pick<IncidentStore, 'getIncident'>;
    repeatIntervalMs: number;
    /** The app's base URL, for links to the incident. */
    baseUrl: string;
    logger: LoggerService;
  }) {
    this.#teams = options.teams;
    this.#directory = options.directory;
    this.#channels = options.channels;
    this.#marks = options.marks;
    this.#notices = options.notices;
    this.#incidents = options.incidents;
    this.#repeatIntervalMs = options.repeatIntervalMs;
    this.#baseUrl = options.baseUrl;
    this.#logger = options.logger;
  }

  /**
   * The team's settings (stored or defaults) and ref, for the incident's service.
   * `read`, shared by the calls of one batch of incidents, keeps each team's settings
   * as first read, so a batch of incidents of many services of one team reads them
   * once; without it they are read afresh.
   */
  async settingsOf(
    incident: Incident,
    read = new Map<string, Promise<TeamAlertSettings>>(),
  ): Promise<Routed | undefined> {
    const team = await this.#directory.owner(incident.entityRef);
    if (!team) return undefined;
    let settings = read.get(team);
    if (!settings) {
      settings = this.#teams.settingsOf(team);
      read.set(team, settings);
    }
    return { team, settings: await settings };
  }

  /**
   * Notifies the incident's team of an event: `level` is the escalation level whose
   * target hears of it (1 for an opening). Returns how many messages went out.
   */
  async notify(
    incident: Incident,
    event: IncidentEvent,
    level = 1,
    now = new Date(),
  ): Promise<number> {
    const routed = await this.settingsOf(incident);
    if (!routed) return 0;
    const { settings } = routed;
    if (
      incident.severity !== 'critical' &&
      inQuietHours(settings.quietHours, now)
    ) {
      return 0;
    }
    if (event === 'opened' || event === 'repeat') {
      if (
        !(await this.#marks.take(
          groupOf(incident),
          this.#repeatIntervalMs,
          now,
        ))
      ) {
        return 0;
      }
    }
    const told = await this.#send(incident, event, level, now, routed);
    if (told) await this.#notices.add(told);
    return told?.channels.length ?? 0;
  }

  /**
   * Notifies the teams of incidents one delivery opened, as {@link
   * IncidentNotifier.notify} does for each, with the groups' turns taken in one
   * transaction. `routed` is each incident's {@link IncidentNotifier.settingsOf}.
   * `before` runs first in that transaction (escalation arms the incidents there), so
   * a batch commits once before its messages are sent and once after (who was told).
   * When `before` answers the ids of the incidents it took, only those are notified
   * (another routing of the others got them first).
   */
  async notifyOpened(
    items: Array<{ incident: Incident; routed?: Routed }>,
    now = new Date(),
    before?: (trx: Knex.Transaction) => Promise<void | Set<string>>,
  ): Promise<void> {
    let eligible = items.filter(
      (item): item is { incident: Incident; routed: Routed } =>
        item.routed !== undefined &&
        (item.incident.severity === 'critical' ||
          !inQuietHours(item.routed.settings.quietHours, now)),
    );
    const taken = await this.#marks.takeAll(
      eligible.map(({ incident }) => groupOf(incident)),
      this.#repeatIntervalMs,
      now,
      before &&
        (async trx => {
          const ours = await before(trx);
          if (!ours) return undefined;
          eligible = eligible.filter(({ incident }) => ours.has(incident.id));
          const groups = new Set(
            eligible.map(({ incident }) => groupOf(incident)),
          );
          return (group: string) => groups.has(group);
        }),
    );
    const told: Notice[] = [];
    for (const { incident, routed } of eligible) {
      if (!taken.delete(groupOf(incident))) continue;
      try {
        const notice = await this.#send(incident, 'opened', 1, now, routed);
        if (notice) told.push(notice);
      } catch (error) {
        this.#logger.error(
          `Routing incident ${incident.id} failed: ${(error as Error).message}`,
        );
      }
    }
    await this.#notices.addOpened(told);
  }

  /**
   * Sends one "resolved" message for each incident that resolved (its alerts, or by
   * hand) after its team was told of it: to the channels that delivered those
   * messages (as the team's settings have them now, if still enabled) and the users
   * they reached. During the team's quiet hours only critical incidents' are sent;
   * the others are dropped, not kept for the morning. Each is taken from the store
   * first, so two replicas send it once. Returns how many messages went out.
   */
  async notifyResolved(now = new Date()): Promise<number> {
    let sent = 0;
    for (const notice of await this.#notices.resolved(RESOLVED_PER_ROUND)) {
      if (!(await this.#notices.take(notice.incidentId))) continue;
      try {
        const found = await this.#incidents.getIncident(notice.incidentId);
        if (!found) continue;
        const { incident } = found;
        const settings = await this.#teams.settingsOf(notice.team);
        if (
          incident.severity !== 'critical' &&
          inQuietHours(settings.quietHours, now)
        ) {
          continue;
        }
        const channels = settings.channels.filter(
          c => c.enabled && notice.channels.includes(c.id),
        );
        sent += (
          await this.#deliver(incident, 'resolved', notice.level, {
            team: notice.team,
            channels,
            recipients: notice.recipients,
          })
        ).length;
      } catch (error) {
        this.#logger.error(
          `The resolved message of incident ${notice.incidentId} failed: ${
            (error as Error).message
          }`,
        );
      }
    }
    return sent;
  }

  /** Sends to the level's target; who was told, when any channel delivered. */
  async #send(
    incident: Incident,
    event: IncidentEvent,
    level: number,
    now: Date,
    { team, settings }: Routed,
  ): Promise<Notice | undefined> {
    const recipients = await this.recipients(team, settings, level, now);
    const channels = await this.#deliver(incident, event, level, {
      team,
      channels: settings.channels.filter(c => c.enabled),
      recipients,
    });
    return channels.length
      ? { incidentId: incident.id, team, channels, recipients, level }
      : undefined;
  }

  /** Sends the message to each channel; the ids of those that delivered it. */
  async #deliver(
    incident: Incident,
    event: IncidentEvent,
    level: number,
    to: { team: string; channels: AlertChannel[]; recipients: string[] },
  ): Promise<string[]> {
    const { team, recipients } = to;
    const link = incidentLink(this.#baseUrl, incident);
    const fields = messageFields(incident, event, { link, team, level });
    const delivered: string[] = [];
    for (const channel of to.channels) {
      try {
        await this.#channels[channel.type].send({
          channel,
          recipients,
          title: `[${event === 'resolved' ? 'resolved' : incident.severity}] ${
            incident.title
          }`,
          text: renderText(channel.template, fields),
          link,
          severity: incident.severity,
          fields,
        });
        delivered.push(channel.id);
      } catch (error) {
        this.#logger.warn(
          `Alert channel ${channel.id} (${
            channel.type
          }) of ${team} failed for incident ${incident.id}: ${
            (error as Error).message
          }`,
        );
      }
    }
    return delivered;
  }

  /**
   * Who an escalation level reaches: `team` the rota's user on call (or every member
   * without a rota), `lead` the settings' lead or the group's annotated one, `parent`
   * the parent group's members. A level without anyone falls back to the team.
   */
  async recipients(
    team: string,
    settings: TeamAlertSettings,
    level: number,
    now = new Date(),
  ): Promise<string[]> {
    const target = settings.escalation[level - 1]?.target ?? 'team';
    if (target === 'lead') {
      const lead = settings.lead ?? (await this.#directory.lead(team));
      if (lead) return [lead.toLocaleLowerCase('en-US')];
    }
    if (target === 'parent') {
      const parent = await this.#directory.parent(team);
      const members = parent ? await this.#directory.members(parent) : [];
      if (members.length) return members;
    }
    const current = onCall(settings.rota, now);
    if (current) return [current.toLocaleLowerCase('en-US')];
    return this.#directory.members(team);
  }
}
