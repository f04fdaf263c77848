import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';

/**
 * The instance whose drawer is open, kept in the URL (`?instance=<id>`), so a link —
 * a reminder, a chat message — opens the same drawer and a reload keeps it.
 */
export function useInstanceParam(): [
  string | undefined,
  (id: string | undefined) => void,
] {
  const [params, setParams] = useSearchParams();
  const value = params.get('instance') ?? undefined;
  const set = useCallback(
    (id: string | undefined) =>
      setParams(
        p => {
          const next = new URLSearchParams(p);
          if (id) next.set('instance', id);
          else next.delete('instance');
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  return [value, set];
}
