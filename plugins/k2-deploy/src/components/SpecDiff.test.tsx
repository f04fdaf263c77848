import { renderInTestApp } from '@backstage/frontend-test-utils';
import { K2Release } from '@internal/plugin-k2-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { diffRows, SpecDiff, specLines } from './SpecDiff';

describe('SpecDiff', () => {
  it('flattens a spec into sorted path: value lines', () => {
    expect(specLines({ b: 1, a: { y: [1, 2], x: {} } })).toEqual([
      'a.x: {}',
      'a.y.0: 1',
      'a.y.1: 2',
      'b: 1',
    ]);
  });

  it('puts a changed value on one row, old left and new right', () => {
    const rows = diffRows(
      ['image: "app:1"', 'port: 8080', 'replicas: 2'],
      ['image: "app:2"', 'port: 8080', 'replicas: 2', 'x: 1'],
    );
    expect(rows).toEqual([
      { left: 'image: "app:1"', right: 'image: "app:2"', changed: true },
      { left: 'port: 8080', right: 'port: 8080', changed: false },
      { left: 'replicas: 2', right: 'replicas: 2', changed: false },
      { right: 'x: 1', changed: true },
    ]);
  });

  it('pairs lines by path within a changed block, additions and removals on their own rows', () => {
    const rows = diffRows(
      ['a: 1', 'env.0.name: "A"', 'env.1.name: "B"', 'z: 1'],
      ['a: 1', 'env.0.name: "B"', 'z: 2'],
    );
    expect(rows).toEqual([
      { left: 'a: 1', right: 'a: 1', changed: false },
      { left: 'env.0.name: "A"', right: 'env.0.name: "B"', changed: true },
      { left: 'env.1.name: "B"', changed: true },
      { left: 'z: 1', right: 'z: 2', changed: true },
    ]);
  });

  it('keeps identical specs on unchanged rows', () => {
    const lines = specLines({ image: 'app:1', replicas: 2 });
    expect(diffRows(lines, lines).every(r => !r.changed)).toBe(true);
  });
});

describe('SpecDiff dialog', () => {
  const release = (number: number, spec: object) =>
    ({ number, spec } as unknown as K2Release);
  const older = release(3, {
    image: 'registry.example.com/team/app:1.0.0',
    replicas: 2,
    port: 8080,
    env: [{ name: 'MODE', value: 'a' }],
  });
  const newer = release(4, {
    image: 'registry.example.com/team/app:1.1.0',
    replicas: 2,
    port: 8080,
    env: [],
  });

  it('shows both specs side by side, counts the changes, and can hide what did not change', async () => {
    await renderInTestApp(
      <SpecDiff older={older} newer={newer} onClose={() => {}} />,
    );
    expect(
      await screen.findByRole('heading', {
        name: 'Release #3 → #4: 4 changes',
      }),
    ).toBeInTheDocument();
    const table = screen.getByRole('table', { name: 'Spec differences' });
    const row = (text: string) =>
      within(table)
        .getAllByRole('row')
        .find(r => r.textContent?.includes(text));
    const image = row('image:')!;
    expect(
      within(image)
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual([
      'image: "registry.example.com/team/app:1.0.0"',
      'image: "registry.example.com/team/app:1.1.0"',
    ]);
    expect(
      within(row('env.0.name')!)
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['env.0.name: "MODE"', '']);
    expect(row('port: 8080')).toBeDefined();

    await userEvent.click(
      screen.getByRole('checkbox', { name: 'Changed only' }),
    );
    expect(row('port: 8080')).toBeUndefined();
    expect(row('replicas: 2')).toBeUndefined();
    // The header and the changed rows; lines with different paths do not share a row.
    expect(
      within(table)
        .getAllByRole('row')
        .map(r => r.textContent),
    ).toEqual([
      '#3#4',
      'env.0.name: "MODE"',
      'env.0.value: "a"',
      'env: []',
      'image: "registry.example.com/team/app:1.0.0"image: "registry.example.com/team/app:1.1.0"',
    ]);
  });
});
