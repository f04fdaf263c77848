import { renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router-dom';
import { ActionButton } from './ActionButton';
import {
  EnvironmentSwitcher,
  useEnvironmentParam,
} from './EnvironmentSwitcher';
import { RelativeTime, relativeTime } from './RelativeTime';
import { SubViews } from './SubViews';

function Where() {
  const location = useLocation();
  return <output>{`${location.pathname}${location.search}`}</output>;
}

describe('RelativeTime', () => {
  it('reads relative, with the absolute time on hover', async () => {
    const iso = new Date(Date.now() - 5 * 60_000).toISOString();
    await renderInTestApp(<RelativeTime value={iso} />);
    const time = screen.getByText('5 minutes ago');
    expect(time).toHaveAttribute('datetime', iso);
    fireEvent.mouseOver(time);
    expect(
      await screen.findByRole('tooltip', {
        name: new Date(iso).toLocaleString(),
      }),
    ).toBeInTheDocument();
  });

  it('says seconds, minutes, hours and days, and the date past a month', () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    const at = (ms: number) => new Date(now - ms).toISOString();
    expect(relativeTime(at(20_000), now)).toBe('20 seconds ago');
    expect(relativeTime(at(3 * 3600_000), now)).toBe('3 hours ago');
    expect(relativeTime(at(2 * 86_400_000), now)).toBe('2 days ago');
    expect(relativeTime(at(40 * 86_400_000), now)).toBe(
      new Date(now - 40 * 86_400_000).toLocaleDateString(),
    );
  });
});

describe('ActionButton', () => {
  it('is disabled with its reason on hover, and does nothing when clicked', async () => {
    const onClick = jest.fn();
    await renderInTestApp(
      <ActionButton disabledReason="Only the owners may" onClick={onClick}>
        Scale
      </ActionButton>,
    );
    const button = screen.getByRole('button', { name: 'Scale' });
    expect(button).toBeDisabled();
    fireEvent.mouseOver(button.parentElement!);
    expect(
      await screen.findByRole('tooltip', { name: 'Only the owners may' }),
    ).toBeInTheDocument();
    fireEvent.click(button);
    expect(onClick).not.toHaveBeenCalled();
  });
});

describe('SubViews', () => {
  const views = [
    { path: '', title: 'Overview', element: <p>overview body</p> },
    { path: 'history', title: 'History', element: <p>history body</p> },
  ];

  it('routes each sub-view under the tab’s path and marks the one shown', async () => {
    await renderInTestApp(
      <>
        <SubViews views={views} />
        <Where />
      </>,
      { mountPath: '/deploy', initialRouteEntries: ['/deploy/history'] },
    );
    expect(screen.getByText('history body')).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'History' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    await userEvent.click(screen.getByRole('tab', { name: 'Overview' }));
    expect(await screen.findByText('overview body')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent(/^\/deploy$/);
  });

  it('shows the first sub-view for a path it does not know', async () => {
    await renderInTestApp(<SubViews views={views} />, {
      mountPath: '/deploy',
      initialRouteEntries: ['/deploy/nope'],
    });
    expect(screen.getByText('overview body')).toBeInTheDocument();
  });
});

describe('EnvironmentSwitcher', () => {
  function Switcher() {
    const [environment, setEnvironment] = useEnvironmentParam();
    return (
      <EnvironmentSwitcher
        environments={[
          { name: 'test', title: 'Test' },
          { name: 'prod', title: 'Production' },
        ]}
        value={environment}
        onChange={setEnvironment}
        allLabel="All environments"
      />
    );
  }

  it('keeps the chosen environment in the URL, under a label', async () => {
    await renderInTestApp(
      <>
        <Switcher />
        <Where />
      </>,
      { mountPath: '/events', initialRouteEntries: ['/events'] },
    );
    const select = screen.getByRole('button', { name: /Environment/ });
    expect(select).toHaveTextContent('All environments');
    await userEvent.click(select);
    await userEvent.click(
      within(screen.getByRole('listbox')).getByRole('option', {
        name: 'Production',
      }),
    );
    await waitFor(() =>
      expect(screen.getByRole('status')).toHaveTextContent(
        '/events?environment=prod',
      ),
    );
    expect(
      screen.getByRole('button', { name: /Environment/ }),
    ).toHaveTextContent('Production');
  });
});
