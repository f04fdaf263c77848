import { useEffect, useRef, useState } from 'react';

/** Whether the browser shows the page (`document.visibilityState`), kept up to date. */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(
    () => document.visibilityState !== 'hidden',
  );
  useEffect(() => {
    const update = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);
  return visible;
}

/**
 * Calls `reload` every `intervalMs` while `active` (a build on screen has not ended)
 * and the page is shown. A hidden browser tab reads nothing; when it shows again, what
 * is on screen is read at once, then on the interval.
 */
export function usePolling(
  reload: () => void,
  intervalMs: number,
  active: boolean,
) {
  const visible = usePageVisible();
  // Whether the page was hidden while there was something to read.
  const missed = useRef(false);
  useEffect(() => {
    if (!active) return undefined;
    if (!visible) {
      missed.current = true;
      return undefined;
    }
    if (missed.current) {
      missed.current = false;
      reload();
    }
    const timer = setInterval(reload, intervalMs);
    return () => clearInterval(timer);
  }, [active, visible, reload, intervalMs]);
}
