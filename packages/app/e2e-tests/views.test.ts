import path from 'path';
import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';
import { expect, test } from './fixtures';

/**
 * K2's pages as a user sees them at 1440×900: each Deploy view of payment-gateway
 * (owned by alice's payments-team; nothing in the suite changes it) is screenshotted
 * into .k2/test-results/screenshots, and none may have a serious or critical
 * accessibility violation (axe-core). Read-only, so these run beside the stories
 * that release other services.
 */

const SERVICE = '/catalog/default/component/payment-gateway';
const SCREENSHOTS = path.resolve(
  __dirname,
  '../../../.k2/test-results/screenshots',
);

/**
 * The languages the views are shown in: each one is a browser locale, and a second
 * language is one more entry (its screenshots get their own file names).
 */
const LANGUAGES = [{ name: 'en', locale: 'en-US' }];

const subView = (page: Page, name: string) =>
  page
    .getByRole('tablist', { name: 'Deploy views' })
    .getByRole('tab', { name, selected: true });

/**
 * The Deploy tab's sub-views (each at its own route, so a link can point at one), an
 * instance's drawer, and the service's overview page with the K2 environments card;
 * each with what shows it has loaded.
 */
const VIEWS: Array<{
  name: string;
  path: string;
  loaded: (page: Page) => Promise<void>;
}> = [
  {
    name: 'deploy-overview',
    path: `${SERVICE}/deploy`,
    loaded: async page => {
      await expect(subView(page, 'Overview')).toBeVisible();
      for (const env of ['Test', 'Production']) {
        await expect(
          page.getByRole('table', { name: `Clusters of ${env}` }),
        ).toBeVisible();
      }
    },
  },
  {
    name: 'deploy-instances',
    path: `${SERVICE}/deploy/instances`,
    loaded: async page => {
      await expect(subView(page, 'Instances')).toBeVisible();
      await expect(
        page
          .getByRole('table', { name: 'Live instances' })
          .getByRole('row')
          .nth(1),
      ).toBeVisible();
    },
  },
  {
    name: 'deploy-instance-drawer',
    path: `${SERVICE}/deploy/instances`,
    loaded: async page => {
      const first = page
        .getByRole('table', { name: 'Live instances' })
        .getByRole('row')
        .nth(1);
      await first.click();
      await expect(
        page.getByRole('region', { name: /^Instance payment-gateway-/ }),
      ).toBeVisible();
      await expect(
        page.getByRole('table', { name: 'Containers' }),
      ).toBeVisible();
    },
  },
  {
    name: 'deploy-history',
    path: `${SERVICE}/deploy/history?environment=prod`,
    loaded: async page => {
      await expect(subView(page, 'History')).toBeVisible();
      await expect(
        page.getByRole('region', { name: 'Production history' }),
      ).toBeVisible();
    },
  },
  {
    name: 'deploy-events',
    path: `${SERVICE}/deploy/events`,
    loaded: async page => {
      await expect(subView(page, 'Events')).toBeVisible();
      await expect(page.getByRole('region', { name: 'Events' })).toBeVisible();
    },
  },
  {
    name: 'deploy-activity',
    path: `${SERVICE}/deploy/activity`,
    loaded: async page => {
      await expect(subView(page, 'Activity')).toBeVisible();
      await expect(
        page.getByText('No releases, scaling or restarts yet.'),
      ).toBeVisible();
    },
  },
  {
    name: 'entity-overview',
    path: SERVICE,
    loaded: async page => {
      await expect(page.getByText('K2 environments')).toBeVisible();
    },
  },
];

/**
 * Violations K2 does not own and cannot fix in its own code, by axe rule and what axe
 * says about the element; each with the reason. Anything else serious or critical fails.
 */
const THIRD_PARTY: Array<{ rule: string; says: RegExp; reason: string }> = [
  {
    rule: 'color-contrast',
    says: /foreground color: #717171, background color: #f5f5f5/,
    reason:
      "Backstage's light theme: its secondary text colour (#717171) on its own page background (#f5f5f5) is 4.47:1, just under 4.5:1; K2 uses the theme's colours as they are",
  },
];

for (const language of LANGUAGES) {
  test.describe(`in ${language.name}`, () => {
    test.use({ locale: language.locale });

    for (const view of VIEWS) {
      test(`${view.name}: a 1440×900 screenshot, no serious or critical accessibility violations`, async ({
        newPage,
      }, testInfo) => {
        const page = await newPage('alice');
        await page.setViewportSize({ width: 1440, height: 900 });
        await page.goto(view.path);
        await view.loaded(page);

        await page.screenshot({
          path: path.join(SCREENSHOTS, `${view.name}.${language.name}.png`),
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
              !THIRD_PARTY.some(t => t.rule === v.rule && t.says.test(v.says)),
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
