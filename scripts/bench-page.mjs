// The page benchmark behind `yarn bench:page`: how long a user waits, in Chromium, for
// payment-gateway's Deploy tab to show its environments, on a portal serving the
// production build (scripts/bench-page.sh starts one; K2_BENCH_URL points elsewhere).
//
//   cold load   a new browser context (empty HTTP cache, signed-in user remembered):
//               navigation start until the Deploy overview shows every environment's
//               clusters (ready/desired replicas, health)
//   warm load   the same, reloaded in a context whose HTTP cache holds the app
//   tab switch  from the service's Overview tab, a click on Deploy until the
//               environments are visible (no page load: the app routes in place)
//
// Prints p50/p95 of each against its target with the ratio, and exits 1 when a target
// is missed. Targets: cold full load p95 <= 1.5 s, tab switch p95 <= 300 ms.
import { chromium } from '@playwright/test';

const url = process.env.K2_BENCH_URL ?? 'http://localhost:7100';
const runs = Number(process.env.K2_BENCH_RUNS ?? 10);
const service = `${url}/catalog/default/component/payment-gateway`;
// What a user waits for: each environment's clusters with ready/desired replicas and
// health, which the overview shows once the service's runtime has arrived.
const environments = ['Clusters of Test', 'Clusters of Production'];
/** Targets on p95 in milliseconds; the warm load is reported without one. */
const targets = { cold: 1500, tab: 300 };

const browser = await chromium.launch({
  executablePath: process.env.K2_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** Resolves when the Deploy overview shows every environment of the service. */
async function environmentsShown(page) {
  await Promise.all(
    environments.map(name =>
      page
        .getByRole('table', { name })
        .waitFor({ state: 'visible', timeout: 60_000 }),
    ),
  );
}

async function newContext(storageState) {
  return browser.newContext({
    viewport: { width: 1440, height: 900 },
    storageState,
  });
}

/** Signs alice in once; later contexts start from her remembered choice and cookie. */
async function signedInState() {
  const context = await newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Sign in as alice' }).click();
    await page
      .getByText(/Owned Components \(\d+\)/)
      .waitFor({ state: 'visible', timeout: 60_000 });
    return await context.storageState();
  } finally {
    await context.close();
  }
}

/** Milliseconds from starting a navigation (or a click) until the environments show. */
async function timed(action, page) {
  const started = performance.now();
  await action();
  await environmentsShown(page);
  return performance.now() - started;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

const samples = { cold: [], warm: [], tab: [] };
let failed = false;
try {
  const state = await signedInState();
  // One discarded round, so the backend's first-request work is not counted as a page's.
  for (let i = -1; i < runs; i++) {
    const context = await newContext(state);
    try {
      const page = await context.newPage();
      const deploy = `${service}/deploy`;
      const cold = await timed(() => page.goto(deploy), page);
      const warm = await timed(() => page.reload(), page);
      await page.getByRole('link', { name: 'Overview', exact: true }).click();
      await page.getByText('K2 environments').waitFor({ state: 'visible' });
      const tab = await timed(
        () => page.getByRole('link', { name: 'Deploy', exact: true }).click(),
        page,
      );
      if (i >= 0) {
        samples.cold.push(cold);
        samples.warm.push(warm);
        samples.tab.push(tab);
      }
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
}

const label = {
  cold: 'cold full load',
  warm: 'warm full load',
  tab: 'tab switch (Overview → Deploy)',
};
console.log(
  `Page benchmark: payment-gateway's Deploy tab showing its environments, ${runs} runs each, ${url}`,
);
for (const kind of ['cold', 'warm', 'tab']) {
  const p50 = percentile(samples[kind], 50);
  const p95 = percentile(samples[kind], 95);
  const figures = `${label[kind].padEnd(32)} p50 ${p50
    .toFixed(0)
    .padStart(5)} ms  p95 ${p95.toFixed(0).padStart(5)} ms`;
  const target = targets[kind];
  if (target === undefined) {
    console.log(`  ${figures}`);
    continue;
  }
  const ratio = p95 / target;
  failed ||= ratio > 1;
  console.log(
    `  ${figures}  target p95 <= ${target} ms  ratio ${ratio.toFixed(2)}  ${
      ratio <= 1 ? 'ok' : 'MISSED'
    }`,
  );
}
console.log(
  `  samples (ms): ${Object.entries(samples)
    .map(([k, v]) => `${k} ${v.map(x => x.toFixed(0)).join(' ')}`)
    .join(' | ')}`,
);
process.exit(failed ? 1 : 0);
