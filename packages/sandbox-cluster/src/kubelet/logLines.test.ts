import {
  ContainerRun,
  LogFlavour,
  LogLine,
  logFlavour,
  runLines,
  runLinesAfter,
  runLogCursor,
  runLinesSince,
  runLinesTail,
  withTimestamp,
} from './logLines';

const T0 = Date.UTC(2026, 10, 22, 7, 0, 0);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const IMAGES: Record<LogFlavour, string> = {
  java: 'registry.northwind.internal/payments/payment-gateway-java:1.4.2',
  node: 'registry.northwind.internal/web/storefront-node:2.0.1',
  go: 'registry.northwind.internal/platform/golang-ledger:0.9.0',
  python: 'registry.northwind.internal/data/fastapi-recommender:3.1.0',
  nginx: 'nginx:1.27.2',
  generic: 'registry.northwind.internal/tools/batch-runner:5.0.0',
};
const FLAVOURS = Object.keys(IMAGES) as LogFlavour[];

function run(overrides: Partial<ContainerRun> = {}): ContainerRun {
  return {
    podName: 'payment-gateway-7c9d8f6b5-x2k4q',
    namespace: 'payments',
    containerName: 'app',
    image: IMAGES.java,
    startedAt: T0,
    ...overrides,
  };
}

function expectOrdered(lines: LogLine[]) {
  for (let i = 1; i < lines.length; i++) {
    expect(lines[i].time).toBeGreaterThanOrEqual(lines[i - 1].time);
  }
}

describe('logFlavour', () => {
  it.each([
    ['registry.example.internal/shop/orders-java:1.0', 'java'],
    ['registry.example.internal/base/openjdk17-service:2', 'java'],
    ['registry.example.internal/spring/orders:1.0', 'java'],
    ['registry.example.internal/web/checkout:1.0-node20', 'node'],
    ['registry.example.internal/web/next-frontend:3', 'node'],
    ['registry.example.internal/svc/golang-api:1.2', 'go'],
    ['registry.example.internal/svc/go-ledger:1.2', 'go'],
    ['registry.example.internal/ml/django-admin:4', 'python'],
    ['python:3.12-slim', 'python'],
    ['nginx:1.27', 'nginx'],
    ['registry.example.internal/edge/nginx-proxy:1', 'nginx'],
    ['registry.example.internal/payments/payment-gateway:1.4.2', 'generic'],
    ['registry.example.internal/db/mongo-sync:1', 'generic'],
    ['registry.example.internal/tools/gopher:1', 'generic'],
  ] as const)('%s -> %s', (image, flavour) => {
    expect(logFlavour(image)).toBe(flavour);
  });

  it('lets a hint win over the image', () => {
    expect(logFlavour('nginx:1.27', 'java')).toBe('java');
    expect(logFlavour('registry.example.internal/a/b:1', 'Kotlin')).toBe(
      'java',
    );
    expect(logFlavour('registry.example.internal/a/b:1', 'typescript')).toBe(
      'node',
    );
    expect(logFlavour('registry.example.internal/a/b-java:1', 'golang')).toBe(
      'go',
    );
    expect(logFlavour('registry.example.internal/a/b-java:1', 'generic')).toBe(
      'generic',
    );
    expect(logFlavour('registry.example.internal/a/b-java:1', 'cobol')).toBe(
      'java',
    );
  });
});

describe('runLines', () => {
  it('is deterministic and differs between pods', () => {
    const a = runLines(
      run({ endedAt: T0 + 10 * MINUTE, endReason: 'Killed' }),
      T0 + DAY,
    );
    const b = runLines(
      run({ endedAt: T0 + 10 * MINUTE, endReason: 'Killed' }),
      T0 + DAY,
    );
    expect(a).toEqual(b);
    const other = runLines(
      run({
        podName: 'payment-gateway-7c9d8f6b5-zz9pl',
        endedAt: T0 + 10 * MINUTE,
      }),
      T0 + DAY,
    );
    expect(other.map(l => l.text)).not.toEqual(
      a.map(l => l.text).slice(0, other.length),
    );
  });

  it.each(FLAVOURS)(
    '%s: starts with a banner, then one line per interval',
    flavour => {
      const r = run({ image: IMAGES[flavour], intervalSeconds: 5 });
      const lines = runLines(r, T0 + 10 * MINUTE);
      expectOrdered(lines);
      expect(lines[0].time).toBeGreaterThanOrEqual(T0);
      expect(lines[lines.length - 1].time).toBeLessThanOrEqual(
        T0 + 10 * MINUTE,
      );
      for (const line of lines) {
        expect(line.text).not.toMatch(/[\r\n]/);
      }
      // Any later window of 10 intervals holds exactly 10 periodic lines.
      const from = T0 + 2 * MINUTE;
      const window = lines.filter(
        l => l.time > from && l.time <= from + 50_000,
      );
      expect(window).toHaveLength(10);
      // About 120 periodic lines in 10 minutes, plus a short banner.
      expect(lines.length).toBeGreaterThan(110);
      expect(lines.length).toBeLessThan(150);
    },
  );

  it('writes language-appropriate banners', () => {
    const at = T0 + MINUTE;
    const text = (flavour: LogFlavour) =>
      runLines(run({ image: IMAGES[flavour] }), at)
        .map(l => l.text)
        .join('\n');
    expect(text('java')).toMatch(
      /Started PaymentGatewayJavaApplication in \d+\.\d{3} seconds/,
    );
    expect(text('java')).toContain(':: Spring Boot ::');
    expect(text('node')).toContain('listening on :8080');
    expect(text('go')).toContain('"msg":"http server listening"');
    expect(text('python')).toContain('Application startup complete.');
    expect(text('nginx')).toContain('start worker process');
    expect(text('nginx')).toMatch(/"GET [^ ]+ HTTP\/1\.1" \d{3} \d+ /);
  });

  it('mostly serves 200s, with occasional 404s and 500s, and shows the pod or request ids', () => {
    const lines = runLines(run({ image: IMAGES.go }), T0 + (2 * DAY) / 24);
    const statuses = lines
      .map(l => /"status":(\d+)/.exec(l.text)?.[1])
      .filter((s): s is string => s !== undefined);
    const share = (code: string) =>
      statuses.filter(s => s === code).length / statuses.length;
    expect(statuses.length).toBeGreaterThan(1000);
    expect(share('200')).toBeGreaterThan(0.7);
    expect(share('404')).toBeGreaterThan(0);
    expect(share('500')).toBeGreaterThan(0);
    expect(
      lines.some(l => l.text.includes('payment-gateway-7c9d8f6b5-x2k4q')),
    ).toBe(true);
    expect(
      lines.filter(l => /"request_id":"[0-9a-f]{16}"/.test(l.text)).length,
    ).toBeGreaterThan(1000);
  });

  it('shows a failing dependency when the run never becomes ready', () => {
    for (const flavour of FLAVOURS) {
      const lines = runLines(
        run({ image: IMAGES[flavour], neverReady: true }),
        T0 + 5 * MINUTE,
      );
      const periodic = lines.slice(-20);
      for (const line of periodic) {
        expect(line.text).toMatch(/connection refused/i);
      }
    }
  });

  it.each(['java', 'node', 'go', 'python'] as const)(
    '%s: a crash ends with a stack and nothing after endedAt',
    flavour => {
      const endedAt = T0 + 30 * MINUTE + 1234;
      const lines = runLines(
        run({ image: IMAGES[flavour], endedAt, endReason: 'Error' }),
        T0 + DAY,
      );
      expectOrdered(lines);
      expect(lines[lines.length - 1].time).toBeLessThanOrEqual(endedAt);
      const tail = lines
        .slice(-12)
        .map(l => l.text)
        .join('\n');
      const stack = {
        java: /Exception in thread "main" java\.lang\.IllegalStateException: .*(\n\tat .*){4}/,
        node: /\nError: .*(\n {4}at .*){3}/,
        go: /panic: [\s\S]*goroutine 1 \[running\]:/,
        python: /Traceback \(most recent call last\):[\s\S]*\n\w+Error: /,
      }[flavour];
      expect(tail).toMatch(stack);
    },
  );

  it('an OOM-killed java run shows OutOfMemoryError, last line shortly before endedAt', () => {
    const endedAt = T0 + 3 * 60 * MINUTE;
    const lines = runLines(run({ endedAt, endReason: 'OOMKilled' }), T0 + DAY);
    expect(
      lines.some(l =>
        l.text.includes('java.lang.OutOfMemoryError: Java heap space'),
      ),
    ).toBe(true);
    const last = lines[lines.length - 1];
    expect(last.time).toBeLessThan(endedAt);
    expect(last.time).toBeGreaterThan(endedAt - 1000);
    expect(last.text).not.toMatch(/shutdown/i);
  });

  it.each(FLAVOURS)(
    '%s: OOM, completion and graceful kill end before endedAt',
    flavour => {
      const endedAt = T0 + 20 * MINUTE;
      for (const endReason of ['OOMKilled', 'Completed', 'Killed'] as const) {
        const lines = runLines(
          run({ image: IMAGES[flavour], endedAt, endReason }),
          T0 + DAY,
        );
        expectOrdered(lines);
        expect(lines[lines.length - 1].time).toBeLessThanOrEqual(endedAt);
        expect(lines[lines.length - 1].time).toBeGreaterThan(endedAt - 1000);
      }
    },
  );

  it('shuts down gracefully on SIGTERM', () => {
    const endedAt = T0 + 20 * MINUTE;
    for (const flavour of ['java', 'node', 'go', 'generic'] as const) {
      const text = runLines(
        run({ image: IMAGES[flavour], endedAt, endReason: 'Killed' }),
        endedAt,
      )
        .slice(-8)
        .map(l => l.text)
        .join('\n');
      expect(text).toContain('Received SIGTERM, draining connections');
      expect(text).toContain('Shutdown complete');
    }
  });

  it('handles a run that ended during startup', () => {
    const endedAt = T0 + 800;
    const lines = runLines(run({ endedAt, endReason: 'Error' }), T0 + DAY);
    expectOrdered(lines);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every(l => l.time >= T0 && l.time <= endedAt)).toBe(true);
    expect(lines.some(l => l.text.includes('IllegalStateException'))).toBe(
      true,
    );
  });

  it('returns nothing before the run started', () => {
    expect(runLines(run(), T0 - 1)).toEqual([]);
  });

  it('cuts at endedAt even without an end reason', () => {
    const endedAt = T0 + 5 * MINUTE;
    const lines = runLines(run({ endedAt }), T0 + DAY);
    expect(lines[lines.length - 1].time).toBeLessThanOrEqual(endedAt);
    expect(lines[lines.length - 1].time).toBeGreaterThan(endedAt - 5000);
  });
});

describe('runLinesTail', () => {
  it.each(FLAVOURS)('%s: equals the last N lines of the full list', flavour => {
    const r = run({
      image: IMAGES[flavour],
      endedAt: T0 + 47 * MINUTE + 321,
      endReason: 'Error',
      intervalSeconds: 3,
    });
    for (const until of [
      T0 + 2000,
      T0 + 10 * MINUTE + 17,
      T0 + 47 * MINUTE,
      T0 + DAY,
    ]) {
      const all = runLines(r, until);
      for (const n of [1, 5, 30, 100, 10_000]) {
        expect(runLinesTail(r, until, n)).toEqual(all.slice(-n));
      }
    }
  });

  it('returns nothing for a non-positive tail', () => {
    expect(runLinesTail(run(), T0 + MINUTE, 0)).toEqual([]);
    expect(runLinesTail(run(), T0 + MINUTE, -3)).toEqual([]);
  });

  it('computes the tail of a 30-day run directly', () => {
    const r = run({ image: IMAGES.node });
    const until = T0 + 30 * DAY;
    const tail = runLinesTail(r, until, 100);
    expect(tail).toHaveLength(100);
    expectOrdered(tail);
    expect(tail[99].time).toBeLessThanOrEqual(until);
    expect(tail[99].time).toBeGreaterThan(until - 5000);
    expect(tail[0].time).toBeGreaterThan(until - 101 * 5000);
    // The same tail again, and consistent with a window ending at the same time.
    expect(runLinesTail(r, until, 100)).toEqual(tail);
    expect(runLinesSince(r, tail[0].time - 1, until)).toEqual(tail);
  });
});

describe('runLinesSince', () => {
  it('returns exactly the lines with since < time <= until', () => {
    const r = run({
      image: IMAGES.python,
      endedAt: T0 + 40 * MINUTE,
      endReason: 'Killed',
    });
    const all = runLines(r, T0 + DAY);
    const bounds = [
      T0 - 1000,
      T0,
      T0 + 1,
      T0 + 1500,
      T0 + 7 * MINUTE + 3,
      T0 + 39 * MINUTE + 59_000,
      T0 + 40 * MINUTE,
      T0 + DAY,
    ];
    for (const since of bounds) {
      for (const until of bounds) {
        const expected = all.filter(l => l.time > since && l.time <= until);
        expect(runLinesSince(r, since, until)).toEqual(expected);
      }
    }
  });

  it('includes a line at exactly `until` but not at exactly `since`', () => {
    const r = run({ image: IMAGES.go });
    const all = runLines(r, T0 + 10 * MINUTE);
    const a = all[20];
    const b = all[40];
    const window = runLinesSince(r, a.time, b.time);
    expect(window[0]).toEqual(all[21]);
    expect(window[window.length - 1]).toEqual(b);
  });
});

describe('runLinesAfter', () => {
  it('gives a follower that read past where the ending begins the whole ending once the run has ended', () => {
    const ended = run({
      image: IMAGES.generic,
      endedAt: T0 + 10 * MINUTE,
      endReason: 'Completed',
    });
    const running = { ...ended, endedAt: undefined, endReason: undefined };
    // The follower read the running container up to a little after its end: the
    // kubelet recorded the end later than that.
    const readUntil = T0 + 10 * MINUTE + 500;
    const cursor = runLogCursor(running, readUntil);
    const before = runLines(running, readUntil);
    expect(before).toHaveLength(cursor.seen);
    expect(before.some(l => l.text.includes('finished'))).toBe(false);

    const next = runLinesAfter(ended, cursor, ended.endedAt!);
    // Every line of the ended run the follower has not read comes now.
    const read = new Set(before.map(l => l.text));
    const unread = runLines(ended, ended.endedAt!).filter(
      l => !read.has(l.text),
    );
    expect(unread.length).toBeGreaterThan(0);
    expect(next.lines).toEqual(unread);
    expect(next.lines.some(l => l.text.includes('finished'))).toBe(true);
    // Nothing more after that.
    expect(runLinesAfter(ended, next.cursor, ended.endedAt!).lines).toEqual([]);
  });

  it('gives a follower of a running container each line once, in order', () => {
    const r = run({ image: IMAGES.node });
    const all = runLines(r, T0 + 5 * MINUTE);
    let cursor = runLogCursor(r, T0 - 1);
    const got: LogLine[] = [];
    for (let t = T0; t <= T0 + 5 * MINUTE; t += 7_000) {
      const next = runLinesAfter(r, cursor, t);
      got.push(...next.lines);
      cursor = next.cursor;
    }
    got.push(...runLinesAfter(r, cursor, T0 + 5 * MINUTE).lines);
    expect(got).toEqual(all);
  });
});

describe('withTimestamp', () => {
  it('prefixes an RFC 3339 time with nanoseconds', () => {
    const line = { time: Date.UTC(2026, 10, 22, 7, 14, 4, 123), text: 'hello' };
    const formatted = withTimestamp(line);
    expect(formatted).toMatch(/^2026-11-22T07:14:04\.123\d{6}Z hello$/);
    expect(withTimestamp(line)).toBe(formatted);
  });
});
