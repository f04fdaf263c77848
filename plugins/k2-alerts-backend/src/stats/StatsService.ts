import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ALERT_SEVERITIES,
  AlertSeverity,
} from '@internal/plugin-k2-alerts-common';
import { k2AlertReadPermission } from '@internal/plugin-k2-common';
import { Caller, K2ActionGate } from '@internal/plugin-k2-node';
import { IncidentService } from '../incidents/IncidentService';
import { DatabaseStatsStore, IncidentFigures } from './DatabaseStatsStore';

/** Days counted unless a request says otherwise. */
export const DEFAULT_STATS_DAYS = 14;
/** The most days counted (the contract refuses more). */
export const MAX_STATS_DAYS = 90;

const DAY_MS = 86_400_000;

type Counts = Record<AlertSeverity, number>;

const zero = (): Counts => ({ critical: 0, warning: 0, info: 0 });

/** Statistics of incidents over whole UTC days, today included. */
export type AlertStats = Omit<IncidentFigures, 'daily'> & {
  from: string;
  days: number;
  services: string[];
  totals: Counts;
  /** Every day of the period, oldest first, also days without incidents. */
  daily: { day: string; counts: Counts }[];
};

/**
 * Incident statistics of one service or of a team's services, read by whoever may
 * read their alerts (`k2.alert.read`): incidents per day and severity, the noisiest
 * rules, time to acknowledge and to resolve, and what nobody acknowledged. Counted
 * over incidents opened in the last `days` UTC days (today is the last).
 */
export class StatsService {
  readonly #store: DatabaseStatsStore;
  readonly #gate: K2ActionGate;
  readonly #incidents: IncidentService;
  readonly #now: () => number;

  constructor(options: {
    store: DatabaseStatsStore;
    gate: K2ActionGate;
    incidents: IncidentService;
    now?: () => number;
  }) {
    this.#store = options.store;
    this.#gate = options.gate;
    this.#incidents = options.incidents;
    this.#now = options.now ?? Date.now;
  }

  async service(
    service: CompoundEntityRef,
    days: number | undefined,
    caller: Caller,
  ): Promise<AlertStats> {
    const ref = stringifyEntityRef(service);
    await this.#gate.authorize(ref, caller, {
      permission: k2AlertReadPermission,
      verb: 'read the alerts of',
    });
    return this.#stats([ref], days);
  }

  /** The team's K2 services the caller may read, as the team overview lists them. */
  async team(
    group: CompoundEntityRef,
    days: number | undefined,
    caller: Caller,
  ): Promise<AlertStats> {
    const services = await this.#incidents.teamServices(group, caller);
    return this.#stats(services, days);
  }

  async #stats(services: string[], requested: number | undefined) {
    const days = Math.min(
      MAX_STATS_DAYS,
      Math.max(1, requested ?? DEFAULT_STATS_DAYS),
    );
    const today = Math.floor(this.#now() / DAY_MS) * DAY_MS;
    const from = new Date(today - (days - 1) * DAY_MS).toISOString();
    const figures = await this.#store.figures(
      services.map(s => s.toLocaleLowerCase('en-US')),
      from,
    );
    const byDay = new Map<string, Counts>();
    for (let i = 0; i < days; i++) {
      const day = new Date(today - (days - 1 - i) * DAY_MS)
        .toISOString()
        .slice(0, 10);
      byDay.set(day, zero());
    }
    const totals = zero();
    for (const row of figures.daily) {
      if (!ALERT_SEVERITIES.includes(row.severity)) continue;
      const counts = byDay.get(row.day);
      if (counts) counts[row.severity] += row.count;
      totals[row.severity] += row.count;
    }
    return {
      from,
      days,
      services,
      totals,
      daily: [...byDay].map(([day, counts]) => ({ day, counts })),
      noisiestRules: figures.noisiestRules,
      resolveSeconds: figures.resolveSeconds,
      ...(figures.acknowledgeSeconds
        ? { acknowledgeSeconds: figures.acknowledgeSeconds }
        : {}),
      unacknowledged: figures.unacknowledged,
    };
  }
}
