import { execFile } from 'child_process';
import fs from 'fs';
import path from 'path';
import { promisify } from 'util';
import {
  BrowserContext,
  BrowserContextOptions,
  ConsoleMessage,
  test as base,
  expect,
  Page,
} from '@playwright/test';

export { expect };

/**
 * The registry K2 checks released images in (`k2.registries`' registry.northwind.example):
 * the end-to-end one `./k2 test` runs (K2_E2E_REGISTRY_URL), else the one `./k2 start`
 * runs.
 */
const REGISTRY_URL = process.env.K2_E2E_REGISTRY_URL ?? 'http://127.0.0.1:7104';
const PUSH_CLI = path.resolve(
  __dirname,
  '../../sandbox-cluster/bin/k2-sandbox-registry',
);

/**
 * Pushes a tiny image under each reference (`registry.northwind.example/team/app:1.2.3`)
 * to the registry, as a build would: K2 releases only images its registry holds.
 * Pushing a tag the registry has already changes nothing.
 */
export async function pushImage(...references: string[]): Promise<void> {
  await promisify(execFile)(process.execPath, [
    PUSH_CLI,
    'push',
    '--url',
    REGISTRY_URL,
    ...references,
  ]);
}

/** One line the browser console printed, or an uncaught error, on a page under test. */
export interface ConsoleEntry {
  kind: 'error' | 'warning' | 'pageerror';
  text: string;
  /** The page's URL when it was printed. */
  page: string;
}

/**
 * Where K2's own frontend code lives. A development bundle names these paths in React's
 * component stacks and in stack traces.
 */
const K2_SOURCE = /plugins\/k2-[a-z-]+\/src\/|packages\/app\/src\//;

/** K2's frontend API paths: a console error about one of them is K2's fault. */
const K2_API = /\/api\/k2(-[a-z-]+)?\//;

/**
 * The components K2's frontend packages define (the app and every frontend plugin
 * under plugins/), read from their sources so a new component is covered as it lands.
 * React's development warnings carry a component stack ("at h5 ... at InfoCard ... at
 * EnvironmentPanel (...)"): a frame naming one of these makes the warning K2's.
 */
function k2ComponentNames(): Set<string> {
  const root = path.resolve(__dirname, '../../..');
  const frontendDirs = [path.join(root, 'packages/app')];
  for (const dir of fs.readdirSync(path.join(root, 'plugins'))) {
    const pkg = path.join(root, 'plugins', dir, 'package.json');
    if (!fs.existsSync(pkg)) continue;
    const role = JSON.parse(fs.readFileSync(pkg, 'utf8')).backstage?.role;
    if (role === 'frontend-plugin' || role === 'web-library') {
      frontendDirs.push(path.join(root, 'plugins', dir));
    }
  }
  const names = new Set<string>();
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (/\.tsx$/.test(entry.name) && !/\.test\.tsx$/.test(entry.name)) {
        const source = fs.readFileSync(file, 'utf8');
        for (const m of source.matchAll(
          /(?:function|const)\s+([A-Z][A-Za-z0-9]+)\b/g,
        )) {
          names.add(m[1]);
        }
      }
    }
  };
  for (const dir of frontendDirs) visit(path.join(dir, 'src'));
  return names;
}

const K2_COMPONENTS = k2ComponentNames();

function namesK2Component(text: string): boolean {
  for (const m of text.matchAll(/\bat ([A-Z][A-Za-z0-9]+)\b/g)) {
    if (K2_COMPONENTS.has(m[1])) return true;
  }
  return false;
}

/**
 * Whether a console entry is K2's to fix: a React warning or an error whose stack
 * points into K2's code, a failed request to a K2 API, or an uncaught error on a page
 * (nothing on a K2 page may throw, whoever wrote the code that threw).
 */
export function isK2Owned(entry: ConsoleEntry): boolean {
  if (entry.kind === 'pageerror') return true;
  return (
    K2_SOURCE.test(entry.text) ||
    namesK2Component(entry.text) ||
    K2_API.test(entry.text)
  );
}

interface Fixtures {
  /**
   * Opens a page in a browser context of its own (a separate sign-in), signed in as
   * `user` when given, with the context `options` (a locale, or the `storageState` of
   * a session signed in earlier). Every context it opens is closed when the test ends.
   */
  newPage: (user?: string, options?: BrowserContextOptions) => Promise<Page>;
  /** Everything the console printed on the test's pages so far. */
  consoleEntries: ConsoleEntry[];
  /** Fails the test when it left a browser context open, or K2 wrote to the console. */
  hygiene: void;
}

function listen(context: BrowserContext, entries: ConsoleEntry[]) {
  const onPage = (page: Page) => {
    page.on('console', (message: ConsoleMessage) => {
      const type = message.type();
      if (type !== 'error' && type !== 'warning') return;
      const location = message.location();
      entries.push({
        kind: type,
        text: location.url
          ? `${message.text()}\n    at ${location.url}:${location.lineNumber}`
          : message.text(),
        page: page.url(),
      });
    });
    page.on('pageerror', error => {
      entries.push({
        kind: 'pageerror',
        text: `${error.name}: ${error.message}\n${error.stack ?? ''}`,
        page: page.url(),
      });
    });
  };
  context.pages().forEach(onPage);
  context.on('page', onPage);
}

/** Signs in with the development sign-in page's button for a demo user. */
export async function signIn(page: Page, user: string) {
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${user}` }).click();
  // The catalog is the landing page. Its first list of a fresh context waits for the
  // catalog query, which takes tens of seconds on two busy cores.
  await expect(page.getByText(/Owned Components \(\d+\)/)).toBeVisible({
    timeout: 60_000,
  });
}

/**
 * K2's Playwright test: the console of every page a test opens is collected, and the
 * test fails on entries K2 owns ({@link isK2Owned}); every browser context a test
 * opens is closed, and one left open fails it (an open context keeps polling the
 * backend and starves later tests).
 *
 * React prints its development warnings (DOM nesting, missing keys) only from a
 * development bundle: against the production build `./k2 test` serves, the check sees
 * uncaught errors, failed K2 API calls and anything K2 logs; pointed at `./k2 start`'s
 * development server (K2_E2E_URL=http://localhost:3000) it sees React's warnings too.
 */
export const test = base.extend<Fixtures>({
  consoleEntries: async ({}, provide) => {
    await provide([]);
  },
  hygiene: [
    async ({ browser, consoleEntries }, provide, testInfo) => {
      await provide();
      // Playwright's own `context` fixture is torn down before this one (set up after
      // it), so any context still open here was opened by the test and not closed.
      const leaked = browser.contexts();
      await Promise.all(leaked.map(c => c.close()));
      const owned = consoleEntries.filter(isK2Owned);
      await testInfo.attach('console.json', {
        body: JSON.stringify(consoleEntries, null, 2),
        contentType: 'application/json',
      });
      if (testInfo.status !== testInfo.expectedStatus) return;
      expect(
        leaked.length,
        'browser contexts the test left open (close them, or use newPage)',
      ).toBe(0);
      expect(
        owned,
        "console errors and warnings from K2's own code on the pages this test visited",
      ).toEqual([]);
    },
    { auto: true },
  ],
  context: async ({ context, consoleEntries }, provide) => {
    listen(context, consoleEntries);
    await provide(context);
  },
  newPage: async ({ browser, consoleEntries }, provide) => {
    const opened: BrowserContext[] = [];
    await provide(async (user?: string, options?: BrowserContextOptions) => {
      const context = await browser.newContext(options);
      opened.push(context);
      listen(context, consoleEntries);
      const page = await context.newPage();
      if (user) await signIn(page, user);
      return page;
    });
    await Promise.all(opened.map(c => c.close()));
  },
});
