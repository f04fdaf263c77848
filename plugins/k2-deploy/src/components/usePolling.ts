import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiHolder, useApiHolder } from '@backstage/frontend-plugin-api';

/** How many keyed values {@link usePolling} keeps for views mounted again. */
export const REMEMBERED_VALUES = 50;

/**
 * The last value each keyed load produced, per app (its API holder, which lives as
 * long as the page), newest last: a view mounted again (e.g. a tab switched back to)
 * shows it at once while its reload runs, instead of a spinner until the backend
 * answers. Signing out reloads the page, so no other user sees it.
 */
const rememberedByApp = new WeakMap<ApiHolder, Map<string, unknown>>();

function rememberedIn(apis: ApiHolder) {
  let remembered = rememberedByApp.get(apis);
  if (!remembered) {
    remembered = new Map();
    rememberedByApp.set(apis, remembered);
  }
  return remembered;
}

function remember(
  remembered: Map<string, unknown>,
  key: string,
  value: unknown,
) {
  remembered.delete(key);
  remembered.set(key, value);
  if (remembered.size > REMEMBERED_VALUES) {
    remembered.delete(remembered.keys().next().value as string);
  }
}

/**
 * Loads a value and reloads it every `intervalMs` (which may change with the value,
 * e.g. faster while a release is in flight). The last value stays on screen while a
 * reload runs, so nothing flickers and open dialogs keep their place.
 *
 * With a `rememberAs` key, the value is also kept for the next mount of a view with
 * that key, which starts from it (`loading` false) and reloads at once: the key must
 * name everything the load depends on (service, environment, filters).
 *
 * `first` is a load already started for the current `deps` (asked for before the
 * view's code had loaded): the next load reads its answer instead of calling `load`,
 * once; a new `first` is read by the load after it arrives.
 */
export function usePolling<T>(
  load: () => Promise<T>,
  intervalMs: (value: T | undefined) => number,
  deps: unknown[],
  options: { rememberAs?: string; first?: Promise<T> } = {},
): { value?: T; error?: Error; loading: boolean; refresh(): void } {
  const { rememberAs } = options;
  const remembered = rememberedIn(useApiHolder());
  const initial = () =>
    rememberAs !== undefined && remembered.has(rememberAs)
      ? { value: remembered.get(rememberAs) as T, loading: false }
      : { loading: true };
  const [state, setState] = useState<{
    value?: T;
    error?: Error;
    loading: boolean;
  }>(initial);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const intervalRef = useRef(intervalMs);
  intervalRef.current = intervalMs;
  const keyRef = useRef(rememberAs);
  keyRef.current = rememberAs;
  const rememberedRef = useRef(remembered);
  rememberedRef.current = remembered;
  const firstRef = useRef(options.first);
  firstRef.current = options.first;
  const readFirst = useRef<Promise<T>>();

  const run = useCallback(async () => {
    clearTimeout(timer.current);
    const mine = ++generation.current;
    let next: T | undefined;
    try {
      const first = firstRef.current;
      if (first !== undefined && first !== readFirst.current) {
        readFirst.current = first;
        next = await first;
      } else {
        next = await loadRef.current();
      }
      if (mine !== generation.current) return;
      if (keyRef.current !== undefined) {
        remember(rememberedRef.current, keyRef.current, next);
      }
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
    // New deps start from what is remembered for them, or from nothing.
    setState(initial());
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
