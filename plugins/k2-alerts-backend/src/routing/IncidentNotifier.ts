import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { Incident } from '../incidents/IncidentStore';
import { renderText } from '../channels/render';
import { Channel } from '../channels/types';
import { ChannelType, TeamAlertSettings } from '../teams/TeamSettings';
import { inQuietHours, onCall } from '../teams/TeamSettings';
import { TeamSettingsService } from '../teams/TeamSettingsService';
import { NotifyMarks } from './NotifyMarks';
import { TeamDirectory } from './TeamDirectory';

/** What happened to an incident that its team hears of. */
export type IncidentEvent = 'opened' | 'repeat' | 'escalated';

/** The Alerts tab's URL of an incident: its drawer, with the Acknowledge button. */
export function incidentLink(baseUrl: string, incident: Incident): string {
  const { namespace, name } = parseEntityRef(incident.entityRef);
  return `${baseUrl}/catalog/${namespace}/component/${name}/alerts?incident=${incident.id}`;
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
    team: extra.team,
    level: String(extra.level),
    link: extra.link,
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
 * is logged (without its URL) and never stops the other channels.
 */
export class IncidentNotifier {
  readonly #teams: TeamSettingsService;
  readonly #directory: TeamDirectory;
  readonly #channels: Record<ChannelType, Channel>;
  readonly #marks: NotifyMarks;
  readonly #repeatIntervalMs: number;
  readonly #baseUrl: string;
  readonly #logger: LoggerService;

  constructor(options: {
    teams: TeamSettingsService;
    directory: TeamDirectory;
    channels: Record<ChannelType, Channel>;
    marks: NotifyMarks;
    repeatIntervalMs: number;
    /** The app's base URL, for links to the incident. */
    baseUrl: string;
    logger: LoggerService;
  }) {
    this.#teams = options.teams;
    this.#directory = options.directory;
    this.#channels = options.channels;
    this.#marks = options.marks;
    this.#repeatIntervalMs = options.repeatIntervalMs;
    this.#baseUrl = options.baseUrl;
    this.#logger = options.logger;
  }

  /** The team's settings (stored or defaults) and ref, for the incident's service. */
  async settingsOf(incident: Incident): Promise<Routed | undefined> {
    const team = await this.#directory.owner(incident.entityRef);
    if (!team) return undefined;
    return { team, settings: await this.#teams.settingsOf(team) };
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
    return this.#send(incident, event, level, now, routed);
  }

  /**
   * Notifies the teams of incidents one delivery opened, as {@link
   * IncidentNotifier.notify} does for each, with the groups' turns taken in one
   * transaction. `routed` is each incident's {@link IncidentNotifier.settingsOf}.
   */
  async notifyOpened(
    items: Array<{ incident: Incident; routed?: Routed }>,
    now = new Date(),
  ): Promise<void> {
    const eligible = items.filter(
      (item): item is { incident: Incident; routed: Routed } =>
        item.routed !== undefined &&
        (item.incident.severity === 'critical' ||
          !inQuietHours(item.routed.settings.quietHours, now)),
    );
    const taken = await this.#marks.takeAll(
      eligible.map(({ incident }) => groupOf(incident)),
      this.#repeatIntervalMs,
      now,
    );
    for (const { incident, routed } of eligible) {
      if (!taken.delete(groupOf(incident))) continue;
      try {
        await this.#send(incident, 'opened', 1, now, routed);
      } catch (error) {
        this.#logger.error(
          `Routing incident ${incident.id} failed: ${(error as Error).message}`,
        );
      }
    }
  }

  async #send(
    incident: Incident,
    event: IncidentEvent,
    level: number,
    now: Date,
    { team, settings }: Routed,
  ): Promise<number> {
    const recipients = await this.recipients(team, settings, level, now);
    const link = incidentLink(this.#baseUrl, incident);
    const fields = messageFields(incident, event, { link, team, level });
    let sent = 0;
    for (const channel of settings.channels.filter(c => c.enabled)) {
      try {
        await this.#channels[channel.type].send({
          channel,
          recipients,
          title: `[${incident.severity}] ${incident.title}`,
          text: renderText(channel.template, fields),
          link,
          severity: incident.severity,
          fields,
        });
        sent += 1;
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
    return sent;
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
