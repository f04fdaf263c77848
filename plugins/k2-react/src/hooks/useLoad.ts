import {
  DependencyList,
  useCallback,
  useEffect,
  useRef,
  useState,
} from 'react';

/** The state of a load: the last answer, the last error, and a way to load again. */
export interface Loaded<T> {
  value?: T;
  error?: Error;
  loading: boolean;
  reload(): void;
}

/**
 * Loads `load()` when `deps` change and, with `intervalMs`, again on that interval
 * while the view is shown (an interval of 0 or undefined does not poll; changing it
 * does not load again by itself). A reload that fails after a first answer keeps that
 * answer (and reports the error beside it); a change of `deps` starts from nothing, so
 * one environment's list or one instance is never shown under another's name, unless
 * `keepOnChange` asks to keep showing the last answer until the next one arrives (a
 * preview). An answer that arrives after a newer load started is dropped.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: DependencyList,
  options: { intervalMs?: number; keepOnChange?: boolean } = {},
): Loaded<T> {
  const [state, setState] = useState<{ value?: T; error?: Error }>({});
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  const fetchNow = useCallback(
    (fresh: boolean) => {
      const id = ++latest.current;
      if (fresh) setState({});
      setLoading(true);
      run().then(
        value => {
          if (id !== latest.current) return;
          setState({ value });
          setLoading(false);
        },
        error => {
          if (id !== latest.current) return;
          setState(s => ({ value: s.value, error }));
          setLoading(false);
        },
      );
    },
    [run],
  );
  const { intervalMs, keepOnChange } = options;
  useEffect(() => {
    fetchNow(!keepOnChange);
    return () => {
      latest.current += 1;
    };
  }, [fetchNow, keepOnChange]);
  useEffect(() => {
    if (!intervalMs) return undefined;
    const timer = setInterval(() => fetchNow(false), intervalMs);
    return () => clearInterval(timer);
  }, [fetchNow, intervalMs]);
  const reload = useCallback(() => fetchNow(false), [fetchNow]);
  return { ...state, loading, reload };
}
