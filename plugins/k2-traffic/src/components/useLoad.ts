import {
  DependencyList,
  useCallback,
  useEffect,
  useRef,
  useState,
} from 'react';

/**
 * Loads a value and keeps the last answer on screen: a refresh that fails keeps the
 * previous value (with the error beside it), so a view only shows an error panel when
 * nothing was ever loaded. With `intervalMs` it refreshes while mounted (host reports
 * arrive by the agents' pulls, which the page is not told of). `refresh` loads again
 * at once, e.g. after a publish.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: DependencyList,
  intervalMs?: number,
): { value?: T; error?: Error; refresh(): void } {
  const [state, setState] = useState<{ value?: T; error?: Error }>({});
  const generation = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);

  const refresh = useCallback(() => {
    const mine = ++generation.current;
    run().then(
      value => {
        if (mine === generation.current) setState({ value });
      },
      error => {
        if (mine === generation.current) {
          setState(previous => ({ value: previous.value, error }));
        }
      },
    );
  }, [run]);

  useEffect(() => {
    const answers = generation;
    setState({});
    refresh();
    const timer = intervalMs ? setInterval(refresh, intervalMs) : undefined;
    return () => {
      clearInterval(timer);
      // An answer still on its way belongs to what was shown before.
      answers.current++;
    };
  }, [refresh, intervalMs]);

  return { ...state, refresh };
}
