import { defineConfig } from '@playwright/test';

/** Files that must not run beside the others (see `projects`). */
const TEAM_SETTINGS = /alerts-team-settings\.test\.ts$/;
const MIDDLEWARE = /middleware\.test\.ts$/;

/**
 * End-to-end tests run in Debian's Chromium against a portal started by `./k2 test`: the
 * production build of the frontend served by the backend (or any running portal: set
 * K2_E2E_URL). Test files run in parallel on two workers (the machine has two cores);
 * each file's scenarios act on a service no other file changes, and a file whose
 * scenarios build on each other is serial within itself. A file that changes what
 * another relies on runs after the rest, as a project of its own.
 */
export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: Number(process.env.K2_E2E_WORKERS ?? 2),
  fullyParallel: false,
  reporter: [
    ['list'],
    ['json', { outputFile: '.k2/test-results/playwright.json' }],
  ],
  outputDir: '.k2/test-results/playwright',
  use: {
    viewport: { width: 1440, height: 900 },
    baseURL: process.env.K2_E2E_URL ?? 'http://localhost:3000',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
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
    },
  },
  projects: [
    // Alerts team settings change payments-team's settings, which the escalation
    // spec also sets for its run: that file runs once every other file is done.
    // The Middleware spec releases payment-gateway in test, whose pods the Alerts,
    // Kubernetes and views specs read (steered, counted, screenshotted): it too runs
    // once they are done.
    { name: 'chromium', testIgnore: [TEAM_SETTINGS, MIDDLEWARE] },
    {
      name: 'team-settings',
      testMatch: TEAM_SETTINGS,
      dependencies: ['chromium'],
    },
    {
      name: 'middleware',
      testMatch: MIDDLEWARE,
      dependencies: ['chromium'],
    },
  ],
});
