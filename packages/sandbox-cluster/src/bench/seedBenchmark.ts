import { Sandbox } from '../sandbox';
import { seedBulk } from '../seed/bulk';

/**
 * Seeds 50,000 running pods across three sandbox clusters, lists every pod of one
 * cluster over HTTP, and reports time and memory against the targets.
 *
 *   yarn bench            (from the repo root)
 *   K2_BENCH_PODS=100000 yarn bench
 */
async function main() {
  const totalPods = Number(process.env.K2_BENCH_PODS ?? 50000);
  const names = ['bench-a', 'bench-b', 'bench-c'];
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage();

  const sandbox = await Sandbox.start(
    names.map((name, i) => ({ name, port: 0, token: `bench-${i}` })),
  );
  const started = performance.now();
  const perCluster = Math.ceil(totalPods / names.length);
  for (const cluster of sandbox.clusters.values()) {
    seedBulk(cluster, {
      pods: perCluster,
      podsPerDeployment: 10,
      namespaces: 100,
    });
  }
  // Let the controllers see every seeded object (they run on the event loop).
  await new Promise(r => setTimeout(r, 100));
  const seedSeconds = (performance.now() - started) / 1000;
  const pods = [...sandbox.clusters.values()].reduce(
    (n, c) => n + c.store.count(c.type('', 'pods')),
    0,
  );
  const ready = [...sandbox.clusters.values()].reduce(
    (n, c) =>
      n +
      c.store
        .list(c.type('', 'pods'))
        .filter(p =>
          p.status?.conditions?.some(
            (x: any) => x.type === 'Ready' && x.status === 'True',
          ),
        ).length,
    0,
  );

  gc?.();
  const seeded = process.memoryUsage();

  const first = sandbox.clusters.get('bench-a')!;
  const listStart = performance.now();
  const res = await fetch(`${first.url}/api/v1/pods`, {
    headers: { Authorization: 'Bearer bench-0' },
  });
  const body = await res.text();
  const listSeconds = (performance.now() - listStart) / 1000;
  const listed = JSON.parse(body).items.length;

  const pageStart = performance.now();
  let pages = 0;
  let cont = '';
  let paged = 0;
  do {
    const page = await (
      await fetch(
        `${first.url}/api/v1/pods?limit=500${
          cont ? `&continue=${encodeURIComponent(cont)}` : ''
        }`,
        {
          headers: { Authorization: 'Bearer bench-0' },
        },
      )
    ).json();
    paged += page.items.length;
    cont = page.metadata.continue ?? '';
    pages++;
  } while (cont);
  const pagedSeconds = (performance.now() - pageStart) / 1000;

  const metricsStart = performance.now();
  const metrics = await (
    await fetch(`${first.url}/metrics`, {
      headers: { Authorization: 'Bearer bench-0' },
    })
  ).text();
  const metricsSeconds = (performance.now() - metricsStart) / 1000;

  await sandbox.stop();

  const mib = (n: number) => `${(n / 1024 ** 2).toFixed(0)} MiB`;
  const rows: [string, string][] = [
    ['pods seeded (3 clusters)', `${pods} (${ready} ready)`],
    [
      'seed time',
      `${seedSeconds.toFixed(1)} s (target < 60 s: ${(seedSeconds / 60).toFixed(
        2,
      )} of budget)`,
    ],
    [
      'list all pods of one cluster',
      `${listed} pods, ${mib(body.length)} JSON in ${listSeconds.toFixed(2)} s`,
    ],
    [
      'same list in pages of 500',
      `${paged} pods in ${pages} pages, ${pagedSeconds.toFixed(2)} s`,
    ],
    [
      '/metrics of one cluster',
      `${metrics.split('\n').length} lines, ${mib(
        metrics.length,
      )} in ${metricsSeconds.toFixed(2)} s`,
    ],
    [
      'heap used after seeding',
      `${mib(seeded.heapUsed - baseline.heapUsed)} (${(
        (seeded.heapUsed - baseline.heapUsed) /
        pods /
        1024
      ).toFixed(1)} KiB per pod)`,
    ],
    ['resident set size', mib(seeded.rss)],
  ];
  const width = Math.max(...rows.map(r => r[0].length));
  process.stdout.write(
    `\nK2 sandbox seeding benchmark${
      gc ? '' : ' (run with --expose-gc for exact heap figures)'
    }\n`,
  );
  for (const [k, v] of rows)
    process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  if (
    pods < totalPods ||
    listed !== first.store.count(first.type('', 'pods'))
  ) {
    process.stdout.write('FAILED: not every pod was seeded or listed\n');
    process.exitCode = 1;
  } else if (seedSeconds >= 60) {
    process.stdout.write('FAILED: seeding took longer than 60 s\n');
    process.exitCode = 1;
  }
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
