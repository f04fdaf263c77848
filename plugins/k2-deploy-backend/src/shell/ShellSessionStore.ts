import {
  K2ShellEndReason,
  K2ShellSession,
} from '@internal/plugin-k2-deploy-common';
import { isoTimestamp } from '@internal/plugin-k2-node';
import { Knex } from 'knex';
import { timeCursor } from '../database/cursors';
import { migrate, PluginDatabase } from '../database/migrations';

/** A session as it is created, with the hash of its ticket. */
export interface NewShellSession {
  id: string;
  service: string;
  environment: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  kind: 'shell' | 'debug';
  image?: string;
  user: string;
  ticketHash: string;
  ticketExpiresAt: Date;
  createdAt: Date;
  /** The terminal size asked for when it was opened. */
  size?: TerminalSize;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** A session as its WebSocket runs it: the record and the size to start with. */
export interface StartedShellSession {
  session: K2ShellSession;
  size?: TerminalSize;
}

/** One typed line of a session. */
export type ShellCommand = K2ShellSession['commands'][number];

/** How long a started session counts as open after it was last seen. */
export const SEEN_WINDOW_MS = 2 * 60_000;

/**
 * The shell sessions: created with a ticket, started once (the ticket redeemed), kept
 * alive while open, ended once. Every transition is a compare-and-set, so two backend
 * replicas (or a late timer) never both start or both end a session.
 */
export interface ShellSessionStore {
  create(session: NewShellSession): Promise<void>;
  /** Gives a session that has not started a new ticket (after a debug container ran). */
  renewTicket(id: string, ticketHash: string, expiresAt: Date): Promise<void>;
  /** Removes a session that never started (refused by the limits after creation). */
  discard(id: string): Promise<void>;
  /**
   * Sessions that count towards the limits at `now`, over all users and the `user`'s:
   * not ended, and either their ticket is still valid (not yet redeemed) or they were
   * seen within {@link SEEN_WINDOW_MS}. Sessions that no longer count are ended `lost`
   * first (a replica that crashed, a ticket nobody redeemed).
   */
  countOpen(user: string, now: Date): Promise<{ total: number; user: number }>;
  /**
   * Redeems a ticket: the session starts, once. Undefined when `id` has no session,
   * the hash is not its ticket's, the ticket expired or was redeemed already.
   */
  redeem(
    id: string,
    ticketHash: string,
    now: Date,
  ): Promise<StartedShellSession | undefined>;
  /** Marks an open session seen now, with the commands typed so far. */
  touch(id: string, now: Date, commands: ShellCommand[]): Promise<void>;
  /** Ends a session, once: false when it had ended already. */
  end(
    id: string,
    end: { reason: K2ShellEndReason; commands: ShellCommand[]; now: Date },
  ): Promise<boolean>;
  get(id: string): Promise<K2ShellSession | undefined>;
  /** Sessions newest first; `before` is a page's `next`. */
  list(query: {
    service?: string;
    user?: string;
    limit: number;
    before?: string;
  }): Promise<{ items: K2ShellSession[]; next?: string }>;
}

/** Timestamps are written as ISO text: SQLite compares them as text, PostgreSQL casts. */
const ts = (date: Date) => date.toISOString();

type ShellSessionRow = {
  id: string;
  service: string;
  environment: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  kind: string;
  image: string | null;
  user_ref: string;
  ticket_hash: string | null;
  ticket_expires_at: Date | string;
  created_at: Date | string;
  started_at: Date | string | null;
  ended_at: Date | string | null;
  end_reason: string | null;
  last_seen_at: Date | string | null;
  cols: number | null;
  rows: number | null;
  commands: string;
};

function toSession(row: ShellSessionRow): K2ShellSession {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    cluster: row.cluster,
    namespace: row.namespace,
    pod: row.pod,
    container: row.container,
    kind: row.kind as K2ShellSession['kind'],
    ...(row.image ? { image: row.image } : {}),
    user: row.user_ref,
    createdAt: isoTimestamp(row.created_at),
    ...(row.started_at ? { startedAt: isoTimestamp(row.started_at) } : {}),
    ...(row.ended_at ? { endedAt: isoTimestamp(row.ended_at) } : {}),
    ...(row.end_reason
      ? { endReason: row.end_reason as K2ShellEndReason }
      : {}),
    commands: JSON.parse(row.commands),
  };
}

const TABLE = 'k2_shell_sessions';

/** {@link ShellSessionStore} in the Deploy plugin's database. */
export class DatabaseShellSessionStore implements ShellSessionStore {
  readonly #knex: Knex;

  static async create(options: PluginDatabase) {
    return new DatabaseShellSessionStore(await migrate(options));
  }

  private constructor(knex: Knex) {
    this.#knex = knex;
  }

  async create(session: NewShellSession): Promise<void> {
    await this.#knex<ShellSessionRow>(TABLE).insert({
      id: session.id,
      service: session.service,
      environment: session.environment,
      cluster: session.cluster,
      namespace: session.namespace,
      pod: session.pod,
      container: session.container,
      kind: session.kind,
      image: session.image ?? null,
      user_ref: session.user,
      ticket_hash: session.ticketHash,
      ticket_expires_at: ts(session.ticketExpiresAt),
      created_at: ts(session.createdAt),
      started_at: null,
      ended_at: null,
      end_reason: null,
      last_seen_at: null,
      cols: session.size?.cols ?? null,
      rows: session.size?.rows ?? null,
      commands: '[]',
    });
  }

  async renewTicket(
    id: string,
    ticketHash: string,
    expiresAt: Date,
  ): Promise<void> {
    await this.#knex(TABLE)
      .where({ id })
      .whereNull('started_at')
      .whereNull('ended_at')
      .update({ ticket_hash: ticketHash, ticket_expires_at: ts(expiresAt) });
  }

  async discard(id: string): Promise<void> {
    await this.#knex(TABLE).where({ id }).whereNull('started_at').delete();
  }

  async countOpen(
    user: string,
    now: Date,
  ): Promise<{ total: number; user: number }> {
    const seenSince = ts(new Date(now.getTime() - SEEN_WINDOW_MS));
    await this.#knex(TABLE)
      .whereNull('ended_at')
      .where(q =>
        q
          .where(started =>
            started
              .whereNotNull('started_at')
              .where('last_seen_at', '<', seenSince),
          )
          .orWhere(waiting =>
            waiting
              .whereNull('started_at')
              .where('ticket_expires_at', '<=', ts(now)),
          ),
      )
      .update({ ended_at: ts(now), end_reason: 'lost', ticket_hash: null });
    const rows: Array<{ user_ref: string; n: number | string }> =
      await this.#knex(TABLE)
        .whereNull('ended_at')
        .select('user_ref')
        .count({ n: '*' })
        .groupBy('user_ref');
    let total = 0;
    let mine = 0;
    for (const row of rows) {
      const n = Number(row.n);
      total += n;
      if (row.user_ref === user) mine = n;
    }
    return { total, user: mine };
  }

  async redeem(
    id: string,
    ticketHash: string,
    now: Date,
  ): Promise<StartedShellSession | undefined> {
    const updated = await this.#knex(TABLE)
      .where({ id, ticket_hash: ticketHash })
      .whereNull('started_at')
      .whereNull('ended_at')
      .where('ticket_expires_at', '>', ts(now))
      .update({
        ticket_hash: null,
        started_at: ts(now),
        last_seen_at: ts(now),
      });
    if (updated !== 1) return undefined;
    const row = await this.#knex<ShellSessionRow>(TABLE).where({ id }).first();
    if (!row) return undefined;
    return {
      session: toSession(row),
      ...(row.cols && row.rows
        ? { size: { cols: Number(row.cols), rows: Number(row.rows) } }
        : {}),
    };
  }

  async touch(id: string, now: Date, commands: ShellCommand[]): Promise<void> {
    await this.#knex(TABLE)
      .where({ id })
      .whereNull('ended_at')
      .update({ last_seen_at: ts(now), commands: JSON.stringify(commands) });
  }

  async end(
    id: string,
    end: { reason: K2ShellEndReason; commands: ShellCommand[]; now: Date },
  ): Promise<boolean> {
    const updated = await this.#knex(TABLE)
      .where({ id })
      .whereNull('ended_at')
      .update({
        ended_at: ts(end.now),
        end_reason: end.reason,
        ticket_hash: null,
        commands: JSON.stringify(end.commands),
      });
    return updated === 1;
  }

  async get(id: string): Promise<K2ShellSession | undefined> {
    const row = await this.#knex<ShellSessionRow>(TABLE).where({ id }).first();
    return row ? toSession(row) : undefined;
  }

  async list(query: {
    service?: string;
    user?: string;
    limit: number;
    before?: string;
  }): Promise<{ items: K2ShellSession[]; next?: string }> {
    let q = this.#knex<ShellSessionRow>(TABLE);
    if (query.service) q = q.where({ service: query.service });
    if (query.user) q = q.where({ user_ref: query.user });
    if (query.before) {
      const { at, id } = timeCursor(query.before);
      // Stored as ISO text (SQLite) or timestamptz (PostgreSQL): both compare with it.
      const date = at;
      q = q.where(older =>
        older
          .where('created_at', '<', date)
          .orWhere(same =>
            same.where('created_at', '=', date).where('id', '<', id),
          ),
      );
    }
    const rows = await q
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit + 1);
    const items = rows.slice(0, query.limit).map(toSession);
    const last = items[items.length - 1];
    return {
      items,
      ...(rows.length > query.limit
        ? { next: `${last.createdAt}|${last.id}` }
        : {}),
    };
  }
}
