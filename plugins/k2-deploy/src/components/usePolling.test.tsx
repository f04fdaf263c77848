import { useState } from 'react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { usePolling } from './usePolling';

/** A load the test answers when it wants: each call waits for the next `answer`. */
function backend() {
  const waiting: Array<(value: string) => void> = [];
  const load = jest.fn(
    () => new Promise<string>(resolve => waiting.push(resolve)),
  );
  const answer = (value: string) =>
    act(async () => {
      waiting.shift()?.(value);
    });
  return { load, answer };
}

function Runtime(props: { load: () => Promise<string>; service: string }) {
  const { value, loading } = usePolling(
    props.load,
    () => 60_000,
    [props.service],
    {
      rememberAs: `runtime:${props.service}`,
    },
  );
  return <p>{loading ? 'loading' : `runs ${value}`}</p>;
}

/** A page with a tab that can be left and opened again, as the entity tabs are. */
function Page(props: { load: () => Promise<string> }) {
  const [tab, setTab] = useState<'overview' | 'deploy' | 'other'>('deploy');
  return (
    <>
      <button onClick={() => setTab('overview')}>Overview</button>
      <button onClick={() => setTab('deploy')}>Deploy</button>
      <button onClick={() => setTab('other')}>Other service</button>
      {tab === 'deploy' && <Runtime load={props.load} service="checkout" />}
      {tab === 'other' && <Runtime load={props.load} service="payments" />}
    </>
  );
}

/** A view whose first load was started before it mounted. */
function Started(props: {
  load: () => Promise<string>;
  first: Promise<string>;
}) {
  const { value, loading } = usePolling(props.load, () => 5000, ['checkout'], {
    first: props.first,
  });
  return <p>{loading ? 'loading' : `runs ${value}`}</p>;
}

describe('usePolling', () => {
  it('shows the last value at once when a view with the same key mounts again, then the reloaded one', async () => {
    const { load, answer } = backend();
    await renderInTestApp(<Page load={load} />);
    expect(screen.getByText('loading')).toBeInTheDocument();
    await answer('1.0');
    expect(screen.getByText('runs 1.0')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Overview' }));
    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    // Before the backend answers the reload, the remembered value is on screen.
    expect(load).toHaveBeenCalledTimes(2);
    expect(screen.getByText('runs 1.0')).toBeInTheDocument();
    await answer('1.1');
    expect(screen.getByText('runs 1.1')).toBeInTheDocument();
  });

  it('shows nothing remembered under another key', async () => {
    const { load, answer } = backend();
    await renderInTestApp(<Page load={load} />);
    await answer('1.0');
    expect(screen.getByText('runs 1.0')).toBeInTheDocument();

    await userEvent.click(
      screen.getByRole('button', { name: 'Other service' }),
    );
    expect(screen.getByText('loading')).toBeInTheDocument();
    await answer('2.0');
    expect(screen.getByText('runs 2.0')).toBeInTheDocument();
  });

  it('remembers per app, so another app starts from nothing', async () => {
    const first = backend();
    const { unmount } = await renderInTestApp(<Page load={first.load} />);
    await first.answer('1.0');
    expect(screen.getByText('runs 1.0')).toBeInTheDocument();
    unmount();

    const second = backend();
    await renderInTestApp(<Page load={second.load} />);
    expect(screen.getByText('loading')).toBeInTheDocument();
  });

  it('reads a load already under way instead of asking again, then polls with its own load', async () => {
    jest.useFakeTimers();
    try {
      const { load, answer } = backend();
      let answerFirst = (_: string) => {};
      const first = new Promise<string>(resolve => {
        answerFirst = resolve;
      });
      await renderInTestApp(<Started load={load} first={first} />);
      expect(screen.getByText('loading')).toBeInTheDocument();
      await act(async () => answerFirst('1.0'));
      expect(screen.getByText('runs 1.0')).toBeInTheDocument();
      expect(load).not.toHaveBeenCalled();

      // The next poll is the view's own.
      await act(async () => {
        jest.advanceTimersByTime(5000);
      });
      expect(load).toHaveBeenCalledTimes(1);
      await answer('1.1');
      expect(screen.getByText('runs 1.1')).toBeInTheDocument();
    } finally {
      jest.useRealTimers();
    }
  });
});
