import { renderInTestApp } from '@backstage/frontend-test-utils';
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import { DiffLine, textLines } from './diffRows';
import { DIFF_LAYOUT_KEY, LineDiff } from './LineDiff';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

/** An Nginx server block of 20 lines, `line n` standing in for directives. */
const config = Array.from({ length: 20 }, (_, i) => `line ${i + 1};`);
const older = textLines(config.join('\n'));
const newer = textLines(
  [
    ...config.slice(0, 9),
    'listen 8080;',
    ...config.slice(10, 14),
    'gzip on;',
    ...config.slice(14),
  ].join('\n'),
);

const fields = (values: Record<string, string>): DiffLine[] =>
  Object.entries(values).map(([key, value]) => ({
    key,
    text: `${key}: ${value}`,
  }));

function renderDiff(a: DiffLine[], b: DiffLine[]) {
  return renderInTestApp(
    <LineDiff
      older={a}
      newer={b}
      olderLabel="v1"
      newerLabel="v2"
      label="Config differences"
    />,
  );
}

const table = () =>
  within(screen.getByRole('table', { name: 'Config differences' }));
const rowTexts = () =>
  table()
    .getAllByRole('row')
    .slice(1)
    .map(row => row.textContent);

/** axe-core's serious and critical findings in the page. */
async function seriousViolations() {
  let results: axe.AxeResults | undefined;
  // Inside act: MUI's button ripples finish while axe reads the page.
  await act(async () => {
    results = await axe.run(document.body, {
      // jsdom lays nothing out, so axe cannot measure contrast here.
      rules: { 'color-contrast': { enabled: false } },
    });
  });
  return results!.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id}: ${v.nodes.map(n => n.html).join(' | ')}`);
}

describe('LineDiff', () => {
  beforeEach(() => window.localStorage.clear());

  it('shows only the changes with three lines of context, the rest folded and expandable', async () => {
    await renderDiff(older, newer);
    const user = userEvent.setup();

    expect(
      screen.getByText('3 changes: 2 added, 1 removed'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Changes only' }),
    ).toHaveAttribute('aria-pressed', 'true');
    // Lines 7–9 before the change, 11–14 between, 15–17 after; 1–6 and 18–20 folded.
    expect(rowTexts()).toEqual([
      'Show 6 unchanged lines',
      '7 line 7;7 line 7;',
      '8 line 8;8 line 8;',
      '9 line 9;9 line 9;',
      expect.stringMatching(/^10−Removed: line 10;10\+Added: listen 8080;$/),
      '11 line 11;11 line 11;',
      '12 line 12;12 line 12;',
      '13 line 13;13 line 13;',
      '14 line 14;14 line 14;',
      expect.stringMatching(/^15\+Added: gzip on;$/),
      '15 line 15;16 line 15;',
      '16 line 16;17 line 16;',
      '17 line 17;18 line 17;',
      'Show 3 unchanged lines',
    ]);

    await user.click(
      screen.getByRole('button', { name: 'Show 6 unchanged lines' }),
    );
    expect(rowTexts()[0]).toBe('1 line 1;1 line 1;');
    // The six lines in place of their fold; the other fold stays.
    expect(rowTexts()).toHaveLength(6 + 12 + 1);
    expect(
      screen.getByRole('button', { name: 'Show 3 unchanged lines' }),
    ).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'All lines' }));
    expect(screen.getByRole('button', { name: 'All lines' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(
      screen.queryByRole('button', { name: /unchanged line/ }),
    ).not.toBeInTheDocument();
    // 20 older lines, one of them beside its replacement, and one added alone.
    expect(rowTexts()).toHaveLength(21);

    await user.click(screen.getByRole('button', { name: 'Changes only' }));
    // Back to the changes: what was unfolded is folded again.
    expect(rowTexts()[0]).toBe('Show 6 unchanged lines');
  });

  it('switches to a unified view and keeps that choice for the next diff', async () => {
    const view = await renderDiff(older, newer);
    const user = userEvent.setup();

    expect(
      table()
        .getAllByRole('columnheader')
        .map(c => c.textContent),
    ).toEqual(['Line number', 'v1', 'Line number', 'v2']);
    await user.click(screen.getByRole('button', { name: 'Unified' }));
    expect(screen.getByRole('button', { name: 'Unified' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(
      table()
        .getAllByRole('columnheader')
        .map(c => c.textContent),
    ).toEqual(['Line number', 'Line number', 'v1 → v2']);
    // The old line, then the new one, each with its own line number.
    expect(rowTexts().slice(3, 6)).toEqual([
      '99 line 9;',
      '10−Removed: line 10;',
      '10+Added: listen 8080;',
    ]);

    view.unmount();
    await renderDiff(older, newer);
    expect(screen.getByRole('button', { name: 'Unified' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(window.localStorage.getItem(DIFF_LAYOUT_KEY)).toBe('unified');
  });

  it('counts a changed field once, beside its old value, and marks the words that changed', async () => {
    await renderDiff(
      fields({ image: 'app:1.4.1', replicas: '2', port: '8080' }),
      fields({ image: 'app:1.4.2', port: '8080', jvm: '-Xmx1g' }),
    );

    expect(
      screen.getByText('3 changes: 1 changed, 1 added, 1 removed'),
    ).toBeInTheDocument();
    // Fields have no line numbers: their position in a rendering means nothing.
    expect(
      table()
        .getAllByRole('columnheader')
        .map(c => c.textContent),
    ).toEqual(['v1', 'v2']);
    const image = table().getByRole('row', { name: /image/ });
    const [left, right] = within(image).getAllByRole('cell');
    expect(left).toHaveTextContent('Removed: image: app:1.4.1');
    expect(right).toHaveTextContent('Added: image: app:1.4.2');
    // Only the part of the tag that differs is marked.
    expect([...left.querySelectorAll('del')].map(e => e.textContent)).toEqual([
      '1',
    ]);
    expect([...right.querySelectorAll('ins')].map(e => e.textContent)).toEqual([
      '2',
    ]);
    expect(
      within(table().getByRole('row', { name: /replicas/ }))
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['−Removed: replicas: 2', '']);
  });

  it('says a masked value changed instead of showing the same mask twice', async () => {
    const secret = (version: string): DiffLine => ({
      key: 'env.DB_PASSWORD',
      text: 'env.DB_PASSWORD: ••••••',
      identity: version,
      masked: true,
    });
    const view = await renderDiff([secret('a1')], [secret('b2')]);
    expect(screen.getByText('1 change: 1 changed')).toBeInTheDocument();
    const [left, right] = within(
      table().getByRole('row', { name: /DB_PASSWORD/ }),
    ).getAllByRole('cell');
    expect(left).toHaveTextContent(/^−Removed: env\.DB_PASSWORD: ••••••$/);
    expect(right).toHaveTextContent(
      /^\+Added: env\.DB_PASSWORD: ••••••value changed$/,
    );
    view.unmount();

    // The same version: the value was kept.
    await renderDiff([secret('a1')], [secret('a1')]);
    expect(screen.getByText('No differences')).toBeInTheDocument();
    expect(
      within(table().getByRole('row', { name: /DB_PASSWORD/ }))
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual([' env.DB_PASSWORD: ••••••', ' env.DB_PASSWORD: ••••••']);
  });

  it('has no serious accessibility violations in either layout', async () => {
    await renderDiff(older, newer);
    const user = userEvent.setup();
    expect(await seriousViolations()).toEqual([]);
    await user.click(screen.getByRole('button', { name: 'Unified' }));
    await user.click(screen.getByRole('button', { name: 'All lines' }));
    expect(await seriousViolations()).toEqual([]);
  });
});
