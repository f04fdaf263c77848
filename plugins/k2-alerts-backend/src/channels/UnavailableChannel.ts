import { Channel } from './types';

/**
 * A channel type this K2 cannot deliver (email without `k2.alerts.email`): every
 * message throws the reason, so the notifier logs each undelivered message instead of
 * dropping it silently.
 */
export class UnavailableChannel implements Channel {
  readonly #reason: string;

  constructor(reason: string) {
    this.#reason = reason;
  }

  async send(): Promise<void> {
    throw new Error(this.#reason);
  }
}
