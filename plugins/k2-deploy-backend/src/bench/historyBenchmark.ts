import knexFactory from 'knex';
import { DatabaseReleaseStore } from '../database/DatabaseReleaseStore';

/**
 * The release history page, measured on PostgreSQL at ten times a year of the
 * reference company's releases (170,000 a year): 1.7 million rows.
 *
 *   yarn bench:history                         (from the repo root; starts PostgreSQL)
 *   K2_BENCH_RELEASES=200000 yarn bench:history (a quicker run)
 *
 * Rows are spread over 5,000 services and two environments the way releases are in
 * practice: a few services release daily, most rarely (a Zipf-like skew). Each row
 * carries a full release spec. Then the Deploy tab's history query (first page and a
 * page deep in the history, with the total) runs through the real store, for random
 * services weighted by how often they release.
 */

const TOTAL = Number(process.env.K2_BENCH_RELEASES ?? 1_700_000);
const SERVICES = 5000;
const SAMPLES = Number(process.env.K2_BENCH_SAMPLES ?? 1000);
const TARGET_P95_MS = 30;

function log(message: string) {
  process.stdout.write(
    `[${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
}

function percentile(sorted: number[], p: number) {
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

async function main() {
  const url = process.env.K2_TEST_POSTGRES_URL;
  if (!url) {
    throw new Error(
      'K2_TEST_POSTGRES_URL is not set; run `yarn bench:history` from the repo root, which starts PostgreSQL',
    );
  }
  const admin = knexFactory({ client: 'pg', connection: `${url}/postgres` });
  await admin.raw('DROP DATABASE IF EXISTS k2_bench_history');
  await admin.raw('CREATE DATABASE k2_bench_history');
  await admin.destroy();
  const knex = knexFactory({
    client: 'pg',
    connection: `${url}/k2_bench_history`,
    pool: { min: 1, max: 4 },
  });
  try {
    const store = await DatabaseReleaseStore.create({
      database: { getClient: async () => knex },
    });

    // Service s gets a share proportional to 1/(s+1)^0.8 of all releases.
    const weights = Array.from(
      { length: SERVICES },
      (_, s) => 1 / (s + 1) ** 0.8,
    );
    const sum = weights.reduce((a, b) => a + b, 0);
    const counts = weights.map(w => Math.max(2, Math.round((w / sum) * TOTAL)));
    const spec = {
      name: 'svc',
      namespace: 'ns',
      image: 'registry.northwind.example/team/svc:1.0.0',
      replicas: 4,
      clusters: [
        { name: 'prod-a', replicas: 2, weight: 60 },
        { name: 'prod-b', replicas: 2, weight: 40 },
      ],
      resources: {
        requests: { cpu: '500m', memory: '1Gi' },
        limits: { cpu: '2', memory: '2Gi' },
      },
      env: [
        { name: 'SPRING_PROFILES_ACTIVE', value: 'prod' },
        { name: 'LOG_LEVEL', value: 'info' },
      ],
      port: 8080,
      probes: {
        readiness: {
          path: '/healthz',
          initialDelaySeconds: 3,
          periodSeconds: 5,
          failureThreshold: 3,
          timeoutSeconds: 2,
        },
        liveness: {
          path: '/healthz',
          initialDelaySeconds: 0,
          periodSeconds: 10,
          failureThreshold: 3,
          timeoutSeconds: 2,
        },
        startup: {
          path: '/healthz',
          initialDelaySeconds: 0,
          periodSeconds: 5,
          failureThreshold: 60,
          timeoutSeconds: 2,
        },
      },
      drainSeconds: 10,
      terminationGracePeriodSeconds: 40,
      logDirectory: '/log-dir/k2-logs/ns/svc',
      volumes: [],
      configFiles: [],
      language: 'java',
      jvmOptions: '-XX:+UseContainerSupport -XX:MaxRAMPercentage=75.0',
      nodeSelector: {},
      timeoutSeconds: 600,
      autoRollback: false,
    };

    log(
      `inserting ${counts.reduce(
        (a, b) => a + b,
        0,
      )} releases for ${SERVICES} services`,
    );
    const started = Date.now();
    // Generated inside PostgreSQL, one statement per batch of services.
    const BATCH = 250;
    for (let first = 0; first < SERVICES; first += BATCH) {
      const rows = counts
        .slice(first, first + BATCH)
        .map((count, k) => `(${first + k}, ${count})`)
        .join(',');
      await knex.raw(
        `INSERT INTO k2_releases (id, service_ref, environment, namespace, number, kind, status,
           active_target, spec, template, message, reason, rollback_of, created_by, created_at,
           approved_by, started_at, finished_at, progress)
         SELECT gen_random_uuid()::text,
                'component:default/svc-' || lpad(s.service::text, 5, '0'),
                env.name, 'ns', n.number,
                CASE WHEN n.number % 17 = 0 THEN 'rollback' WHEN n.number % 5 = 0 THEN 'scale' ELSE 'release' END,
                CASE WHEN n.number % 11 = 0 THEN 'failed' ELSE 'succeeded' END,
                NULL, replace(?::text, 'svc:1.0.0', 'svc:1.' || n.number || '.0'),
                '{"releaseId":"x","number":' || n.number || '}',
                'release ' || n.number, NULL, NULL, 'user:default/dev-' || (n.number % 40),
                now() - ((s.count / 2 - n.number) * interval '1 hour'),
                NULL, now() - ((s.count / 2 - n.number) * interval '1 hour'),
                now() - ((s.count / 2 - n.number) * interval '1 hour') + interval '90 seconds',
                '[]'
         FROM (VALUES ${rows}) AS s(service, count)
         CROSS JOIN (VALUES ('test', 0), ('prod', 1)) AS env(name, half)
         CROSS JOIN LATERAL generate_series(1, (s.count + 1 - env.half) / 2) AS n(number)`,
        [JSON.stringify(spec)],
      );
      if ((first / BATCH) % 4 === 3) {
        log(`  ${first + BATCH} services written`);
      }
    }
    await knex.raw('VACUUM ANALYZE k2_releases');
    const [{ count }] = await knex('k2_releases').count({ count: '*' });
    const size = await knex.raw(
      "SELECT pg_size_pretty(pg_total_relation_size('k2_releases')) AS size",
    );
    log(
      `${Number(count).toLocaleString('en')} rows (${size.rows[0].size}) in ${(
        (Date.now() - started) /
        1000
      ).toFixed(0)} s`,
    );

    // Pick services as page views would: busy services are looked at more often.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = () => {
      let r = random() * sum;
      for (let s = 0; s < SERVICES; s++) {
        r -= weights[s];
        if (r <= 0) return s;
      }
      return SERVICES - 1;
    };
    const first: number[] = [];
    const deep: number[] = [];
    for (let i = 0; i < 50; i++) {
      await store.history({
        service: 'component:default/svc-00000',
        environment: 'prod',
        limit: 20,
      });
    }
    for (let i = 0; i < SAMPLES; i++) {
      const s = pick();
      const service = `component:default/svc-${String(s).padStart(5, '0')}`;
      const environment = random() < 0.5 ? 'test' : 'prod';
      let t = performance.now();
      const page = await store.history({ service, environment, limit: 20 });
      first.push(performance.now() - t);
      // A page in the middle of the service's history.
      const middle = Math.max(2, Math.floor(page.total / 2));
      t = performance.now();
      await store.history({
        service,
        environment,
        limit: 20,
        before: String(middle),
      });
      deep.push(performance.now() - t);
      if (page.items.length === 0) throw new Error(`no history for ${service}`);
    }
    first.sort((a, b) => a - b);
    deep.sort((a, b) => a - b);
    const ms = (n: number) => `${n.toFixed(2)} ms`;
    const busiest = counts[0];
    process.stdout.write(
      `\nRelease history benchmark: ${Number(count).toLocaleString(
        'en',
      )} releases on PostgreSQL, ${SERVICES} services (busiest: ${busiest}), ${SAMPLES} page views\n` +
        `  history page (newest 20 + total)   p50 ${ms(
          percentile(first, 50),
        )}  p95 ${ms(percentile(first, 95))}  p99 ${ms(
          percentile(first, 99),
        )}\n` +
        `  a page deep in the history          p50 ${ms(
          percentile(deep, 50),
        )}  p95 ${ms(percentile(deep, 95))}  p99 ${ms(
          percentile(deep, 99),
        )}\n\nTargets\n`,
    );
    const worst = Math.max(percentile(first, 95), percentile(deep, 95));
    const ok = worst <= TARGET_P95_MS && Number(count) >= TOTAL * 0.99;
    process.stdout.write(
      `  ${ok ? 'PASS' : 'FAIL'}  history query p95 ${ms(
        worst,
      )} ≤ ${TARGET_P95_MS} ms on ${Number(count).toLocaleString('en')} rows\n`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await knex.destroy();
    const cleanup = knexFactory({
      client: 'pg',
      connection: `${url}/postgres`,
    });
    await cleanup.raw('DROP DATABASE IF EXISTS k2_bench_history');
    await cleanup.destroy();
  }
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
