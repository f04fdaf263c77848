import knexFactory, { Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAlertStorm, StormSize } from './alertStorm';

/**
 * The alert storm benchmark, through the Alerts backend's webhook route:
 *
 *   yarn bench:alerts               (from the repo root; SQLite in a file)
 *   yarn bench:alerts --postgres    (a throw-away PostgreSQL, or K2_TEST_POSTGRES_URL)
 *   K2_BENCH_ALERTS=1000 yarn bench:alerts   (a quicker run)
 *
 * 10,000 firing alerts as Alertmanager v4 webhook calls of 100, 8 calls at once,
 * every tenth call delivered twice; 2 alerts per incident group over 100 services.
 * Then: every alert stored exactly once (none lost, none twice), one incident per
 * group, one message to the owning team per incident (Backstage notifications, recorded in
 * place of the notifications backend), and one incident's status changed (its alerts resolved by one webhook call)
 * while the rest stay open, timed several times.
 *
 * Targets: ingest ≤ 5 s (wall), one status change ≤ 50 ms (median, wall). Exits 1
 * when a target is missed or a count is wrong.
 */

const TARGET_INGEST_MS = 5000;
const TARGET_CHANGE_MS = 50;

const size: StormSize = {
  alerts: Number(process.env.K2_BENCH_ALERTS ?? 10_000),
  perWebhook: Number(process.env.K2_BENCH_PER_WEBHOOK ?? 100),
  concurrency: Number(process.env.K2_BENCH_CONCURRENCY ?? 8),
  redeliveries: 0.1,
  perGroup: 2,
  services: 100,
  changes: 21,
};

function log(message: string) {
  process.stdout.write(
    `[${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
}

function median(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A fresh database on the engine asked for, and how to drop it afterwards. */
async function database(
  postgres: boolean,
): Promise<{ knex: Knex; engine: string; drop: () => Promise<void> }> {
  if (!postgres) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-bench-alerts-'));
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(dir, 'alerts.sqlite') },
      useNullAsDefault: true,
    });
    return {
      knex,
      engine: 'SQLite (file)',
      drop: async () => {
        await knex.destroy();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.K2_TEST_POSTGRES_URL;
  if (!url) {
    throw new Error(
      '--postgres needs K2_TEST_POSTGRES_URL (scripts/bench-alerts.sh starts a PostgreSQL)',
    );
  }
  const name = `k2_bench_alerts_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: url });
  await admin.raw('CREATE DATABASE ??', [name]);
  const knex = knexFactory({
    client: 'pg',
    connection: `${url.replace(/\/$/, '')}/${name}`,
  });
  return {
    knex,
    engine: 'PostgreSQL',
    drop: async () => {
      await knex.destroy();
      await admin.raw('DROP DATABASE ??', [name]);
      await admin.destroy();
    },
  };
}

async function main() {
  const postgres = process.argv.includes('--postgres');
  const db = await database(postgres);
  let failed = false;
  try {
    log(
      `storm: ${size.alerts} alerts, ${size.perWebhook} per webhook call, ${size.concurrency} calls at once, 10 % of the calls delivered twice, on ${db.engine}`,
    );
    const r = await runAlertStorm(db.knex, size);
    const changeMs = median(r.changeMs);
    const checks: Array<[string, boolean]> = [
      [
        `webhook calls answered: ${
          r.webhooks + r.redelivered - r.failedCalls.length
        } of ${r.webhooks + r.redelivered}${
          r.failedCalls.length
            ? ` (failed: ${[...new Set(r.failedCalls)].join('; ')})`
            : ''
        }`,
        r.failedCalls.length === 0,
      ],
      [
        `alerts stored: ${r.alertRows} of ${size.alerts} (none lost)`,
        r.alertRows === size.alerts,
      ],
      [
        `alerts stored twice: ${r.duplicateRows}; recorded by the webhook: ${r.recorded}`,
        r.duplicateRows === 0 && r.recorded === size.alerts,
      ],
      [
        `incidents: ${r.incidents} for ${r.groups} groups; groups with more than one: ${r.groupsWithSeveralIncidents}`,
        r.incidents === r.groups && r.groupsWithSeveralIncidents === 0,
      ],
      [
        `messages to the team (recorded Backstage notifications): ${
          r.messages
        } for ${r.incidents} incidents; incidents without one: ${
          r.incidents - r.notifiedIncidents
        }; with more than one: ${r.incidentsWithSeveralMessages}`,
        r.messages === r.incidents &&
          r.notifiedIncidents === r.incidents &&
          r.incidentsWithSeveralMessages === 0,
      ],
      [
        `incident openings in the services' activity logs: ${r.activityEntries} for ${r.incidents} incidents`,
        r.activityEntries === r.incidents,
      ],
      [
        `open before the status changes: ${r.openAlerts} alerts in ${r.openIncidents} incidents; resolved by the ${r.changeMs.length} changes: ${r.changedIncidents}`,
        r.changedIncidents === r.changeMs.length,
      ],
    ];
    const row = (name: string, ms: number, target: number) =>
      `  ${name.padEnd(44)} ${ms
        .toFixed(1)
        .padStart(9)} ms   target ${target} ms, ${(ms / target).toFixed(
        2,
      )}× of it ${ms <= target ? 'OK' : 'MISSED'}`;
    process.stdout.write(
      [
        '',
        `Alert storm on ${db.engine}: ${size.alerts} alerts in ${r.webhooks} webhook calls (+${r.redelivered} redelivered), ${size.concurrency} at once`,
        `  machine: ${os.cpus().length} cores, load average ${os
          .loadavg()
          .map(l => l.toFixed(1))
          .join(' ')}`,
        ...checks.map(([text, ok]) => `  ${ok ? 'OK    ' : 'WRONG '} ${text}`),
        row(
          'ingest (all webhook calls answered)',
          r.ingestMs,
          TARGET_INGEST_MS,
        ),
        `  ${'  CPU time of this process in it'.padEnd(44)} ${r.ingestCpuMs
          .toFixed(1)
          .padStart(9)} ms (backend and sender; the rest is waiting)`,
        `  ${'  activity log complete (after first call)'.padEnd(
          44,
        )} ${r.activityMs
          .toFixed(1)
          .padStart(9)} ms (written after answering, one batch call at a time)`,
        `  ${'  alerts per second'.padEnd(44)} ${Math.round(
          (size.alerts * 1000) / r.ingestMs,
        )
          .toString()
          .padStart(9)}`,
        row(
          `one incident resolved (median of ${r.changeMs.length})`,
          changeMs,
          TARGET_CHANGE_MS,
        ),
        `  ${'  slowest of them'.padEnd(44)} ${Math.max(...r.changeMs)
          .toFixed(1)
          .padStart(9)} ms`,
        '',
      ].join('\n'),
    );
    failed =
      checks.some(([, ok]) => !ok) ||
      r.ingestMs > TARGET_INGEST_MS ||
      changeMs > TARGET_CHANGE_MS;
  } finally {
    await db.drop();
  }
  process.exit(failed ? 1 : 0);
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
