import { renderHook } from '@testing-library/react';
import { pageVisibility } from '../__testUtils__/visibility';
import { usePolling } from './usePolling';

describe('usePolling', () => {
  let visibility: ReturnType<typeof pageVisibility>;
  beforeEach(() => {
    jest.useFakeTimers();
    visibility = pageVisibility();
  });
  afterEach(() => {
    visibility.restore();
    jest.useRealTimers();
  });

  it('reads on the interval while active and the page is shown, and never while it is hidden', () => {
    const reload = jest.fn();
    renderHook(() => usePolling(reload, 1000, true));
    jest.advanceTimersByTime(3000);
    expect(reload).toHaveBeenCalledTimes(3);

    visibility.set('hidden');
    jest.advanceTimersByTime(10_000);
    expect(reload).toHaveBeenCalledTimes(3);

    // Shown again: read at once, then on the interval.
    visibility.set('visible');
    expect(reload).toHaveBeenCalledTimes(4);
    jest.advanceTimersByTime(1000);
    expect(reload).toHaveBeenCalledTimes(5);
  });

  it('does not read when the page shows again after nothing was missed', () => {
    const reload = jest.fn();
    renderHook(() => usePolling(reload, 1000, true));
    visibility.set('visible');
    expect(reload).not.toHaveBeenCalled();
  });

  it('stops when it is no longer active (the build ended) and when unmounted', () => {
    const reload = jest.fn();
    const { rerender, unmount } = renderHook(
      ({ active }) => usePolling(reload, 1000, active),
      { initialProps: { active: true } },
    );
    jest.advanceTimersByTime(1000);
    expect(reload).toHaveBeenCalledTimes(1);
    rerender({ active: false });
    jest.advanceTimersByTime(5000);
    // Hidden and shown while inactive: nothing to catch up on.
    visibility.set('hidden');
    visibility.set('visible');
    expect(reload).toHaveBeenCalledTimes(1);

    rerender({ active: true });
    jest.advanceTimersByTime(1000);
    expect(reload).toHaveBeenCalledTimes(2);
    unmount();
    jest.advanceTimersByTime(5000);
    expect(reload).toHaveBeenCalledTimes(2);
  });
});
