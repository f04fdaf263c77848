import { Knex } from 'knex';

const TABLE = 'k2_alert_notices';
const INCIDENTS = 'k2_alert_incidents';
/** Rows per insert statement (SQLite allows 999 bound values; a row binds 5). */
const CHUNK = 150;

/** Who was told of an incident: the channels that delivered, the users they reached. */
export interface Notice {
  incidentId: string;
  team: string;
  channels: string[];
  recipients: string[];
  /** The highest escalation level told. */
  level: number;
}

type Row = {
  incident_id: string | number;
  team_ref: string;
  channels: string;
  recipients: string;
  level: number;
};

const toRow = (notice: Notice): Row => ({
  incident_id: notice.incidentId,
  team_ref: notice.team,
  channels: JSON.stringify([...new Set(notice.channels)].sort()),
  recipients: JSON.stringify([...new Set(notice.recipients)].sort()),
  level: notice.level,
});

const fromRow = (row: Row): Notice => ({
  incidentId: String(row.incident_id),
  team: row.team_ref,
  channels: JSON.parse(row.channels),
  recipients: JSON.parse(row.recipients),
  level: row.level,
});

/**
 * The incidents whose team was told of them and that have not been told they
 * resolved: one row per incident, deleted by the one caller that takes it to send
 * the resolved message. An incident never told (its opening was a quiet repeat, or in
 * quiet hours) has no row, so it gets no resolved message either.
 */
export class NoticeStore {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /** Records the notices of incidents that just opened, in one transaction. */
  async addOpened(notices: Notice[]): Promise<void> {
    if (!notices.length) return;
    await this.#knex.transaction(async trx => {
      for (let i = 0; i < notices.length; i += CHUNK) {
        await trx(TABLE)
          .insert(notices.slice(i, i + CHUNK).map(toRow))
          .onConflict('incident_id')
          .ignore();
      }
    });
  }

  /**
   * Adds channels and users told later (an escalation, a reminder) to the incident's
   * notice, or records it when the opening was not told.
   */
  async add(notice: Notice): Promise<void> {
    await this.#knex.transaction(async trx => {
      const row: Row | undefined = await trx(TABLE)
        .where({ incident_id: notice.incidentId })
        .first();
      if (!row) {
        await trx(TABLE)
          .insert(toRow(notice))
          .onConflict('incident_id')
          .ignore();
        return;
      }
      const known = fromRow(row);
      await trx(TABLE)
        .where({ incident_id: notice.incidentId })
        .update(
          toRow({
            ...notice,
            team: known.team,
            channels: [...known.channels, ...notice.channels],
            recipients: [...known.recipients, ...notice.recipients],
            level: Math.max(known.level, notice.level),
          }),
        );
    });
  }

  /** Notices of incidents that are resolved now (or no longer exist), oldest first. */
  async resolved(limit: number): Promise<Notice[]> {
    const rows: Row[] = await this.#knex(`${TABLE} as n`)
      .leftJoin(`${INCIDENTS} as i`, 'i.id', 'n.incident_id')
      .where('i.status', 'resolved')
      .orWhereNull('i.id')
      .orderBy('n.incident_id')
      .limit(limit)
      .select('n.*');
    return rows.map(fromRow);
  }

  /**
   * Takes the incident's notice to send its resolved message: true for exactly one
   * caller (of several replicas), which deletes the row.
   */
  async take(incidentId: string): Promise<boolean> {
    return (
      (await this.#knex(TABLE).where({ incident_id: incidentId }).delete()) > 0
    );
  }
}
