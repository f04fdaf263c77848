/** What an operator injected through the admin endpoint, and until when. */
export interface FaultSpec {
  /** Answer matching requests with this HTTP status (a `Status` body). */
  errors?: {
    code: number;
    seconds: number;
    /** Only these verbs (get, list, watch, create, update, patch, delete ...). */
    verbs?: string[];
    /** Only these resources (plural names, e.g. `pods`). */
    resources?: string[];
    /** Fail every n-th matching request instead of all (deterministic). */
    every?: number;
  };
  /** Delay every API request by this much. */
  latency?: { ms: number; seconds: number };
  /**
   * `drop`: open watches are cut now and new ones are cut right after they start;
   * `stall`: watches stay open but deliver nothing (no events, no bookmarks).
   */
  watches?: { mode: 'drop' | 'stall'; seconds: number };
  /**
   * A cluster that takes connections and answers nothing: matching requests get no
   * response (only the client's own deadline ends them; their connections are cut when
   * the fault ends) and matching open watches deliver nothing. Verbs and resources
   * narrow it as for `errors`.
   */
  blackhole?: { seconds: number; verbs?: string[]; resources?: string[] };
  /**
   * The next `count` list requests that carry a continue token arrive just after an
   * etcd compaction: they get 410 `Expired`, as a real server answers a paged list
   * whose first page is older than the compaction.
   */
  continueTokens?: { expire: number };
}

interface Active<T> {
  spec: T;
  until: number;
}

export class Faults {
  private errors?: Active<NonNullable<FaultSpec['errors']>>;
  private latency?: Active<NonNullable<FaultSpec['latency']>>;
  private watches?: Active<NonNullable<FaultSpec['watches']>>;
  private blackhole?: Active<NonNullable<FaultSpec['blackhole']>>;
  private continuesToExpire = 0;
  private counter = 0;

  set(spec: FaultSpec, now = Date.now()) {
    if (spec.errors)
      this.errors = {
        spec: spec.errors,
        until: now + spec.errors.seconds * 1000,
      };
    if (spec.latency)
      this.latency = {
        spec: spec.latency,
        until: now + spec.latency.seconds * 1000,
      };
    if (spec.watches)
      this.watches = {
        spec: spec.watches,
        until: now + spec.watches.seconds * 1000,
      };
    if (spec.blackhole)
      this.blackhole = {
        spec: spec.blackhole,
        until: now + spec.blackhole.seconds * 1000,
      };
    if (spec.continueTokens) {
      this.continuesToExpire = spec.continueTokens.expire;
    }
  }

  clear() {
    this.errors = undefined;
    this.latency = undefined;
    this.watches = undefined;
    this.blackhole = undefined;
    this.continuesToExpire = 0;
  }

  /** True (once per expiry left) when this continued list must find its token expired. */
  takeContinueExpiry(): boolean {
    if (this.continuesToExpire <= 0) return false;
    this.continuesToExpire--;
    return true;
  }

  /** The status code to fail this request with, if an error fault applies. */
  errorFor(
    verb: string,
    resource: string | undefined,
    now = Date.now(),
  ): number | undefined {
    const active = this.errors;
    if (!active || now >= active.until) return undefined;
    const { spec } = active;
    if (spec.verbs && !spec.verbs.includes(verb)) return undefined;
    if (spec.resources && (!resource || !spec.resources.includes(resource)))
      return undefined;
    this.counter++;
    if (spec.every && spec.every > 1 && this.counter % spec.every !== 0)
      return undefined;
    return spec.code;
  }

  /**
   * How long a request of this verb and resource goes unanswered (until the black-hole
   * fault ends), or 0 when it is answered.
   */
  blackholeMs(verb: string, resource: string | undefined, now = Date.now()) {
    const active = this.blackhole;
    if (!active || now >= active.until) return 0;
    const { spec } = active;
    if (spec.verbs && !spec.verbs.includes(verb)) return 0;
    if (spec.resources && (!resource || !spec.resources.includes(resource)))
      return 0;
    return active.until - now;
  }

  latencyMs(now = Date.now()) {
    const active = this.latency;
    return active && now < active.until ? active.spec.ms : 0;
  }

  watchMode(now = Date.now()): 'drop' | 'stall' | undefined {
    const active = this.watches;
    return active && now < active.until ? active.spec.mode : undefined;
  }

  describe(now = Date.now()) {
    const left = (a?: Active<unknown>) =>
      a && now < a.until ? Math.ceil((a.until - now) / 1000) : undefined;
    return {
      errors: left(this.errors)
        ? { ...this.errors!.spec, secondsLeft: left(this.errors) }
        : null,
      latency: left(this.latency)
        ? { ...this.latency!.spec, secondsLeft: left(this.latency) }
        : null,
      watches: left(this.watches)
        ? { ...this.watches!.spec, secondsLeft: left(this.watches) }
        : null,
      blackhole: left(this.blackhole)
        ? { ...this.blackhole!.spec, secondsLeft: left(this.blackhole) }
        : null,
      continueTokens:
        this.continuesToExpire > 0 ? { expire: this.continuesToExpire } : null,
    };
  }
}

/**
 * Request counters by verb and resource, as `GET /sandbox/stats` reports them, and by
 * verb and User-Agent, as an API server's audit log records who asked.
 */
export class RequestCounters {
  private readonly counts = new Map<string, number>();
  private readonly agents = new Map<string, number>();

  add(verb: string, resource: string, userAgent?: string) {
    const key = `${verb} ${resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (userAgent) {
      const byAgent = `${verb} ${userAgent}`;
      this.agents.set(byAgent, (this.agents.get(byAgent) ?? 0) + 1);
    }
  }

  /** Requests that carried this User-Agent, of one verb or all. */
  byUserAgent(userAgent: string, verb?: string) {
    let sum = 0;
    for (const [key, count] of this.agents) {
      const space = key.indexOf(' ');
      if (key.slice(space + 1) !== userAgent) continue;
      if (!verb || key.slice(0, space) === verb) sum += count;
    }
    return sum;
  }

  snapshot() {
    const out: { verb: string; resource: string; count: number }[] = [];
    for (const [key, count] of this.counts) {
      const [verb, resource] = key.split(' ');
      out.push({ verb, resource, count });
    }
    return out.sort((a, b) => b.count - a.count);
  }

  total(verb?: string, resource?: string) {
    return this.snapshot()
      .filter(
        c =>
          (!verb || c.verb === verb) && (!resource || c.resource === resource),
      )
      .reduce((sum, c) => sum + c.count, 0);
  }

  reset() {
    this.counts.clear();
    this.agents.clear();
  }
}
