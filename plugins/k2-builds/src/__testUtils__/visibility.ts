import { act } from '@testing-library/react';

/**
 * Plays the browser hiding and showing the page: `document.visibilityState` as set,
 * and a `visibilitychange` event on each change. `restore` gives jsdom its own back.
 */
export function pageVisibility() {
  let state: DocumentVisibilityState = 'visible';
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => state,
  });
  return {
    set(next: DocumentVisibilityState) {
      act(() => {
        state = next;
        document.dispatchEvent(new Event('visibilitychange'));
      });
    },
    restore() {
      delete (document as { visibilityState?: unknown }).visibilityState;
    },
  };
}
