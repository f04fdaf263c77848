import path from 'path';
import AxeBuilder from '@axe-core/playwright';
import { BrowserContextOptions, Page } from '@playwright/test';
import { expect, signIn, test } from './fixtures';
import { LANGUAGES, Words } from './words';

/**
 * K2's pages as a user sees them at 1440×900, in every language Settings offers: each
 * Deploy view and the Builds tab of payment-gateway (owned by alice's payments-team;
 * nothing in the suite changes it) is screenshotted into
 * .k2/test-results/screenshots as `<view>.<language>.png`, and none may have a serious or critical accessibility
 * violation (axe-core). Read-only, so these run beside the stories that release
 * other services.
 */

const SERVICE = '/catalog/default/component/payment-gateway';
const SCREENSHOTS = path.resolve(
  __dirname,
  '../../../.k2/test-results/screenshots',
);

/** Browser locales to go with each language, so dates and numbers agree with it. */
const LOCALES: Record<string, string> = { en: 'en-US', zh: 'zh-CN' };

/**
 * Picks a language the way a user does: Settings lists app-config's
 * `availableLanguages` by their own names (English, 中文) and keeps the choice in
 * localStorage (`language`), so every page opened afterwards speaks it.
 */
async function chooseLanguage(page: Page, language: string) {
  const own = (code: string) => {
    const name = new Intl.DisplayNames([code], { type: 'language' }).of(code)!;
    return name.charAt(0).toUpperCase() + name.slice(1);
  };
  await page.goto('/settings');
  const select = page.getByRole('button', {
    name: new RegExp(`^(${LANGUAGES.map(l => own(l.language)).join('|')})$`),
  });
  await expect(select).toBeVisible();
  if ((await select.innerText()).trim() === own(language)) return;
  await select.click();
  await page.getByRole('option', { name: own(language) }).click();
  await expect(select).toHaveText(own(language));
}

/**
 * How long a view's first sign may take: a fresh browser context loads the app and the
 * view's lazy chunks from scratch, slow on two cores other tests keep busy.
 */
const FIRST_LOAD = { timeout: 60_000 };

const subView = (page: Page, say: Words, view: DeployView) =>
  page
    .getByRole('tablist', { name: say.deploy('views.label') })
    .getByRole('tab', { name: say.deploy(view), selected: true });

type DeployView =
  | 'views.overview'
  | 'views.instances'
  | 'views.history'
  | 'views.events'
  | 'views.activity';

/**
 * An accessible name with a pod's name in it, matching any pod of payment-gateway:
 * `message` is given a marker for the pod and the rest is matched as it is.
 */
const withPod = (message: (pod: string) => string) => {
  const marker = '\u0000';
  return new RegExp(
    `^${message(marker)
      .split(marker)
      .map(part => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('payment-gateway-\\S+')}$`,
  );
};

/**
 * The Deploy tab's sub-views (each at its own route, so a link can point at one), an
 * instance's drawer, and the service's overview page with the K2 environments card;
 * each with what shows it has loaded, by the accessible names of the language shown.
 * Environment titles (Test, Production) are app-config's words, the same in every
 * language.
 */
const VIEWS: Array<{
  name: string;
  path: string;
  loaded: (page: Page, say: Words) => Promise<void>;
}> = [
  {
    name: 'deploy-overview',
    path: `${SERVICE}/deploy`,
    loaded: async (page, say) => {
      // The catalog's link to the tab, among the entity page's content links.
      await expect(
        page.getByRole('link', { name: say.deployTab, exact: true }),
      ).toHaveAttribute('href', `${SERVICE}/deploy`, FIRST_LOAD);
      await expect(subView(page, say, 'views.overview')).toBeVisible(
        FIRST_LOAD,
      );
      for (const environment of ['Test', 'Production']) {
        await expect(
          page.getByRole('table', {
            name: say.deploy('overview.clustersOf', { environment }),
          }),
        ).toBeVisible();
      }
    },
  },
  {
    name: 'deploy-instances',
    path: `${SERVICE}/deploy/instances`,
    loaded: async (page, say) => {
      await expect(subView(page, say, 'views.instances')).toBeVisible(
        FIRST_LOAD,
      );
      await expect(
        page
          .getByRole('table', { name: say.deploy('instances.live') })
          .getByRole('row')
          .nth(1),
      ).toBeVisible();
    },
  },
  {
    name: 'deploy-instance-drawer',
    path: `${SERVICE}/deploy/instances`,
    loaded: async (page, say) => {
      const first = page
        .getByRole('table', { name: say.deploy('instances.live') })
        .getByRole('row')
        .nth(1);
      await first.click(FIRST_LOAD);
      await expect(
        page.getByRole('region', {
          name: withPod(pod => say.deploy('instance.label', { pod })),
        }),
      ).toBeVisible();
      await expect(
        page.getByRole('table', { name: say.deploy('instance.containers') }),
      ).toBeVisible();
    },
  },
  {
    name: 'deploy-history',
    path: `${SERVICE}/deploy/history?environment=prod`,
    loaded: async (page, say) => {
      await expect(subView(page, say, 'views.history')).toBeVisible(FIRST_LOAD);
      await expect(
        page.getByRole('region', {
          name: say.deploy('history.label', { environment: 'Production' }),
        }),
      ).toBeVisible();
    },
  },
  {
    name: 'deploy-events',
    path: `${SERVICE}/deploy/events`,
    loaded: async (page, say) => {
      await expect(subView(page, say, 'views.events')).toBeVisible(FIRST_LOAD);
      await expect(
        page.getByRole('region', { name: say.deploy('events.title') }),
      ).toBeVisible();
    },
  },
  {
    name: 'deploy-activity',
    path: `${SERVICE}/deploy/activity`,
    loaded: async (page, say) => {
      await expect(subView(page, say, 'views.activity')).toBeVisible(
        FIRST_LOAD,
      );
      // Loaded: the empty state, or entries (other tests act on the same service:
      // a Traffic site's upstream members are logged here, for one).
      await expect(
        page
          .getByText(say.deploy('activity.empty'))
          .or(page.getByRole('table').locator('time').first()),
      ).toBeVisible();
    },
  },
  {
    // The Builds tab as it is before a first build: what a build would use, the
    // settings' problems as a callout (payment-gateway names no source repository),
    // Build disabled with them, and the history's empty state.
    name: 'builds',
    path: `${SERVICE}/builds`,
    loaded: async (page, say) => {
      await expect(
        page.getByRole('link', { name: say.buildsTab, exact: true }),
      ).toHaveAttribute('href', `${SERVICE}/builds`, FIRST_LOAD);
      await expect(
        page.getByRole('table', { name: say.builds('settings.title') }),
      ).toBeVisible(FIRST_LOAD);
      await expect(
        page
          .getByText(say.builds('history.empty'), { exact: false })
          .or(page.getByRole('table', { name: say.builds('history.title') })),
      ).toBeVisible();
    },
  },
  {
    name: 'entity-overview',
    path: SERVICE,
    loaded: async (page, say) => {
      await expect(
        page.getByText(say.app('environments.title'), { exact: true }),
      ).toBeVisible(FIRST_LOAD);
      // K2's nav names the pages it knows in the language chosen.
      await expect(
        page
          .getByRole('navigation', { name: 'sidebar nav' })
          .getByRole('link', {
            name: say.app('nav.pages.catalog'),
            exact: true,
          }),
      ).toBeVisible();
    },
  },
];

/**
 * Violations K2 does not own and cannot fix in its own code, by axe rule and what axe
 * says about the element; each with the reason. Anything else serious or critical fails.
 */
const THIRD_PARTY: Array<{
  rule: string;
  says: RegExp;
  html?: RegExp;
  reason: string;
}> = [
  {
    rule: 'label-content-name-mismatch',
    says: /not included in the accessible name/,
    html: /href="\/notifications"/,
    reason:
      "Backstage's NotificationsSidebarItem: with unread notifications (the Alerts specs send some) its link shows the count beside its text while its aria-label stays the text alone",
  },
  {
    rule: 'color-contrast',
    says: /foreground color: #717171, background color: #f5f5f5/,
    reason:
      "Backstage's light theme: its secondary text colour (#717171) on its own page background (#f5f5f5) is 4.47:1, just under 4.5:1; K2 uses the theme's colours as they are",
  },
];

// Read-only views of one service: they run on every worker at once. A view's first
// load in a fresh browser context fetches the whole app, slow on two busy cores.
test.describe.configure({ mode: 'parallel', timeout: 150_000 });

for (const say of LANGUAGES) {
  test.describe(`in ${say.language}`, () => {
    const locale = LOCALES[say.language];
    /** Alice's session with the language chosen, which every view's page starts from. */
    const signedIn: { session?: BrowserContextOptions['storageState'] } = {};

    test.beforeAll(async ({ browser }) => {
      // Signing in waits up to 60 s for the catalog's first query on busy cores.
      test.setTimeout(180_000);
      const context = await browser.newContext({ locale });
      try {
        const page = await context.newPage();
        await signIn(page, 'alice');
        await chooseLanguage(page, say.language);
        signedIn.session = await context.storageState();
      } finally {
        await context.close();
      }
    });

    for (const view of VIEWS) {
      test(`${view.name}: a 1440×900 screenshot, no serious or critical accessibility violations`, async ({
        newPage,
      }, testInfo) => {
        const page = await newPage(undefined, {
          locale,
          storageState: signedIn.session,
          viewport: { width: 1440, height: 900 },
        });
        await page.goto(view.path);
        await view.loaded(page, say);

        await page.screenshot({
          path: path.join(SCREENSHOTS, `${view.name}.${say.language}.png`),
          fullPage: true,
        });

        const results = await new AxeBuilder({ page })
          .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
          .analyze();
        const violations = results.violations
          .filter(v => v.impact === 'serious' || v.impact === 'critical')
          .flatMap(v =>
            v.nodes.map(node => ({
              rule: v.id,
              impact: v.impact,
              help: v.help,
              target: node.target.join(' '),
              html: node.html.slice(0, 200),
              says: [...node.any, ...node.all, ...node.none]
                .map(check => check.message)
                .join(' '),
            })),
          )
          .filter(
            v =>
              !THIRD_PARTY.some(
                t =>
                  t.rule === v.rule &&
                  t.says.test(v.says) &&
                  (!t.html || t.html.test(v.html)),
              ),
          );
        await testInfo.attach('axe.json', {
          body: JSON.stringify(results.violations, null, 2),
          contentType: 'application/json',
        });
        expect(violations).toEqual([]);
      });
    }
  });
}
