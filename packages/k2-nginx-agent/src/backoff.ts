/**
 * Exponential backoff with equal jitter: the n-th delay is uniform in
 * [cap/2, cap] where cap = min(max, min * 2^n), so hosts that lost K2 together do not
 * come back in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly minMs: number, private readonly maxMs: number) {}

  next(): number {
    const cap = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  reset() {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
