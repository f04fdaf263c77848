import type { LoggerService } from '@backstage/backend-plugin-api';

/** Where a runner's lines go: the build's log, stored as it is written. */
export interface BuildLogSink {
  /** Appends text (one or more lines, or part of one); never a secret's value. */
  write(text: string): void;
}

/** What a runner is asked to build: everything but secret values. */
export interface BuildJob {
  /** The build's id (`k2_builds.id`) and its number within the service. */
  id: string;
  number: number;
  /** The service's entity ref and its Kubernetes-safe id (`payments-core-payment-gateway`). */
  service: string;
  serviceId: string;
  /**
   * The service's environments in `k2.io/environments` order; a Kubernetes build runs
   * where the first one's `builds` says (absent: K2's first environment).
   */
  environments?: string[];
  source: {
    /** The clone URL (`http://127.0.0.1:7108/git/payments/payment-gateway.git`). */
    url: string;
    /** The branch or tag asked for. */
    ref: string;
    /** The 40-hex commit resolved before the build started; the one built. */
    commit: string;
  };
  /** The Dockerfile's text (rendered or read from the repository). */
  dockerfile: string;
  target: {
    /** The image as releases name it: `registry.northwind.example/payments-core/payment-gateway:1a2b3c4d5e6f`. */
    image: string;
    /** The `k2.registries[].host` it belongs to; credentials are looked up by it. */
    registryHost: string;
  };
  /** Ends the build as `timed-out` after this long. */
  timeoutMs: number;
}

/** How a run ended. The digest is never a runner's claim: the service reads it back from the registry. */
export type BuildOutcome =
  | { result: 'pushed' }
  | { result: 'failed'; reason: string }
  | { result: 'cancelled' }
  | { result: 'timed-out' };

/**
 * What a build's signal is aborted with when the backend stops, as opposed to a
 * cancel: a runner that can {@link BuildRunner.resume} (Kubernetes) leaves the build
 * running, to be followed again at the next start, and answers `cancelled`, which the
 * queue does not record (the build stays `running`). Runners without `resume` end the
 * build as for a cancel.
 */
export class BackendStoppingReason extends Error {
  constructor() {
    super('Stopped: the backend stopped');
    this.name = 'BackendStoppingReason';
  }
}

/** A runner of builds: buildah here, a BuildKit Job in a cluster. */
export interface BuildRunner {
  readonly kind: 'local' | 'kubernetes';
  /** Whether it can run here; the reason otherwise (shown in the tab, not hidden). */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /**
   * Runs one build to the push. `signal` aborts it (cancel, backend stopping); the
   * runner then ends it and answers `cancelled`. A timeout answers `timed-out`.
   */
  run(
    job: BuildJob,
    log: BuildLogSink,
    signal: AbortSignal,
  ): Promise<BuildOutcome>;
  /** A run that outlived a backend restart (Kubernetes only), found again by the build's id. */
  resume?(
    job: BuildJob,
    log: BuildLogSink,
    signal: AbortSignal,
  ): Promise<BuildOutcome>;
}

/** What every runner is built from. */
export interface BuildRunnerDeps {
  logger: LoggerService;
}
