import { randomBytes } from 'crypto';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import { Sandbox, seedRunningDeployment } from '@internal/sandbox-cluster';
import { waitFor } from '../boot/__testUtils__/startBackendProcess';
import {
  connectInspector,
  Inspector,
  INSPECTOR_NODE_OPTIONS,
  log,
  rssBytes,
  startBenchBackend,
} from './benchBackend';

/**
 * Following logs of 10 instances at once for 5 minutes keeps the backend's memory flat.
 *
 *   yarn bench:logs                                  (from the repo root)
 *   K2_BENCH_LOG_SECONDS=40 yarn bench:logs          (a quick run)
 *
 * One sandbox cluster (`test`) runs one K2 service with 10 pods; the real backend, as
 * its own process, serves 10 concurrent `GET .../instances/test/<pod>/logs?follow=true`
 * streams, one per pod. Half of the clients read as fast as they can, the other half
 * stop reading for a second after every 100 KB; at the sandbox's log rate they never
 * reach 100 KB, so back-pressure is not exercised here (the stream table counts the
 * pauses). The backend's RSS is sampled every 5 s.
 *
 * The sandbox writes one periodic line per container every 5 s (its default; it has no
 * setting for a faster rate), so the streams carry the 100-line tail and then a line
 * every few seconds each; the table reports the rate measured.
 *
 * Each sample follows a full garbage collection, asked through the backend's inspector
 * (`K2_BENCH_LOG_GC=0` samples without it): left alone, V8 lets garbage pile up while
 * the heap is far from its limit, and an idle backend's RSS climbs by about 1.5 MiB/min
 * until the next major collection, which says nothing about what following logs keeps.
 */

const SECONDS = Number(process.env.K2_BENCH_LOG_SECONDS ?? 300);
const PODS = 10;
/** Streams to open, one per pod; 0 makes a control run of the idle backend. */
const STREAMS = Math.min(
  PODS,
  Math.max(0, Number(process.env.K2_BENCH_LOG_STREAMS ?? PODS)),
);
const SLOW_STREAMS = Math.floor(STREAMS / 2);
const SAMPLE_MS = 5000;
/** Warm-up before the flatness window: a minute, or a fifth of a shorter run. */
const WARMUP_MS = Math.min(60_000, Math.floor(SECONDS * 200));
const SLOW_PAUSE_EVERY_BYTES = 100 * 1024;
const SLOW_PAUSE_MS = 1000;
const MAX_SLOPE_MIB_PER_MIN = 1;
const MAX_GROWTH_MIB = 32;
const FORCE_GC = process.env.K2_BENCH_LOG_GC !== '0';

const SERVICE = 'log-follow-bench';
const NAMESPACE = 'log-bench';
const IMAGE = 'registry.k2.local/bench/log-follow-bench';
const MIB = 1024 ** 2;

/** Least-squares slope of y over x. */
function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function writeCatalog(dir: string) {
  const entity = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: SERVICE,
      annotations: {
        'k2.io/environments': 'test',
        'k2.io/namespace': NAMESPACE,
        'backstage.io/kubernetes-id': SERVICE,
        'k2.io/image': IMAGE,
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/platform-team',
    },
  };
  const file = path.join(dir, 'bench-catalog.yaml');
  fs.writeFileSync(file, YAML.stringify(entity));
  return file;
}

/** One follow stream and what it delivered. */
interface Follower {
  pod: string;
  slow: boolean;
  status?: number;
  bytes: number;
  lines: number;
  /** Lines and bytes received once the measurement started (after the tail). */
  bytesAtStart: number;
  linesAtStart: number;
  pauses: number;
  /** Set when the stream ended, errored or closed before the benchmark closed it. */
  endedEarly?: string;
  closeByUs: boolean;
  request?: http.ClientRequest;
}

function follow(
  baseUrl: string,
  token: string,
  pod: string,
  slow: boolean,
): Promise<Follower> {
  const f: Follower = {
    pod,
    slow,
    bytes: 0,
    lines: 0,
    bytesAtStart: 0,
    linesAtStart: 0,
    pauses: 0,
    closeByUs: false,
  };
  const url = new URL(
    `/api/k2-deploy/services/default/${SERVICE}/environments/test/instances/test/${encodeURIComponent(
      pod,
    )}/logs?follow=true&tailLines=100`,
    baseUrl,
  );
  return new Promise((resolve, reject) => {
    const ended = (why: string) => {
      if (!f.closeByUs && f.endedEarly === undefined) {
        f.endedEarly = why;
        log(`stream for ${pod} ended early: ${why}`);
      }
    };
    const req = http.get(
      url,
      { headers: { Authorization: `Bearer ${token}` } },
      res => {
        f.status = res.statusCode;
        if (res.statusCode !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', d => (body += d));
          res.on('end', () =>
            reject(new Error(`logs of ${pod}: HTTP ${res.statusCode} ${body}`)),
          );
          return;
        }
        let sincePause = 0;
        res.on('data', (chunk: Buffer) => {
          f.bytes += chunk.length;
          for (
            let i = chunk.indexOf(10);
            i !== -1;
            i = chunk.indexOf(10, i + 1)
          )
            f.lines++;
          if (slow) {
            sincePause += chunk.length;
            if (sincePause >= SLOW_PAUSE_EVERY_BYTES) {
              sincePause = 0;
              f.pauses++;
              res.pause();
              setTimeout(() => res.resume(), SLOW_PAUSE_MS);
            }
          }
        });
        res.on('end', () => ended('the response ended'));
        res.on('error', e => ended(`response error: ${e.message}`));
        res.on('close', () => ended('the response closed'));
        resolve(f);
      },
    );
    req.on('error', e => {
      if (f.status === undefined) reject(e);
      else ended(`request error: ${e.message}`);
    });
    f.request = req;
  });
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-bench-logs-'));
  const token = randomBytes(24).toString('hex');
  const clusterToken = randomBytes(12).toString('hex');
  log(`starting the sandbox cluster 'test' with ${PODS} pods of ${SERVICE}`);
  const sandbox = await Sandbox.start([
    { name: 'test', port: 0, token: clusterToken },
  ]);
  const cluster = sandbox.clusters.get('test')!;
  seedRunningDeployment(cluster, {
    namespace: NAMESPACE,
    name: SERVICE,
    replicas: PODS,
    image: `${IMAGE}:1.4.2`,
    limits: { cpu: '200m', memory: '256Mi' },
    selector: { 'k2.io/service': SERVICE, 'k2.io/environment': 'test' },
    labels: {
      'backstage.io/kubernetes-id': SERVICE,
      'app.kubernetes.io/managed-by': 'k2',
      'k2.io/traffic': 'on',
    },
    service: true,
  });
  const catalogFile = writeCatalog(work);

  const backend = await startBenchBackend({
    work,
    token,
    catalogFile,
    clusters: [{ name: 'test', url: cluster.url, token: clusterToken }],
    config: {
      // Only the test environment: the others name clusters this run does not have.
      k2: {
        environments: [
          {
            name: 'test',
            title: 'Test',
            approval: { required: false },
            clusters: [{ name: 'test', weight: 1 }],
            defaults: {
              replicas: 1,
              resources: { cpu: '1', memory: '1Gi' },
              overcommit: { cpu: 4, memory: 2 },
            },
          },
        ],
      },
    },

    // The inspector, on a free loopback port, for the full collections before samples.
    env: FORCE_GC ? INSPECTOR_NODE_OPTIONS : undefined,
  });
  const headers = { Authorization: `Bearer ${token}` };
  const get = (p: string) => fetch(`${backend.baseUrl}${p}`, { headers });
  const followers: Follower[] = [];
  let inspector: Inspector | undefined;

  try {
    log('waiting for the backend, the catalog and the K2 caches');
    const started = Date.now();
    const pods = await waitFor(
      backend,
      async () => {
        const res = await get(
          `/api/k2-deploy/services/default/${SERVICE}/runtime`,
        );
        if (!res.ok) return undefined;
        const body = (await res.json()) as {
          environments: Array<{
            clusters: Array<{
              pods: Array<{ name: string; ready: boolean; phase: string }>;
            }>;
          }>;
        };
        const listed = body.environments.flatMap(e =>
          e.clusters.flatMap(c => c.pods),
        );
        const running = listed.filter(p => p.phase === 'Running' && p.ready);
        return running.length === PODS ? running.map(p => p.name) : undefined;
      },
      900_000,
    );
    log(
      `the runtime view lists ${pods.length} running pods after ${(
        (Date.now() - started) /
        1000
      ).toFixed(0)} s`,
    );
    if (FORCE_GC) inspector = await connectInspector(backend);
    /** The backend's RSS and, with the inspector, its heap, after a full collection. */
    const measure = async () => {
      await inspector?.collectGarbage();
      return {
        rss: rssBytes(backend.pid),
        heap: inspector ? await inspector.heapUsed() : undefined,
      };
    };
    // Let the controllers and the backend settle before the baseline.
    await new Promise(r => setTimeout(r, 30_000));
    const baseline = await measure();

    log(
      `opening ${STREAMS} follow streams (${
        STREAMS - SLOW_STREAMS
      } fast readers, ${SLOW_STREAMS} slow) for ${SECONDS} s`,
    );
    for (const [i, pod] of pods.slice(0, STREAMS).entries()) {
      followers.push(await follow(backend.baseUrl, token, pod, i % 2 === 1));
    }
    // The 100-line tails arrive first; the measured rate is that of the live lines.
    await new Promise(r => setTimeout(r, 2000));
    for (const f of followers) {
      f.bytesAtStart = f.bytes;
      f.linesAtStart = f.lines;
    }
    const t0 = Date.now();
    const samples: Array<{ t: number; rss: number; heap?: number }> = [
      { t: 0, ...(await measure()) },
    ];
    let exitCode: number | null | undefined;
    backend.exited.then(code => (exitCode = code));
    const deadline = t0 + SECONDS * 1000;
    for (let next = t0 + SAMPLE_MS; next < deadline; next += SAMPLE_MS) {
      await Promise.race([
        new Promise(r => setTimeout(r, Math.max(0, next - Date.now()))),
        backend.exited,
      ]);
      if (exitCode !== undefined) break;
      const sample = { t: Date.now() - t0, ...(await measure()) };
      samples.push(sample);
      const lines = followers.reduce((n, f) => n + f.lines, 0);
      log(
        `t=${(sample.t / 1000).toFixed(0).padStart(4)} s  RSS ${(
          sample.rss / MIB
        ).toFixed(1)} MiB${
          sample.heap === undefined
            ? ''
            : `  heap ${(sample.heap / MIB).toFixed(1)} MiB`
        }  lines ${lines}  open ${
          followers.filter(f => f.endedEarly === undefined).length
        }/${STREAMS}`,
      );
    }
    await Promise.race([
      new Promise(r => setTimeout(r, Math.max(0, deadline - Date.now()))),
      backend.exited,
    ]);
    if (exitCode !== undefined) {
      throw new Error(
        `backend exited with ${exitCode}:\n${backend.output().slice(-4000)}`,
      );
    }
    const elapsed = (Date.now() - t0) / 1000;
    const last = { t: Date.now() - t0, ...(await measure()) };
    samples.push(last);
    const final = last.rss;
    const stillOpen = followers.filter(f => f.endedEarly === undefined);

    const atWarmup =
      samples.find(s => s.t >= WARMUP_MS) ?? samples[samples.length - 1];
    const window = samples.filter(s => s.t >= WARMUP_MS);
    const slopeMiBPerMin =
      slope(window.map(s => ({ x: s.t / 60_000, y: s.rss / MIB }))) || 0;
    const maxRss = Math.max(...samples.map(s => s.rss));
    const growth = (final - atWarmup.rss) / MIB;
    const heapSlope = slope(
      window.map(s => ({ x: s.t / 60_000, y: (s.heap ?? NaN) / MIB })),
    );
    const totalLines = followers.reduce((n, f) => n + f.lines, 0);
    const totalBytes = followers.reduce((n, f) => n + f.bytes, 0);
    const liveLines = followers.reduce(
      (n, f) => n + f.lines - f.linesAtStart,
      0,
    );
    const liveBytes = followers.reduce(
      (n, f) => n + f.bytes - f.bytesAtStart,
      0,
    );

    const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;
    const warmupLabel = `${(WARMUP_MS / 1000).toFixed(0)} s`;
    const rows: [string, string][] = [
      ['baseline RSS, before following', mib(baseline.rss)],
      [`RSS after ${warmupLabel}`, mib(atWarmup.rss)],
      ['final RSS', mib(final)],
      ['max RSS', mib(maxRss)],
      [
        `RSS slope after ${warmupLabel} (least squares, ${window.length} samples)`,
        `${slopeMiBPerMin.toFixed(3)} MiB/min`,
      ],
      [`final − RSS after ${warmupLabel}`, `${growth.toFixed(1)} MiB`],
      ...(inspector
        ? ([
            [
              `heap used: baseline / after ${warmupLabel} / final`,
              `${mib(baseline.heap!)} / ${mib(atWarmup.heap!)} / ${mib(
                last.heap!,
              )}`,
            ],
            [
              `heap slope after ${warmupLabel}`,
              `${heapSlope.toFixed(3)} MiB/min`,
            ],
          ] as [string, string][])
        : []),
      [
        'lines / bytes delivered (all, with the 100-line tails)',
        `${totalLines} / ${totalBytes}`,
      ],
      ['live lines / bytes (after the tails)', `${liveLines} / ${liveBytes}`],
      [
        'live lines/s (all streams; per stream)',
        `${(liveLines / elapsed).toFixed(2)}; ${(
          liveLines /
          elapsed /
          Math.max(1, STREAMS)
        ).toFixed(3)}`,
      ],
      ['streams still open at the end', `${stillOpen.length}/${STREAMS}`],
    ];
    const w0 = Math.max(...rows.map(r => r[0].length));
    process.stdout.write(
      `\nK2 log follow benchmark: ${STREAMS} streams (${
        STREAMS - SLOW_STREAMS
      } fast, ${SLOW_STREAMS} slow readers) for ${elapsed.toFixed(
        0,
      )} s, RSS sampled every ${SAMPLE_MS / 1000} s${
        inspector ? ' after a full garbage collection' : ''
      }\n`,
    );
    for (const [a, b] of rows) {
      process.stdout.write(`  ${a.padEnd(w0)}  ${b}\n`);
    }
    process.stdout.write('\nStreams\n');
    const wp = Math.max(...followers.map(f => f.pod.length));
    for (const f of followers) {
      process.stdout.write(
        `  ${f.pod.padEnd(wp)}  ${f.slow ? 'slow' : 'fast'}  ${String(
          f.lines,
        ).padStart(6)} lines  ${String(f.bytes).padStart(9)} bytes  ${String(
          f.lines - f.linesAtStart,
        ).padStart(5)} live lines  ${f.pauses} pauses  ${
          f.endedEarly ? `ENDED EARLY (${f.endedEarly})` : 'open'
        }\n`,
      );
    }

    const checks: [string, boolean][] = [
      [
        `RSS slope ${slopeMiBPerMin.toFixed(
          3,
        )} MiB/min ≤ ${MAX_SLOPE_MIB_PER_MIN} MiB/min and final − RSS after ${warmupLabel} = ${growth.toFixed(
          1,
        )} MiB ≤ ${MAX_GROWTH_MIB} MiB (flat)`,
        window.length >= 2 &&
          slopeMiBPerMin <= MAX_SLOPE_MIB_PER_MIN &&
          growth <= MAX_GROWTH_MIB,
      ],
      [
        `every stream still open at the end (${stillOpen.length}/${STREAMS})`,
        stillOpen.length === STREAMS,
      ],
      [
        `every stream delivered live lines after its tail (${
          followers.filter(f => f.lines > f.linesAtStart).length
        }/${STREAMS})`,
        followers.every(f => f.lines > f.linesAtStart),
      ],
    ];
    process.stdout.write('\nTargets\n');
    for (const [text, ok] of checks) {
      process.stdout.write(`  ${ok ? 'PASS' : 'FAIL'}  ${text}\n`);
    }
    if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
  } finally {
    inspector?.close();
    for (const f of followers) {
      f.closeByUs = true;
      f.request?.destroy();
    }
    await backend.stop();
    await sandbox.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
