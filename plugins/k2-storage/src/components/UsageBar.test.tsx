import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { UsageBar } from './UsageBar';

const GI = 2 ** 30;

describe('UsageBar', () => {
  it('shows the fullest cluster against its capacity', async () => {
    await renderInTestApp(
      <UsageBar
        mounted
        clusters={[
          {
            cluster: 'a',
            phase: 'Bound',
            expanding: false,
            capacityBytes: 5 * GI,
            usedBytes: 1 * GI,
          },
          {
            cluster: 'b',
            phase: 'Bound',
            expanding: false,
            capacityBytes: 5 * GI,
            usedBytes: 4 * GI,
          },
        ]}
      />,
    );
    expect(await screen.findByText('4 GiB of 5 GiB')).toBeInTheDocument();
  });

  it('says a volume no release mounts has no usage to report, and a mounted one whose kubelets did not answer is unknown', async () => {
    const cluster = {
      cluster: 'a',
      phase: 'Bound' as const,
      expanding: false,
      capacityBytes: 5 * GI,
    };
    const { unmount } = await renderInTestApp(
      <UsageBar mounted={false} clusters={[cluster]} />,
    );
    expect(await screen.findByText('not mounted')).toBeInTheDocument();
    unmount();
    await renderInTestApp(<UsageBar mounted clusters={[cluster]} />);
    expect(await screen.findByText('unknown')).toBeInTheDocument();
  });
});
