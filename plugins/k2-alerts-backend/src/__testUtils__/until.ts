import { poll } from '@internal/sandbox-cluster/testUtils';

/** Waits (up to 10 s) until `assertion` passes; fails naming `what` otherwise. */
export const until = (what: string, assertion: () => void) =>
  poll(what, () => {
    assertion();
    return true;
  });
