import { LoggerService } from '@backstage/backend-plugin-api';
import { Incident, IncidentStore } from '../incidents/IncidentStore';
import { IncidentNotifier, Routed } from '../routing/IncidentNotifier';
import { DEFAULT_ROUTING } from '../routing/readRoutingConfig';
import { EscalationLevel, TeamAlertSettings } from '../teams/TeamSettings';
import { EscalationStore } from './EscalationStore';

const after = (now: Date, level: EscalationLevel | undefined) =>
  level ? new Date(now.getTime() + level.waitSeconds * 1000) : undefined;

/**
 * Escalation as a persisted state machine on the incident rows: an opened incident is
 * notified at level 1 and waits there for its level's `waitSeconds`; each tick moves
 * due incidents to the next level and notifies that level's target; the last level
 * waits for nothing. Acknowledging or resolving stops it. A restart resumes from the
 * rows; a tick on two replicas escalates each incident once.
 *
 * Routing runs in-process after intake has committed, so a backend that stops in
 * between (or a routing error) would leave an incident at level 0 that nobody hears
 * of: the tick routes such incidents as if they had just opened once `unroutedAfterMs`
 * has passed since they opened. Arming is compare-and-set from level 0, so an incident
 * is routed once however many routings reach it.
 */
export class Escalation {
  readonly #store: EscalationStore;
  readonly #incidents: IncidentStore;
  readonly #notifier: IncidentNotifier;
  readonly #repeatIntervalMs: number;
  readonly #unroutedAfterMs: number;
  readonly #logger: LoggerService;

  constructor(options: {
    store: EscalationStore;
    incidents: IncidentStore;
    notifier: IncidentNotifier;
    repeatIntervalMs: number;
    /** Grace after opening before the tick routes an incident routing never reached. */
    unroutedAfterMs?: number;
    logger: LoggerService;
  }) {
    this.#store = options.store;
    this.#incidents = options.incidents;
    this.#notifier = options.notifier;
    this.#repeatIntervalMs = options.repeatIntervalMs;
    this.#unroutedAfterMs =
      options.unroutedAfterMs ?? DEFAULT_ROUTING.unroutedAfterMs;
    this.#logger = options.logger;
  }

  /**
   * Notifies the team of incidents that opened and starts their escalation; an
   * incident another routing armed first is left to it.
   */
  async opened(incidents: Incident[], now = new Date()) {
    // A batch's incidents are armed and their groups' turns taken in one transaction,
    // and each team's settings read once: a storm opening thousands of incidents
    // commits twice per batch (arming and turns, then who was told), not per incident.
    const settings = new Map<string, Promise<Routed | undefined>>();
    const teams = new Map<string, Promise<TeamAlertSettings>>();
    const items: Array<{ incident: Incident; routed?: Routed }> = [];
    for (const incident of incidents) {
      if (!settings.has(incident.entityRef)) {
        settings.set(
          incident.entityRef,
          this.#notifier.settingsOf(incident, teams),
        );
      }
      try {
        items.push({
          incident,
          routed: await settings.get(incident.entityRef),
        });
      } catch (error) {
        this.#logger.error(
          `Routing incident ${incident.id} failed: ${(error as Error).message}`,
        );
      }
    }
    const armed = items.map(({ incident, routed }) => {
      const levels = routed?.settings.escalation ?? [];
      return {
        id: incident.id,
        level: 1,
        next: levels.length > 1 ? after(now, levels[0]) : undefined,
      };
    });
    try {
      await this.#notifier.notifyOpened(items, now, trx =>
        this.#store.armAll(armed, trx),
      );
    } catch (error) {
      this.#logger.error(
        `Routing ${items.length} incidents failed: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Routes the incidents routing never reached, escalates the incidents whose level is
   * due, then sends the reminders due.
   */
  async tick(now = new Date()) {
    await this.#routeUnrouted(now);
    for (const { id, level } of await this.#store.due(now)) {
      const incident = (await this.#incidents.getIncident(id))?.incident;
      if (!incident) continue;
      const levels =
        (await this.#notifier.settingsOf(incident))?.settings.escalation ?? [];
      const to = level + 1;
      if (to > levels.length) {
        await this.#store.advance(id, level, level, undefined);
        continue;
      }
      const next = to < levels.length ? after(now, levels[to - 1]) : undefined;
      if (await this.#store.advance(id, level, to, next)) {
        await this.#notifier.notify(incident, 'escalated', to, now);
      }
    }
    for (const { id, level } of await this.#store.repeatsDue(
      now,
      this.#repeatIntervalMs,
    )) {
      const incident = (await this.#incidents.getIncident(id))?.incident;
      if (incident) {
        await this.#notifier.notify(
          incident,
          'repeat',
          Math.max(level, 1),
          now,
        );
      }
    }
  }

  /**
   * Routes (as {@link Escalation.opened} does) open, unacknowledged incidents still at
   * level 0 that opened the grace period ago or earlier, at most a tick's batch.
   */
  async #routeUnrouted(now: Date) {
    const ids = await this.#store.unrouted(
      new Date(now.getTime() - this.#unroutedAfterMs),
    );
    if (!ids.length) return;
    const incidents: Incident[] = [];
    for (const id of ids) {
      const found = await this.#incidents.getIncident(id);
      if (found) incidents.push(found.incident);
    }
    this.#logger.warn(
      `Routing ${incidents.length} incidents that were not routed when they opened`,
    );
    await this.opened(incidents, now);
  }
}
