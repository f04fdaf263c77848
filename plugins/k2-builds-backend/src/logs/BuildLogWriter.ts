import { LoggerService } from '@backstage/backend-plugin-api';
import { EventEmitter } from 'node:events';
import { BuildStore, LOG_CHUNK_BYTES } from '../database/BuildStore';
import { BuildLogSink } from '../runners/types';

/** How long written text waits to be stored with what follows it. */
const FLUSH_INTERVAL_MS = 250;

/**
 * Tells followers of a log on this backend that it grew or its build ended, so they
 * read the store at once; followers of builds run elsewhere poll.
 */
export class BuildLogEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  /** Calls `listener` when the build's log grows or the build ends; returns the unsubscribe. */
  subscribe(buildId: string, listener: () => void): () => void {
    this.#emitter.on(buildId, listener);
    return () => this.#emitter.off(buildId, listener);
  }

  notify(buildId: string) {
    this.#emitter.emit(buildId);
  }
}

/**
 * A build's log as a runner writes it: text is gathered for a moment and stored in
 * order (one store write at a time), so a chatty build costs few database writes.
 */
export class BuildLogWriter implements BuildLogSink {
  #pending = '';
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly buildId: string,
    private readonly store: BuildStore,
    private readonly events: BuildLogEvents,
    private readonly logger: LoggerService,
  ) {}

  write(text: string): void {
    if (!text) return;
    this.#pending += text;
    if (Buffer.byteLength(this.#pending, 'utf8') >= LOG_CHUNK_BYTES) {
      this.#flush();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#flush(), FLUSH_INTERVAL_MS);
    }
  }

  /** A line of K2's own, marked as such. */
  line(text: string): void {
    this.write(`[k2] ${text}\n`);
  }

  /** Stores everything written so far. */
  async close(): Promise<void> {
    this.#flush();
    await this.#chain;
  }

  #flush() {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#pending) return;
    const text = this.#pending;
    this.#pending = '';
    this.#chain = this.#chain
      .then(() => this.store.appendLog(this.buildId, text))
      .then(
        () => this.events.notify(this.buildId),
        error =>
          this.logger.error(
            `Could not store the log of build ${this.buildId}: ${error}`,
          ),
      );
  }
}
