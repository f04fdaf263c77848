import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import { IMAGE_REPOSITORY, release } from '../__testUtils__/fixtures';
import { setupUser } from '../__testUtils__/render';
import { HistoryTable } from './HistoryTable';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

const history = [
  release({
    number: 9,
    kind: 'scale',
    spec: { image: `${IMAGE_REPOSITORY}:1.4.2`, replicas: 4 },
  }),
  release({
    number: 8,
    status: 'failed',
    spec: { image: `${IMAGE_REPOSITORY}:1.5.0` },
    reason: 'Rollout did not complete in 600 s',
  }),
  release({ number: 7, message: 'Faster refunds' }),
  release({ number: 6, spec: { image: `${IMAGE_REPOSITORY}:1.4.1` } }),
];

function renderTable(props: Partial<Parameters<typeof HistoryTable>[0]> = {}) {
  const onRollback = jest.fn();
  renderInTestApp(
    <HistoryTable
      environment="Test"
      releases={history}
      total={4}
      currentId="rel-test-9"
      busy={false}
      hasMore={false}
      onMore={() => {}}
      onRollback={onRollback}
      {...props}
    />,
  );
  return { onRollback };
}

describe('HistoryTable', () => {
  it('compares two ticked releases side by side, the changed image old and new', async () => {
    renderTable();
    const user = setupUser();

    // Looked up each time: the table renders its actions anew.
    const compare = () =>
      screen.getByRole('button', { name: 'Compare selected' });
    expect(compare()).toBeDisabled();
    expect(
      screen.getByText('Tick two releases to compare (0/2)'),
    ).toBeInTheDocument();
    await user.click(
      screen.getByRole('checkbox', { name: 'Compare release #7' }),
    );
    expect(compare()).toBeDisabled();
    expect(
      screen.getByText('Tick two releases to compare (1/2)'),
    ).toBeInTheDocument();
    await user.click(
      screen.getByRole('checkbox', { name: 'Compare release #6' }),
    );
    expect(compare()).toBeEnabled();
    await user.click(compare());

    const diff = within(
      within(screen.getByRole('dialog')).getByRole('table', {
        name: 'Spec differences',
      }),
    );
    // The older release on the left, whichever was ticked first.
    const columns = diff.getAllByRole('columnheader');
    expect(columns.map(c => c.textContent)).toEqual(['#6', '#7']);
    const image = diff.getByRole('row', { name: /image/ });
    const cells = within(image).getAllByRole('cell');
    expect(cells[0]).toHaveTextContent(`${IMAGE_REPOSITORY}:1.4.1`);
    expect(cells[1]).toHaveTextContent(`${IMAGE_REPOSITORY}:1.4.2`);
    // Only the image differs between #6 and #7.
    expect(
      diff
        .getAllByRole('row')
        .filter(row => /1\.4\.[12]/.test(row.textContent ?? '')),
    ).toHaveLength(1);
  });

  it('names the middleware whose connection variables each release received', async () => {
    renderTable({
      releases: [
        release({
          number: 12,
          spec: {
            bindings: [
              { name: 'REDIS_HOST', instance: 'cart-cache', value: 'c.svc' },
              {
                name: 'REDIS_PASSWORD',
                instance: 'cart-cache',
                secretKeyRef: { name: 'k2-mw-cart-cache', key: 'password' },
              },
              {
                name: 'MYSQL_PASSWORD',
                instance: 'orders-db',
                secretKeyRef: { name: 'k2-mw-orders-db', key: 'password' },
              },
            ],
          },
        }),
        release({ number: 11 }),
      ],
      total: 2,
      currentId: 'rel-test-12',
    });
    expect(
      within(
        screen.getByRole('row', { name: /^Compare release #12/ }),
      ).getByText('Middleware cart-cache, orders-db'),
    ).toBeInTheDocument();
    expect(
      within(
        screen.getByRole('row', { name: /^Compare release #11/ }),
      ).queryByText(/^Middleware/),
    ).not.toBeInTheDocument();
  });

  it('shows the image digest the registry gave, shortened, where one was recorded', () => {
    const digest = `sha256:9b2f0c41d7e3${'a'.repeat(52)}`;
    renderTable({
      releases: [
        release({ number: 12, imageDigest: digest }),
        release({ number: 11 }),
      ],
      total: 2,
      currentId: 'rel-test-12',
    });
    const row = within(
      screen.getByRole('row', { name: /^Compare release #12/ }),
    );
    expect(row.getByText(/^Digest/)).toHaveTextContent(
      /^Digest sha256:9b2f0c41d7e3$/,
    );
    // The digest alone in monospace, the whole of it on hover.
    expect(row.getByText('sha256:9b2f0c41d7e3')).toHaveAttribute(
      'title',
      digest,
    );
    expect(
      within(
        screen.getByRole('row', { name: /^Compare release #11/ }),
      ).queryByText(/^Digest/),
    ).not.toBeInTheDocument();
  });

  it('shows the config file versions and volumes each release mounts, and a new version as one changed line of the diff', async () => {
    const mounted = (number: number, version: number) =>
      release({
        number,
        spec: {
          volumes: [{ volume: 'data', mountPath: '/data', readOnly: false }],
          configFiles: [
            {
              file: 'application.yaml',
              version,
              object: `payment-gateway-application-yaml-${version}`,
              sensitive: false,
              hash: String(version),
              mountPath: '/app/config/application.yaml',
            },
          ],
        },
      });
    renderTable({
      releases: [mounted(11, 4), mounted(10, 3)],
      total: 2,
      currentId: 'rel-test-11',
    });
    const user = setupUser();
    expect(
      within(
        screen.getByRole('row', { name: /^Compare release #11/ }),
      ).getByText('Mounts application.yaml v4, data'),
    ).toBeInTheDocument();

    await user.click(
      screen.getByRole('checkbox', { name: 'Compare release #10' }),
    );
    await user.click(
      screen.getByRole('checkbox', { name: 'Compare release #11' }),
    );
    await user.click(screen.getByRole('button', { name: 'Compare selected' }));
    const diff = within(
      within(screen.getByRole('dialog')).getByRole('table', {
        name: 'Spec differences',
      }),
    );
    const cells = within(
      diff.getByRole('row', {
        name: /config \/app\/config\/application\.yaml/,
      }),
    ).getAllByRole('cell');
    expect(cells[0]).toHaveTextContent(
      'config /app/config/application.yaml: application.yaml v3',
    );
    expect(cells[1]).toHaveTextContent(
      'config /app/config/application.yaml: application.yaml v4',
    );
    // The volume did not change: the same line on both sides.
    const volume = within(
      diff.getByRole('row', { name: /volume data/ }),
    ).getAllByRole('cell');
    expect(volume.map(c => c.textContent?.trim())).toEqual([
      'volume data mounted at /data',
      'volume data mounted at /data',
    ]);
  });

  it('compares at most two: a third tick replaces the oldest', async () => {
    renderTable();
    const user = setupUser();

    for (const n of [9, 7, 6]) {
      await user.click(
        screen.getByRole('checkbox', { name: `Compare release #${n}` }),
      );
    }
    expect(
      screen.getByRole('checkbox', { name: 'Compare release #9' }),
    ).not.toBeChecked();
    expect(
      screen.getByRole('checkbox', { name: 'Compare release #7' }),
    ).toBeChecked();
    expect(
      screen.getByRole('checkbox', { name: 'Compare release #6' }),
    ).toBeChecked();
  });

  it('offers rollback to earlier successful releases only', async () => {
    const { onRollback } = renderTable();
    const user = setupUser();

    expect(
      screen
        .getAllByRole('button', { name: /^Roll back to/ })
        .map(b => b.textContent),
    ).toEqual(['Roll back to #7', 'Roll back to #6']);
    await user.click(screen.getByRole('button', { name: 'Roll back to #6' }));
    expect(onRollback).toHaveBeenCalledTimes(1);
    expect(onRollback).toHaveBeenCalledWith(
      expect.objectContaining({ id: 'rel-test-6', number: 6 }),
    );
  });

  it('never offers to roll back to the release already running', () => {
    renderTable({
      releases: history.slice(2),
      total: 2,
      currentId: 'rel-test-7',
    });
    expect(
      screen
        .getAllByRole('button', { name: /^Roll back to/ })
        .map(b => b.textContent),
    ).toEqual(['Roll back to #6']);
  });

  it('disables rollback when the user may not release, and says why', () => {
    renderTable({ rollbackDisabledReason: 'Only the owners may do this' });
    for (const button of screen.getAllByRole('button', {
      name: /^Roll back to/,
    })) {
      expect(button).toBeDisabled();
      expect(button.closest('[title]')).toHaveAttribute(
        'title',
        'Only the owners may do this',
      );
    }
  });

  it('shows what each release did, its result and its reason', () => {
    renderTable();
    const failed = screen.getByRole('row', { name: /Release 1\.5\.0 × 2/ });
    expect(failed).toHaveTextContent('Failed');
    expect(failed).toHaveTextContent('Rollout did not complete in 600 s');
    expect(
      screen.getByRole('row', { name: /Scale 1\.4\.2 × 4/ }),
    ).toHaveTextContent('Succeeded');
    expect(
      screen.getByRole('row', { name: /Release 1\.4\.2 × 2/ }),
    ).toHaveTextContent('Faster refunds');
    expect(screen.getByText('History (4)')).toBeInTheDocument();
  });

  it('tells what to do when nothing was released yet', () => {
    renderTable({ releases: [], total: 0 });
    expect(
      screen.getByText(
        'Nothing released to Test yet. Use Release on the Overview.',
      ),
    ).toBeInTheDocument();
  });
});
