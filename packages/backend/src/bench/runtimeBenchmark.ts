import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Worker } from 'worker_threads';
import YAML from 'yaml';
import { CONSISTENCY_CHECK_USER_AGENT } from '@internal/plugin-k2-node';
import { Sandbox, seedRunningDeployment } from '@internal/sandbox-cluster';
import { waitFor } from '../boot/__testUtils__/startBackendProcess';
import {
  connectInspector,
  INSPECTOR_NODE_OPTIONS,
  log,
  rssBytes,
  startBenchBackend,
} from './benchBackend';
import type { PageViewClientData, PageViewKind } from './pageViewClient';

/**
 * The service runtime view, measured: K2's endpoint (watch caches) against the stock
 * Kubernetes backend's `/api/kubernetes/services/:id` (a LIST per object type and
 * cluster on every call), in the same backend, on the same clusters and entities.
 *
 *   yarn bench:runtime                                    (from the repo root)
 *   K2_BENCH_SERVICES=500 K2_BENCH_SAMPLES=50 yarn bench:runtime   (a quick run)
 *
 * Three sandbox clusters (test, prod-a, prod-b) hold 10 pods per service: 2 in test,
 * 5 in prod-a and 3 in prod-b, as the environments' weights split them.
 *
 * Memory: what caching the pods costs, not what the process weighs. The backend runs
 * with its inspector open; before the pods are seeded (catalog ingested, clusters
 * empty) and again once they are all cached, a full garbage collection precedes the
 * reading of the heap and the RSS. The target bounds the heap's growth; the RSS growth
 * is printed beside it (the allocator keeps freed pages, so it is not a target).
 *
 * Upkeep: over one quiet minute after seeding, the API calls the watch caches make on
 * their own, per cluster: the consistency checks (`LIST ?limit=1`, told apart by their
 * User-Agent) and anything else but watches. Page-view rounds count neither.
 */

const SERVICES = Number(process.env.K2_BENCH_SERVICES ?? 5000);
const SAMPLES = Number(process.env.K2_BENCH_SAMPLES ?? 200);
const NAMESPACES = 100;
const PODS = { test: 2, 'prod-a': 5, 'prod-b': 3 } as const;
const CLUSTERS = Object.keys(PODS) as Array<keyof typeof PODS>;

/**
 * The heap may grow this much with 50,000 pods cached (about 10 KiB per pod with its
 * share of ReplicaSets, Services, Endpoints and events; 5,000 pods measured 27 MiB).
 */
const MAX_HEAP_GROWTH_BYTES = 512 * 1024 ** 2;
const UPKEEP_WINDOW_MS = 60_000;

const serviceName = (i: number) => `svc-${String(i).padStart(5, '0')}`;
const namespaceOf = (i: number) => `bench-${i % NAMESPACES}`;

function percentile(sorted: number[], p: number) {
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

function writeCatalog(dir: string) {
  const docs = [];
  for (let i = 0; i < SERVICES; i++) {
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: serviceName(i),
        annotations: {
          'k2.io/environments': 'test,prod',
          'k2.io/namespace': namespaceOf(i),
          'backstage.io/kubernetes-id': serviceName(i),
        },
      },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: 'group:default/platform-team',
      },
    });
  }
  const file = path.join(dir, 'bench-catalog.yaml');
  fs.writeFileSync(file, docs.map(d => YAML.stringify(d)).join('---\n'));
  return file;
}

/**
 * Seeds every service's Deployment, in batches of 100 services per cluster with a pause
 * between them: the watches see a steady stream of new pods, as with a busy cluster,
 * rather than 50,000 at once.
 */
async function seed(sandbox: Sandbox) {
  for (const name of CLUSTERS) {
    const cluster = sandbox.clusters.get(name)!;
    const podsPerNode = cluster.options.nodePods - 10;
    cluster.addNodes(Math.ceil((SERVICES * PODS[name]) / podsPerNode));
  }
  for (let i = 0; i < SERVICES; i++) {
    if (i % 100 === 0) await new Promise(r => setTimeout(r, 100));
    for (const name of CLUSTERS) {
      const cluster = sandbox.clusters.get(name)!;
      seedRunningDeployment(cluster, {
        namespace: namespaceOf(i),
        name: serviceName(i),
        replicas: PODS[name],
        image: `registry.k2.local/bench/${serviceName(i)}:1.0.${i % 7}`,
        limits: { cpu: '200m', memory: '256Mi' },
        labels: { 'backstage.io/kubernetes-id': serviceName(i) },
        service: true,
      });
    }
  }
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-bench-runtime-'));
  const token = randomBytes(24).toString('hex');
  const tokens = Object.fromEntries(
    CLUSTERS.map(c => [c, randomBytes(12).toString('hex')]),
  );
  log(`starting 3 sandbox clusters; catalog of ${SERVICES} services`);
  const sandbox = await Sandbox.start(
    CLUSTERS.map(name => ({ name, port: 0, token: tokens[name] })),
  );
  const catalogFile = writeCatalog(work);

  const backend = await startBenchBackend({
    work,
    token,
    catalogFile,
    clusters: CLUSTERS.map(name => ({
      name,
      url: sandbox.clusters.get(name)!.url,
      token: tokens[name],
    })),
    env: INSPECTOR_NODE_OPTIONS,
  });
  const headers = { Authorization: `Bearer ${token}` };
  const get = (p: string) => fetch(`${backend.baseUrl}${p}`, { headers });

  try {
    log('waiting for the backend and the catalog');
    const started = Date.now();
    await waitFor(
      backend,
      async () => {
        const res = await get(
          `/api/catalog/entities/by-name/component/default/${serviceName(
            SERVICES - 1,
          )}`,
        );
        return res.ok ? true : undefined;
      },
      900_000,
    );
    log(`catalog ready after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const clusterObjects = async () =>
      ((await (await get('/api/k2/clusters')).json()) as any).items as {
        status: string;
        objects: Record<string, number>;
      }[];
    await waitFor(backend, async () =>
      (await clusterObjects()).every(c => c.status === 'ok') ? true : undefined,
    );
    const inspector = await connectInspector(backend);
    /** The backend's heap and RSS after a full garbage collection. */
    const measure = async () => {
      await inspector.collectGarbage();
      return {
        heap: await inspector.heapUsed(),
        rss: rssBytes(backend.pid),
      };
    };
    await new Promise(r => setTimeout(r, 5000));
    const before = await measure();

    log(`seeding ${SERVICES * 10} pods while the backend watches`);
    const seedStart = Date.now();
    await seed(sandbox);
    const expectedPods = SERVICES * 10;
    await waitFor(
      backend,
      async () => {
        const clusters = await clusterObjects();
        const pods = clusters.reduce((n, c) => n + c.objects.pods, 0);
        return pods === expectedPods && clusters.every(c => c.status === 'ok')
          ? true
          : undefined;
      },
      600_000,
    );
    const cacheSeconds = (Date.now() - seedStart) / 1000;
    log(
      `K2 caches hold all ${expectedPods} pods after ${cacheSeconds.toFixed(
        1,
      )} s`,
    );
    // Let the controllers and the backend settle, then count a quiet minute's upkeep.
    await new Promise(r => setTimeout(r, 30_000));
    for (const c of sandbox.clusters.values()) c.counters.reset();
    const upkeepStart = Date.now();
    await new Promise(r => setTimeout(r, UPKEEP_WINDOW_MS));
    const perMinute = 60_000 / (Date.now() - upkeepStart);
    const upkeep = CLUSTERS.map(name => {
      const { counters } = sandbox.clusters.get(name)!;
      const checks = counters.byUserAgent(CONSISTENCY_CHECK_USER_AGENT);
      return {
        name,
        checks: checks * perMinute,
        other:
          (counters.total() - counters.total('watch') - checks) * perMinute,
        watches: counters.total('watch') * perMinute,
      };
    });
    const after = await measure();

    // The same sample of services for both endpoints.
    const step = Math.max(1, Math.floor(SERVICES / SAMPLES));
    const sample = Array.from(
      { length: SAMPLES },
      (_, k) => (k * step + 7) % SERVICES,
    );
    const entities = new Map<number, unknown>();
    for (const i of sample) {
      const res = await get(
        `/api/catalog/entities/by-name/component/default/${serviceName(i)}`,
      );
      entities.set(i, await res.json());
    }

    // Page views come from a worker thread (see pageViewClient.ts).
    const client = new Worker(
      `require('@backstage/cli/config/nodeTransform.cjs');
       require(${JSON.stringify(require.resolve('./pageViewClient'))});`,
      {
        eval: true,
        workerData: {
          baseUrl: backend.baseUrl,
          token,
          services: sample.map(i => ({
            name: serviceName(i),
            entity: entities.get(i),
          })),
          podsPerService: PODS.test + PODS['prod-a'] + PODS['prod-b'],
        } satisfies PageViewClientData,
      },
    );
    const pageViews = (kind: PageViewKind) =>
      new Promise<number[]>((resolve, reject) => {
        client.once('message', ({ times, error }) =>
          error ? reject(new Error(error)) : resolve(times),
        );
        client.postMessage({ kind });
      });

    /**
     * One round: every sampled service once, one page view at a time. The caches'
     * own upkeep (watches, consistency checks) runs meanwhile and is not counted.
     */
    const round = async (kind: PageViewKind) => {
      for (const c of sandbox.clusters.values()) c.counters.reset();
      const times = await pageViews(kind);
      const clusters = [...sandbox.clusters.values()];
      const checks = (c: (typeof clusters)[number]) =>
        c.counters.byUserAgent(CONSISTENCY_CHECK_USER_AGENT);
      return {
        times,
        lists: clusters.reduce(
          (n, c) => n + c.counters.total('list') - checks(c),
          0,
        ),
        calls: clusters.reduce(
          (n, c) =>
            n + c.counters.total() - c.counters.total('watch') - checks(c),
          0,
        ),
      };
    };
    const summary = (rounds: Awaited<ReturnType<typeof round>>[]) => {
      const times = rounds.flatMap(r => r.times).sort((x, y) => x - y);
      const views = times.length;
      return {
        views,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        p99: percentile(times, 99),
        listsPerView: rounds.reduce((n, r) => n + r.lists, 0) / views,
        callsPerView: rounds.reduce((n, r) => n + r.calls, 0) / views,
      };
    };

    log(`measuring ${sample.length} services in alternating rounds`);
    // Warm-up: one round of each, not counted.
    for (const kind of ['k2', 'stock', 'floor'] as const) await pageViews(kind);
    const k2Rounds = [];
    const stockRounds = [];
    const floorRounds = [];
    for (let r = 0; r < 2; r++) {
      k2Rounds.push(await round('k2'));
      stockRounds.push(await round('stock'));
      floorRounds.push(await round('floor'));
    }
    const k2 = summary(k2Rounds);
    const stock = summary(stockRounds);
    const floor = summary(floorRounds);

    const ms = (n: number) => `${n.toFixed(1)} ms`;
    const mib = (n: number) => `${(n / 1024 ** 2).toFixed(0)} MiB`;
    const heapGrowth = after.heap - before.heap;
    const rssGrowth = after.rss - before.rss;
    const ratio = stock.p95 / k2.p95;
    const rows: [string, string, string][] = [
      ['', 'K2 (watch caches)', 'stock Kubernetes backend'],
      ['p50', ms(k2.p50), ms(stock.p50)],
      ['p95', ms(k2.p95), ms(stock.p95)],
      ['p99', ms(k2.p99), ms(stock.p99)],
      [
        'API LIST calls per page view',
        String(k2.listsPerView),
        String(stock.listsPerView),
      ],
      [
        'API calls per page view (all)',
        String(k2.callsPerView),
        String(stock.callsPerView),
      ],
    ];
    const w0 = Math.max(...rows.map(r => r[0].length));
    const w1 = Math.max(...rows.map(r => r[1].length));
    process.stdout.write(
      `\nK2 service runtime benchmark: ${SERVICES} services, ${expectedPods} pods in 3 clusters, ${sample.length} services sampled, ${k2.views} page views per side\n`,
    );
    for (const [a, b, c] of rows) {
      process.stdout.write(`  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}\n`);
    }
    process.stdout.write(
      `  floor, an authenticated request doing no work (GET /api/k2/clusters): p50 ${ms(
        floor.p50,
      )}, p95 ${ms(floor.p95)}\n`,
    );
    process.stdout.write(
      `\nWatch-cache upkeep in a quiet minute, API calls per minute per cluster (no page views)\n`,
    );
    for (const u of upkeep) {
      process.stdout.write(
        `  ${u.name.padEnd(7)}  consistency checks ${u.checks.toFixed(
          1,
        )}  other calls ${u.other.toFixed(
          1,
        )}  watch requests ${u.watches.toFixed(1)}\n`,
      );
    }
    process.stdout.write(
      `\nBackend memory after a full garbage collection: heap ${mib(
        before.heap,
      )} → ${mib(after.heap)} (growth ${mib(heapGrowth)}), RSS ${mib(
        before.rss,
      )} → ${mib(after.rss)} (growth ${mib(
        rssGrowth,
      )}); before = catalog ingested, clusters empty\n`,
    );
    const checks: [string, boolean][] = [
      [`K2 p95 ${ms(k2.p95)} ≤ 50 ms`, k2.p95 <= 50],
      [`stock p95 ÷ K2 p95 = ${ratio.toFixed(1)}× ≥ 20×`, ratio >= 20],
      [
        `K2 LIST calls per page view = ${k2.listsPerView} (target 0)`,
        k2.listsPerView === 0,
      ],
      [
        `K2 API calls per page view (all but the caches' upkeep) = ${k2.callsPerView} (target 0)`,
        k2.callsPerView === 0,
      ],
      [
        `heap growth with ${expectedPods} pods cached ${mib(
          heapGrowth,
        )} ≤ ${mib(MAX_HEAP_GROWTH_BYTES)} (RSS growth ${mib(rssGrowth)})`,
        heapGrowth <= MAX_HEAP_GROWTH_BYTES,
      ],
    ];
    process.stdout.write(
      `  watch caches filled with ${expectedPods} pods in ${cacheSeconds.toFixed(
        1,
      )} s after seeding\n\nTargets\n`,
    );
    for (const [text, ok] of checks) {
      process.stdout.write(`  ${ok ? 'PASS' : 'FAIL'}  ${text}\n`);
    }
    if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
    await client.terminate();
    inspector.close();
  } finally {
    await backend.stop();
    await sandbox.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
