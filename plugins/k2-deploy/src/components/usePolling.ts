import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Loads a value and reloads it every `intervalMs` (which may change with the value,
 * e.g. faster while a release is in flight). The last value stays on screen while a
 * reload runs, so nothing flickers and open dialogs keep their place.
 */
export function usePolling<T>(
  load: () => Promise<T>,
  intervalMs: (value: T | undefined) => number,
  deps: unknown[],
): { value?: T; error?: Error; loading: boolean; refresh(): void } {
  const [state, setState] = useState<{
    value?: T;
    error?: Error;
    loading: boolean;
  }>({
    loading: true,
  });
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const intervalRef = useRef(intervalMs);
  intervalRef.current = intervalMs;

  const run = useCallback(async () => {
    clearTimeout(timer.current);
    const mine = ++generation.current;
    let next: T | undefined;
    try {
      next = await loadRef.current();
      if (mine !== generation.current) return;
      setState({ value: next, loading: false });
    } catch (error) {
      if (mine !== generation.current) return;
      setState(s => ({ ...s, error: error as Error, loading: false }));
    }
    timer.current = setTimeout(run, intervalRef.current(next));
  }, []);

  useEffect(() => {
    const generations = generation;
    const timers = timer;
    setState({ loading: true });
    run();
    return () => {
      // Answers to loads started before this point are dropped.
      generations.current++;
      clearTimeout(timers.current);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { ...state, refresh: run };
}
