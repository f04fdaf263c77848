import { Backoff } from './backoff';
import { BundleError, verifyBundle } from './bundle';
import { AgentReport, K2Client, K2RefusedError } from './K2Client';
import { LiveConfig } from './LiveConfig';
import { AgentLogger } from './log';
import { runCommand } from './nginx';

export interface NginxAgentOptions {
  cluster: string;
  /** argv of Nginx's graceful reload. */
  reloadCommand: string[];
  retryMinMs: number;
  retryMaxMs: number;
  live: LiveConfig;
  client: K2Client;
  log: AgentLogger;
}

/** An error's message with its cause (fetch hides ECONNREFUSED there). */
function errorText(e: unknown): string {
  const { message, cause } = (e ?? {}) as {
    message?: unknown;
    cause?: { message?: unknown };
  };
  if (typeof message !== 'string') return String(e);
  return typeof cause?.message === 'string'
    ? `${message} (${cause.message})`
    : message;
}

/** What handling one bundle answer leads to. */
interface Outcome {
  /** The version to long-poll past next: K2 is asked again only once it changes. */
  after: string;
  report: AgentReport;
}

/**
 * The agent's loop: long-poll K2 for the cluster's bundle, apply each new version
 * once, report the outcome.
 *
 * Invariants:
 * - A version is applied at most once per process: after success or refusal the agent
 *   polls past that version, so a bundle `nginx -t` rejects is not retried in a loop;
 *   a restart tries it (and reports) again.
 * - Nothing Nginx reads changes unless the bundle's hash matched and `nginx -t` passed
 *   (see {@link LiveConfig}); while K2 is unreachable the agent only waits, so Nginx
 *   keeps serving the last applied bundle.
 * - A report that could not be delivered is retried before the next pull; on start the
 *   agent reloads Nginx and reports the live version, so after any interruption (even
 *   between swap and reload) Nginx serves what is live and K2 learns which it is.
 */
export class NginxAgent {
  private readonly stopping = new AbortController();
  private readonly backoff: Backoff;

  constructor(private readonly options: NginxAgentOptions) {
    this.backoff = new Backoff(options.retryMinMs, options.retryMaxMs);
  }

  /** Resolves once {@link stop} was called and the work in hand is finished. */
  async run(): Promise<void> {
    const { live, client, log } = this.options;
    const applied = await live.applied();
    log.info('agent started', {
      cluster: this.options.cluster,
      live: live.livePath,
      version: applied?.version,
    });
    let after = applied?.version ?? '';
    // A previous run may have swapped without reloading: make Nginx serve what is live.
    let pending: AgentReport | undefined = applied
      ? await this.reload(applied.version)
      : undefined;

    while (!this.stopping.signal.aborted) {
      if (pending) {
        const report = pending;
        try {
          await client.report(report);
          log.info('reported to K2', {
            version: report.version,
            ok: report.ok,
          });
          pending = undefined;
          this.backoff.reset();
        } catch (e) {
          if (e instanceof K2RefusedError && e.status === 400) {
            // Sending the same report again cannot succeed.
            log.error('report dropped', {
              version: report.version,
              error: errorText(e),
            });
            pending = undefined;
          } else {
            await this.retryLater('report not delivered', e);
            continue;
          }
        }
      }
      let body: unknown;
      try {
        body = await client.pull(after, this.stopping.signal);
      } catch (e) {
        if (this.stopping.signal.aborted) break;
        if (e instanceof K2RefusedError) {
          // A config error on one side or the other; retried, as K2's may be fixed.
          await this.retryLater('K2 refused the agent', e, 'error');
        } else {
          await this.retryLater('K2 unreachable', e);
        }
        continue;
      }
      this.backoff.reset();
      if (body === undefined) continue;
      let outcome: Outcome;
      try {
        outcome = await this.apply(body);
      } catch (e) {
        // K2 answered something that is not a bundle and names no version to skip.
        await this.retryLater('K2 answered an unusable bundle', e);
        continue;
      }
      after = outcome.after;
      pending = outcome.report;
    }
    log.info('agent stopped');
  }

  /** Ends the loop: an open long poll is abandoned, a bundle being applied finishes. */
  stop() {
    this.stopping.abort();
  }

  private async apply(body: unknown): Promise<Outcome> {
    const { cluster, live, log } = this.options;
    const version = (body as { version?: unknown } | null)?.version;
    if (typeof version !== 'string' || version === '') {
      throw new BundleError('the answer names no version');
    }
    const refuse = (error: string): Outcome => {
      log.error('bundle refused', { version, error });
      return { after: version, report: { version, ok: false, error } };
    };

    let bundle;
    try {
      bundle = verifyBundle(body, cluster);
    } catch (e) {
      if (e instanceof BundleError) return refuse(e.message);
      throw e;
    }
    const current = await live.applied();
    if (current?.version === bundle.version && current.hash === bundle.hash) {
      log.info('bundle already live', { version });
      return { after: version, report: { version, ok: true } };
    }

    const started = Date.now();
    let staged;
    try {
      staged = await live.stage(bundle);
      const test = await live.test(staged);
      if (!test.ok) {
        await live.discard(staged);
        return refuse(`nginx -t rejected the bundle:\n${test.output}`);
      }
      await live.swap(staged);
    } catch (e) {
      if (staged) await live.discard(staged).catch(() => undefined);
      return refuse(`could not put the bundle in place: ${errorText(e)}`);
    }
    const report = await this.reload(version);
    if (report.ok) {
      log.info('bundle applied', {
        version,
        hash: bundle.hash,
        files: bundle.files.length,
        ms: Date.now() - started,
      });
    }
    return { after: version, report };
  }

  /** Reloads Nginx gracefully; the report for `version`, which is live on disk. */
  private async reload(version: string): Promise<AgentReport> {
    const result = await runCommand(this.options.reloadCommand);
    if (result.ok) return { version, ok: true };
    const error = `the bundle passed nginx -t and is in place, but reloading Nginx failed:\n${result.output}`;
    this.options.log.error('reload failed', { version, error });
    return { version, ok: false, error };
  }

  private async retryLater(
    what: string,
    e: unknown,
    level: 'warn' | 'error' = 'warn',
  ) {
    const delay = this.backoff.next();
    this.options.log[level](what, {
      error: errorText(e),
      failures: this.backoff.failures,
      retryInMs: delay,
    });
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, delay);
      const signal = this.stopping.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}
