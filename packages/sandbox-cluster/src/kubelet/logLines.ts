/*
 * Plausible, deterministic container log lines for simulated pods.
 *
 * A run's log is modelled as three consecutive blocks, each addressable by index:
 *
 *   banner    a fixed, flavour-specific list of startup lines in the first seconds;
 *   periodic  line k at `base + (k + 1) * interval + jitter(k)`, jitter < interval / 5,
 *             so counting the lines up to a time is O(1) arithmetic;
 *   ending    a fixed list of lines just before `endedAt`, by how the run ended.
 *
 * Everything random is derived from an FNV-1a hash of the run's identity and the line
 * index, so the same run and bounds always give the same lines, and a tail or a time
 * window costs only the lines returned.
 */

/** The language/runtime style of a container's log. */
export type LogFlavour =
  | 'java'
  | 'node'
  | 'go'
  | 'python'
  | 'nginx'
  | 'generic';

/** One run of a container (an "instance"): from start until it ended (or now). */
export interface ContainerRun {
  podName: string;
  namespace: string;
  containerName: string;
  /** e.g. "registry.northwind.internal/payments/payment-gateway:1.4.2" */
  image: string;
  /** epoch ms */
  startedAt: number;
  /** epoch ms, when the run ended */
  endedAt?: number;
  /** How the run ended: 'Error' (crash, exit 1), 'OOMKilled' (exit 137), 'Completed' (exit 0), 'Killed' (stopped by SIGTERM on deletion/rollout). Undefined while running. */
  endReason?: 'Error' | 'OOMKilled' | 'Completed' | 'Killed';
  /** Seconds between periodic lines (request/heartbeat lines). Default 5. */
  intervalSeconds?: number;
  /** The run never becomes ready: periodic lines show a failing dependency (e.g. "connection refused" to a database) instead of served requests. */
  neverReady?: boolean;
  /** Container port, for banner lines. Default 8080. */
  port?: number;
}

/** One log line: when it was written (epoch ms) and its text (never a newline). */
export interface LogLine {
  time: number;
  text: string;
}

const DEFAULT_INTERVAL_SECONDS = 5;
const DEFAULT_PORT = 8080;

// ---------------------------------------------------------------------------
// Hashing

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** FNV-1a continued over the bytes of `index` and `salt`, then avalanched. */
function mix(seed: number, index: number, salt: number): number {
  let hash = seed;
  const words = [index >>> 0, Math.floor(index / 0x100000000) >>> 0, salt];
  for (const word of words) {
    for (let shift = 0; shift < 32; shift += 8) {
      hash ^= (word >>> shift) & 0xff;
      hash = Math.imul(hash, 0x01000193);
    }
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function pick<T>(items: readonly T[], random: number): T {
  return items[random % items.length];
}

function between(random: number, min: number, max: number): number {
  return min + (random % (max - min + 1));
}

function hex(random: number): string {
  return random.toString(16).padStart(8, '0');
}

// Salts: one per independent pseudo-random quantity of a line.
const S = {
  jitter: 1,
  path: 2,
  id: 3,
  status: 4,
  latency: 5,
  bytes: 6,
  rid1: 7,
  rid2: 8,
  ip: 9,
  agent: 10,
  thread: 11,
  error: 12,
  health: 13,
  method: 14,
  run: 15,
} as const;

// ---------------------------------------------------------------------------
// Flavour detection

const FLAVOUR_WORDS: ReadonlyArray<[LogFlavour, readonly string[]]> = [
  ['java', ['java', 'jdk', 'openjdk', 'jre', 'jvm', 'spring', 'springboot']],
  [
    'node',
    ['node', 'nodejs', 'npm', 'next', 'nextjs', 'express', 'javascript'],
  ],
  ['go', ['go', 'golang']],
  ['python', ['python', 'django', 'flask', 'fastapi', 'uvicorn', 'gunicorn']],
  ['nginx', ['nginx']],
];

const HINT_ALIASES: Record<string, LogFlavour> = {
  kotlin: 'java',
  scala: 'java',
  js: 'node',
  ts: 'node',
  typescript: 'node',
  py: 'python',
  generic: 'generic',
};

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** A word matches a token itself or followed by a version number: `node20`, `jdk17`. */
function flavourOfTokens(words: string[]): LogFlavour | undefined {
  for (const [flavour, keys] of FLAVOUR_WORDS) {
    for (const word of words) {
      for (const key of keys) {
        if (
          word === key ||
          (word.startsWith(key) && /^\d+$/.test(word.slice(key.length)))
        ) {
          return flavour;
        }
      }
    }
  }
  return undefined;
}

interface ImageParts {
  name: string;
  tag: string;
  parents: string[];
}

function parseImage(image: string): ImageParts {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  const hasTag = lastColon > lastSlash;
  const repository = hasTag ? withoutDigest.slice(0, lastColon) : withoutDigest;
  const tag = hasTag ? withoutDigest.slice(lastColon + 1) : '';
  const segments = repository.split('/');
  const name = segments.pop() ?? '';
  return { name, tag, parents: segments };
}

/**
 * Guesses the log flavour of a container from its image reference: words such as
 * java|jdk|spring|jvm give 'java', node|npm|next|express 'node', go|golang 'go',
 * python|django|flask|fastapi 'python', nginx 'nginx', anything else 'generic'. The
 * image name is looked at first, then its tag, then the path segments from the nearest
 * to the registry host. A recognised `hint` (e.g. the value of a `k2.io/language`
 * label: "java", "kotlin", "typescript", "golang", "python", ...) wins over the image.
 */
export function logFlavour(image: string, hint?: string): LogFlavour {
  if (hint) {
    const words = tokens(hint);
    const fromHint =
      flavourOfTokens(words) ??
      words.map(word => HINT_ALIASES[word]).find(Boolean);
    if (fromHint) {
      return fromHint;
    }
  }
  const parts = parseImage(image);
  const places = [parts.name, parts.tag, ...[...parts.parents].reverse()];
  for (const place of places) {
    const flavour = flavourOfTokens(tokens(place));
    if (flavour) {
      return flavour;
    }
  }
  return 'generic';
}

// ---------------------------------------------------------------------------
// Time formats

/** `2026-11-22T07:14:04.123Z` */
function iso(time: number): string {
  return new Date(time).toISOString();
}

/** `2026-11-22 07:14:04 +0000` (gunicorn) */
function gunicornTime(time: number): string {
  const text = iso(time);
  return `${text.slice(0, 10)} ${text.slice(11, 19)} +0000`;
}

/** `2026-11-22 07:14:04,123` (python logging) */
function pythonTime(time: number): string {
  const text = iso(time);
  return `${text.slice(0, 10)} ${text.slice(11, 19)},${text.slice(20, 23)}`;
}

/** `2026/11/22 07:14:04` (nginx error log) */
function nginxErrorTime(time: number): string {
  const text = iso(time);
  return `${text.slice(0, 10).replace(/-/g, '/')} ${text.slice(11, 19)}`;
}

const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

/** `22/Nov/2026:07:14:09 +0000` (common log format) */
function accessTime(time: number): string {
  const text = iso(time);
  const month = MONTHS[Number(text.slice(5, 7)) - 1];
  return `${text.slice(8, 10)}/${month}/${text.slice(0, 4)}:${text.slice(
    11,
    19,
  )} +0000`;
}

function duration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = (seconds % 60).toFixed(1);
  if (hours > 0) {
    return `${hours}h${minutes}m${rest}s`;
  }
  return minutes > 0 ? `${minutes}m${rest}s` : `${rest}s`;
}

// ---------------------------------------------------------------------------
// Run context

interface Dependency {
  kind: string;
  host: string;
  port: number;
  ip: string;
}

interface Context {
  run: ContainerRun;
  flavour: LogFlavour;
  seed: number;
  start: number;
  end?: number;
  intervalMs: number;
  jitterMax: number;
  port: number;
  app: string;
  version: string;
  /** Java class name of the application, `PaymentGatewayApplication`. */
  mainClass: string;
  /** Java/Go package root of the application, `app.paymentgateway`. */
  pkg: string;
  dep: Dependency;
  memoryLimitMb: number;
  banner: LogLine[];
  ending: LogLine[];
  /** Time of the last banner line; periodic line k is one interval after the previous. */
  periodicBase: number;
  /** Banner and periodic lines are strictly before this time (the first ending line). */
  bodyEnd: number;
}

const DEPENDENCIES = [
  { kind: 'postgres', suffix: 'db', port: 5432 },
  { kind: 'mysql', suffix: 'mysql', port: 3306 },
  { kind: 'redis', suffix: 'cache', port: 6379 },
  { kind: 'rabbitmq', suffix: 'mq', port: 5672 },
] as const;

function pascalCase(name: string): string {
  const words = name.split(/[^a-zA-Z0-9]+/).filter(Boolean);
  const joined = words
    .map(word => word[0].toUpperCase() + word.slice(1))
    .join('');
  return /^[A-Za-z]/.test(joined) ? joined : `App${joined}`;
}

// ---------------------------------------------------------------------------
// Index arithmetic

function periodicTime(ctx: Context, k: number): number {
  return (
    ctx.periodicBase +
    (k + 1) * ctx.intervalMs +
    (mix(ctx.seed, k, S.jitter) % ctx.jitterMax)
  );
}

/** How many periodic lines have time <= `limit`. */
function countPeriodic(ctx: Context, limit: number): number {
  if (limit < ctx.periodicBase + ctx.intervalMs) {
    return 0;
  }
  // Lines 0..q-2 are certainly <= limit, line q certainly after it.
  const q = Math.floor((limit - ctx.periodicBase) / ctx.intervalMs);
  return q - 1 + (periodicTime(ctx, q - 1) <= limit ? 1 : 0);
}

interface Counts {
  banner: number;
  periodic: number;
  ending: number;
  total: number;
}

/** How many lines of each block have time <= `limit` (and <= endedAt). */
function counts(ctx: Context, limit: number): Counts {
  const upper = ctx.end === undefined ? limit : Math.min(limit, ctx.end);
  if (upper < ctx.start) {
    return { banner: 0, periodic: 0, ending: 0, total: 0 };
  }
  if (!Number.isFinite(upper)) {
    throw new RangeError(
      `log bound must be a finite time for a running container, got ${limit}`,
    );
  }
  const bodyUpper = Math.min(upper, ctx.bodyEnd - 1);
  const banner = ctx.banner.filter(line => line.time <= bodyUpper).length;
  const periodic = countPeriodic(ctx, bodyUpper);
  const ending = ctx.ending.filter(line => line.time <= upper).length;
  return { banner, periodic, ending, total: banner + periodic + ending };
}

function linesBetween(
  ctx: Context,
  from: number,
  to: number,
  split: Counts,
): LogLine[] {
  const lines: LogLine[] = [];
  for (let i = from; i < to; i++) {
    if (i < split.banner) {
      lines.push(ctx.banner[i]);
    } else if (i < split.banner + split.periodic) {
      const k = i - split.banner;
      const time = periodicTime(ctx, k);
      lines.push({ time, text: periodicText(ctx, k, time) });
    } else {
      lines.push(ctx.ending[i - split.banner - split.periodic]);
    }
  }
  return lines;
}

/**
 * All lines of a run with time <= `until` (epoch ms), oldest first: the startup banner,
 * one periodic (request or heartbeat) line per `intervalSeconds`, and, when the run
 * ended with an `endReason`, the lines of its end (a stack trace, memory pressure,
 * a clean finish or a graceful shutdown). No line is after `min(until, endedAt)`.
 * O(lines returned); prefer {@link runLinesTail} or {@link runLinesSince} for long runs.
 * Throws a RangeError when `until` is not finite and the run has not ended.
 */
export function runLines(run: ContainerRun, until: number): LogLine[] {
  const ctx = context(run);
  const split = counts(ctx, until);
  return linesBetween(ctx, 0, split.total, split);
}

/**
 * The last `tailLines` lines of {@link runLines}`(run, until)`, computed directly by
 * index arithmetic in O(tailLines), whatever the length of the run.
 */
export function runLinesTail(
  run: ContainerRun,
  until: number,
  tailLines: number,
): LogLine[] {
  const count = Math.floor(tailLines);
  if (!(count > 0)) {
    return [];
  }
  const ctx = context(run);
  const split = counts(ctx, until);
  return linesBetween(
    ctx,
    Math.max(0, split.total - count),
    split.total,
    split,
  );
}

/**
 * The lines of {@link runLines}`(run, until)` with `since < time <= until`, computed
 * directly by index arithmetic in O(lines returned). For `sinceSeconds`, pass
 * `now - sinceSeconds * 1000`.
 */
export function runLinesSince(
  run: ContainerRun,
  since: number,
  until: number,
): LogLine[] {
  if (!(since < until)) {
    return [];
  }
  const ctx = context(run);
  const split = counts(ctx, until);
  const from = Math.min(counts(ctx, since).total, split.total);
  return linesBetween(ctx, from, split.total, split);
}

/** Where a follower of a run's log is: lines it has seen, and whether it saw the end. */
export interface LogCursor {
  seen: number;
  ended: boolean;
}

/** A follower that has seen what `run` printed up to `until`. */
export function runLogCursor(run: ContainerRun, until: number): LogCursor {
  return {
    seen: counts(context(run), until).total,
    ended: run.endedAt !== undefined,
  };
}

/**
 * The lines of `run` a follower at `cursor` gets next, up to `until`, and where it is
 * then. A run's ending lines (its last words before it exits) are placed once it has
 * ended, before its end: a follower that read periodic lines while it ran, past where
 * the ending begins, still gets the whole ending, once.
 */
export function runLinesAfter(
  run: ContainerRun,
  cursor: LogCursor,
  until: number,
): { lines: LogLine[]; cursor: LogCursor } {
  const ctx = context(run);
  const split = counts(ctx, until);
  const ended = ctx.end !== undefined;
  const from =
    ended && !cursor.ended
      ? Math.min(cursor.seen, split.banner + split.periodic)
      : Math.min(cursor.seen, split.total);
  return {
    lines: linesBetween(ctx, from, split.total, split),
    cursor: { seen: split.total, ended },
  };
}

/**
 * Formats a line like the kubelet with `timestamps=true`: an RFC 3339 time with
 * nanoseconds and a space before the text, `2026-11-22T07:14:04.123456789Z text`.
 * The digits below the millisecond are derived deterministically from the line.
 */
export function withTimestamp(line: LogLine): string {
  const ms = Math.floor(line.time);
  const fraction = line.time - ms;
  const belowMs =
    fraction > 0
      ? Math.floor(fraction * 1e6)
      : fnv1a(`${ms}\u0000${line.text}`) % 1e6;
  const stamp = iso(ms).slice(0, 23);
  return `${stamp}${String(belowMs).padStart(6, '0')}Z ${line.text}`;
}

// ---------------------------------------------------------------------------
// Startup banners

interface BannerSpec {
  /** Fraction of the startup duration at which the line is written. */
  at: number;
  text: (time: number, startupMs: number) => string;
  /** Left out when the run never becomes ready (e.g. "connected to database"). */
  readyOnly?: boolean;
}

const STARTUP_MS: Record<LogFlavour, (random: number) => number> = {
  java: random => between(random, 3000, 7999),
  node: random => between(random, 400, 1299),
  go: random => between(random, 30, 329),
  python: random => between(random, 900, 2699),
  nginx: random => between(random, 5, 64),
  generic: random => between(random, 100, 999),
};

function abbreviateLogger(name: string, width = 40): string {
  const parts = name.split('.');
  for (let i = 0; i < parts.length - 1 && parts.join('.').length > width; i++) {
    parts[i] = parts[i][0];
  }
  return parts.join('.');
}

/** A Spring Boot 3 default console line. */
function javaLine(
  ctx: Context,
  time: number,
  level: 'INFO' | 'WARN' | 'ERROR',
  thread: string,
  logger: string,
  message: string,
): string {
  const threadText = thread.slice(-15).padStart(15);
  const loggerText = abbreviateLogger(logger).padEnd(40);
  return [
    iso(time),
    level.padStart(5),
    '1 ---',
    `[${ctx.app}]`,
    `[${threadText}]`,
    loggerText,
    ':',
    message,
  ].join(' ');
}

function pino(
  ctx: Context,
  time: number,
  level: number,
  fields: Record<string, unknown>,
): string {
  return JSON.stringify({
    level,
    time,
    pid: 1,
    hostname: ctx.run.podName,
    ...fields,
  });
}

function slog(
  time: number,
  level: string,
  msg: string,
  fields: Record<string, unknown> = {},
): string {
  return JSON.stringify({ time: iso(time), level, msg, ...fields });
}

function gunicorn(
  time: number,
  pid: number,
  level: string,
  message: string,
): string {
  return `[${gunicornTime(time)}] [${pid}] [${level}] ${message}`;
}

function pythonLog(
  time: number,
  level: string,
  logger: string,
  message: string,
): string {
  return `${pythonTime(time)} ${level} [${logger}] ${message}`;
}

function nginxError(
  time: number,
  level: string,
  pid: number,
  message: string,
): string {
  return `${nginxErrorTime(time)} [${level}] ${pid}#${pid}: ${message}`;
}

function quote(value: string): string {
  return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
}

function logfmt(
  time: number,
  level: string,
  fields: Record<string, string | number>,
): string {
  const rest = Object.entries(fields)
    .map(
      ([key, value]) =>
        `${key}=${typeof value === 'number' ? value : quote(value)}`,
    )
    .join(' ');
  return `time=${iso(time)} level=${level} ${rest}`;
}

const SPRING_BOOT_VERSIONS = ['3.2.5', '3.3.1', '3.3.4'];
const JAVA_VERSIONS = ['17.0.11', '21.0.3', '21.0.4'];
const NODE_VERSIONS = ['v20.14.0', 'v20.17.0', 'v22.9.0'];
const GO_VERSIONS = ['go1.22.5', 'go1.23.2'];

const BANNERS: Record<LogFlavour, (ctx: Context) => BannerSpec[]> = {
  java: ctx => {
    const r = (salt: number) => mix(ctx.seed, -2 >>> 0, salt);
    const boot = pick(SPRING_BOOT_VERSIONS, r(S.path));
    const main = `${ctx.pkg}.${ctx.mainClass}`;
    const line =
      (logger: string, message: string | ((startupMs: number) => string)) =>
      (time: number, startupMs: number) =>
        javaLine(
          ctx,
          time,
          'INFO',
          'main',
          logger,
          typeof message === 'string' ? message : message(startupMs),
        );
    const raw = (text: string) => () => text;
    return [
      { at: 0, text: raw('') },
      { at: 0, text: raw('  .   ____          _            __ _ _') },
      { at: 0, text: raw(" /\\\\ / ___'_ __ _ _(_)_ __  __ _ \\ \\ \\ \\") },
      { at: 0, text: raw("( ( )\\___ | '_ | '_| | '_ \\/ _` | \\ \\ \\ \\") },
      { at: 0, text: raw(' \\\\/  ___)| |_)| | | | | || (_| |  ) ) ) )') },
      { at: 0, text: raw("  '  |____| .__|_| |_|_| |_\\__, | / / / /") },
      { at: 0, text: raw(' =========|_|==============|___/=/_/_/_/') },
      { at: 0, text: raw('') },
      { at: 0, text: raw(` :: Spring Boot ::                (v${boot})`) },
      { at: 0, text: raw('') },
      {
        at: 0.12,
        text: line(
          main,
          `Starting ${ctx.mainClass} v${ctx.version} using Java ${pick(
            JAVA_VERSIONS,
            r(S.id),
          )} on ${
            ctx.run.podName
          } with PID 1 (/app/app.jar started by app in /app)`,
        ),
      },
      {
        at: 0.13,
        text: line(
          main,
          'No active profile set, falling back to 1 default profile: "default"',
        ),
      },
      {
        at: 0.3,
        text: line(
          'o.s.d.r.c.RepositoryConfigurationDelegate',
          'Bootstrapping Spring Data JPA repositories in DEFAULT mode.',
        ),
      },
      {
        at: 0.34,
        text: line(
          'o.s.d.r.c.RepositoryConfigurationDelegate',
          `Finished Spring Data repository scanning in ${between(
            r(S.latency),
            40,
            180,
          )} ms. Found ${between(r(S.bytes), 2, 9)} JPA repository interfaces.`,
        ),
      },
      {
        at: 0.45,
        text: line(
          'o.s.b.w.embedded.tomcat.TomcatWebServer',
          `Tomcat initialized with port ${ctx.port} (http)`,
        ),
      },
      {
        at: 0.46,
        text: line(
          'o.apache.catalina.core.StandardService',
          'Starting service [Tomcat]',
        ),
      },
      {
        at: 0.47,
        text: line(
          'o.apache.catalina.core.StandardEngine',
          'Starting Servlet engine: [Apache Tomcat/10.1.24]',
        ),
      },
      {
        at: 0.5,
        text: line(
          'o.a.c.c.C.[Tomcat].[localhost].[/]',
          'Initializing Spring embedded WebApplicationContext',
        ),
      },
      {
        at: 0.51,
        text: line(
          'w.s.c.ServletWebServerApplicationContext',
          startupMs =>
            `Root WebApplicationContext: initialization completed in ${Math.round(
              startupMs * 0.38,
            )} ms`,
        ),
      },
      {
        at: 0.6,
        text: line(
          'com.zaxxer.hikari.HikariDataSource',
          'HikariPool-1 - Starting...',
        ),
      },
      {
        at: 0.7,
        readyOnly: true,
        text: line(
          'com.zaxxer.hikari.pool.HikariPool',
          `HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@${hex(
            r(S.rid1),
          )}`,
        ),
      },
      {
        at: 0.71,
        readyOnly: true,
        text: line(
          'com.zaxxer.hikari.HikariDataSource',
          'HikariPool-1 - Start completed.',
        ),
      },
      {
        at: 0.95,
        text: line(
          'o.s.b.a.e.web.EndpointLinksResolver',
          "Exposing 3 endpoint(s) beneath base path '/actuator'",
        ),
      },
      {
        at: 0.98,
        text: line(
          'o.s.b.w.embedded.tomcat.TomcatWebServer',
          `Tomcat started on port ${ctx.port} (http) with context path '/'`,
        ),
      },
      {
        at: 1,
        text: line(
          main,
          startupMs =>
            `Started ${ctx.mainClass} in ${(startupMs / 1000).toFixed(
              3,
            )} seconds (process running for ${(
              (startupMs + 640) /
              1000
            ).toFixed(3)})`,
        ),
      },
    ];
  },

  node: ctx => {
    const info =
      (msg: string, fields: Record<string, unknown> = {}) =>
      (time: number) =>
        pino(ctx, time, 30, { msg, ...fields });
    return [
      { at: 0, text: () => '' },
      { at: 0, text: () => `> ${ctx.app}@${ctx.version} start` },
      { at: 0, text: () => '> node dist/server.js' },
      { at: 0, text: () => '' },
      {
        at: 0.35,
        text: info('configuration loaded', {
          env: 'production',
          version: ctx.version,
        }),
      },
      {
        at: 0.7,
        readyOnly: true,
        text: info(`connected to ${ctx.dep.kind}`, {
          host: ctx.dep.host,
          port: ctx.dep.port,
        }),
      },
      {
        at: 1,
        text: info(`${ctx.app} listening on :${ctx.port}`, { port: ctx.port }),
      },
    ];
  },

  go: ctx => {
    const r = (salt: number) => mix(ctx.seed, -2 >>> 0, salt);
    return [
      {
        at: 0,
        text: time =>
          slog(time, 'INFO', `starting ${ctx.app}`, {
            version: ctx.version,
            go_version: pick(GO_VERSIONS, r(S.id)),
            hostname: ctx.run.podName,
          }),
      },
      {
        at: 0.2,
        text: time =>
          slog(time, 'INFO', 'configuration loaded', {
            log_level: 'info',
            http_addr: `:${ctx.port}`,
          }),
      },
      {
        at: 0.6,
        readyOnly: true,
        text: time =>
          slog(time, 'INFO', `connected to ${ctx.dep.kind}`, {
            addr: `${ctx.dep.host}:${ctx.dep.port}`,
          }),
      },
      {
        at: 0.8,
        text: time =>
          slog(time, 'INFO', 'metrics server listening', { addr: ':9090' }),
      },
      {
        at: 1,
        text: time =>
          slog(time, 'INFO', 'http server listening', { addr: `:${ctx.port}` }),
      },
    ];
  },

  python: ctx => [
    {
      at: 0,
      text: time => gunicorn(time, 1, 'INFO', 'Starting gunicorn 22.0.0'),
    },
    {
      at: 0.02,
      text: time =>
        gunicorn(
          time,
          1,
          'INFO',
          `Listening at: http://0.0.0.0:${ctx.port} (1)`,
        ),
    },
    {
      at: 0.03,
      text: time =>
        gunicorn(
          time,
          1,
          'INFO',
          'Using worker: uvicorn.workers.UvicornWorker',
        ),
    },
    {
      at: 0.05,
      text: time => gunicorn(time, 7, 'INFO', 'Booting worker with pid: 7'),
    },
    {
      at: 0.6,
      text: time => gunicorn(time, 7, 'INFO', 'Started server process [7]'),
    },
    {
      at: 0.62,
      text: time =>
        gunicorn(time, 7, 'INFO', 'Waiting for application startup.'),
    },
    {
      at: 0.8,
      text: time =>
        pythonLog(
          time,
          'INFO',
          'app',
          `${ctx.app} ${ctx.version} starting on ${ctx.run.podName}`,
        ),
    },
    {
      at: 0.9,
      readyOnly: true,
      text: time =>
        pythonLog(
          time,
          'INFO',
          'app.db',
          `connected to ${ctx.dep.kind} at ${ctx.dep.host}:${ctx.dep.port}`,
        ),
    },
    {
      at: 1,
      text: time => gunicorn(time, 7, 'INFO', 'Application startup complete.'),
    },
  ],

  nginx: ctx => {
    const entry = (message: string) => () =>
      `/docker-entrypoint.sh: ${message}`;
    const notice = (message: string) => (time: number) =>
      nginxError(time, 'notice', 1, message);
    return [
      {
        at: 0,
        text: entry(
          '/docker-entrypoint.d/ is not empty, will attempt to perform configuration',
        ),
      },
      {
        at: 0,
        text: entry('Looking for shell scripts in /docker-entrypoint.d/'),
      },
      {
        at: 0.1,
        text: entry(
          'Launching /docker-entrypoint.d/20-envsubst-on-templates.sh',
        ),
      },
      {
        at: 0.2,
        text: () =>
          `20-envsubst-on-templates.sh: Running envsubst on /etc/nginx/templates/default.conf.template to /etc/nginx/conf.d/default.conf`,
      },
      { at: 0.3, text: entry('Configuration complete; ready for start up') },
      { at: 0.6, text: notice('using the "epoll" event method') },
      {
        at: 0.6,
        text: notice(`nginx/${ctx.app === 'nginx' ? ctx.version : '1.27.2'}`),
      },
      { at: 0.6, text: notice('OS: Linux 6.1.0') },
      { at: 0.6, text: notice('getrlimit(RLIMIT_NOFILE): 1048576:1048576') },
      { at: 0.8, text: notice('start worker processes') },
      { at: 1, text: notice('start worker process 29') },
    ];
  },

  generic: ctx => [
    {
      at: 0,
      text: time =>
        logfmt(time, 'info', {
          msg: `starting ${ctx.app}`,
          version: ctx.version,
          pod: ctx.run.podName,
        }),
    },
    {
      at: 0.4,
      text: time =>
        logfmt(time, 'info', {
          msg: 'configuration loaded',
          source: `/etc/${ctx.app}/config.yaml`,
        }),
    },
    {
      at: 0.7,
      readyOnly: true,
      text: time =>
        logfmt(time, 'info', {
          msg: `connected to ${ctx.dep.kind}`,
          addr: `${ctx.dep.host}:${ctx.dep.port}`,
        }),
    },
    {
      at: 1,
      text: time =>
        logfmt(time, 'info', { msg: 'listening', addr: `:${ctx.port}` }),
    },
  ],
};

// ---------------------------------------------------------------------------
// Periodic lines

interface Request {
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  bytes: number;
  requestId: string;
  clientIp: string;
  clientPort: number;
  userAgent: string;
  health: boolean;
}

const API_PATHS: ReadonlyArray<[string, readonly string[]]> = [
  ['/api/orders', ['GET', 'GET', 'POST']],
  ['/api/orders/{id}', ['GET', 'GET', 'GET', 'PUT']],
  ['/api/orders/{id}/status', ['GET']],
  ['/api/v1/items', ['GET']],
  ['/api/v1/items/{id}', ['GET', 'GET', 'GET', 'DELETE']],
  ['/api/v1/items?page={page}&size=20', ['GET']],
  ['/api/customers/{id}', ['GET', 'PATCH']],
  ['/api/v1/inventory/{sku}', ['GET']],
  ['/api/cart', ['GET', 'POST']],
  ['/api/v1/search?q={query}', ['GET']],
];

const STATIC_PATHS: ReadonlyArray<[string, readonly string[]]> = [
  ['/', ['GET']],
  ['/index.html', ['GET']],
  ['/assets/index-{hash}.js', ['GET']],
  ['/assets/index-{hash}.css', ['GET']],
  ['/favicon.ico', ['GET']],
  ['/api/orders', ['GET', 'POST']],
  ['/api/v1/items/{id}', ['GET']],
];

const HEALTH_PATHS: Record<LogFlavour, string> = {
  java: '/actuator/health/readiness',
  node: '/health',
  go: '/healthz',
  python: '/health',
  nginx: '/healthz',
  generic: '/health',
};

const SEARCH_TERMS = [
  'blue+chair',
  'desk+lamp',
  'usb-c+cable',
  'notebook',
  'backpack',
];

const USER_AGENTS = [
  'okhttp/4.12.0',
  'Go-http-client/1.1',
  'python-requests/2.32.3',
  'axios/1.7.7',
  'curl/8.9.1',
  'k2-web/2.3.0',
];

function request(ctx: Context, k: number): Request {
  const r = (salt: number) => mix(ctx.seed, k, salt);
  const health = r(S.health) % 100 < 15;
  const requestId = `${hex(r(S.rid1))}${hex(r(S.rid2))}`;
  const clientIp = `10.244.${r(S.ip) % 8}.${between(r(S.ip) >>> 8, 2, 250)}`;
  const clientPort = between(r(S.ip) >>> 3, 32768, 60999);
  if (health) {
    return {
      method: 'GET',
      path: HEALTH_PATHS[ctx.flavour],
      status: 200,
      latencyMs: between(r(S.latency), 5, 40) / 10,
      bytes: between(r(S.bytes), 2, 60),
      requestId,
      clientIp: `10.244.${r(S.ip) % 8}.1`,
      clientPort,
      userAgent: 'kube-probe/1.31',
      health,
    };
  }
  const [template, methods] = pick(
    ctx.flavour === 'nginx' ? STATIC_PATHS : API_PATHS,
    r(S.path),
  );
  const method = pick(methods, r(S.method));
  const path = template
    .replace('{id}', String(between(r(S.id), 1000, 9999)))
    .replace('{page}', String(between(r(S.id), 1, 12)))
    .replace('{sku}', `SKU-${between(r(S.id), 10000, 99999)}`)
    .replace('{hash}', hex(ctx.seed).slice(0, 8))
    .replace('{query}', pick(SEARCH_TERMS, r(S.id)));
  const roll = r(S.status) % 1000;
  let status = 200;
  if (roll < 15) {
    status = 500;
  } else if (roll < 50 && method !== 'POST') {
    status = 404;
  } else if (method === 'POST') {
    status = 201;
  } else if (method === 'DELETE') {
    status = 204;
  } else if (
    ctx.flavour === 'nginx' &&
    roll < 200 &&
    !path.startsWith('/api')
  ) {
    status = 304;
  }
  const bucket = r(S.latency) % 100;
  let latencyMs: number;
  if (bucket < 65) {
    latencyMs = between(r(S.latency) >>> 7, 20, 400) / 10;
  } else if (bucket < 93) {
    latencyMs = between(r(S.latency) >>> 7, 400, 1800) / 10;
  } else if (bucket < 99) {
    latencyMs = between(r(S.latency) >>> 7, 1800, 9000) / 10;
  } else {
    latencyMs = between(r(S.latency) >>> 7, 9000, 30000) / 10;
  }
  if (status === 500) {
    latencyMs += between(r(S.error), 200, 20000) / 10;
  }
  let bytes = between(r(S.bytes), 180, 8200);
  if (status === 404) {
    bytes = between(r(S.bytes), 60, 140);
  } else if (status === 500) {
    bytes = between(r(S.bytes), 90, 220);
  } else if (status === 204 || status === 304) {
    bytes = 0;
  }
  return {
    method,
    path,
    status,
    latencyMs: Math.round(latencyMs * 10) / 10,
    bytes,
    requestId,
    clientIp,
    clientPort,
    userAgent: pick(USER_AGENTS, r(S.agent)),
    health,
  };
}

const ERRORS: Record<LogFlavour, readonly string[]> = {
  java: [
    'java.net.SocketTimeoutException: Read timed out',
    'org.springframework.dao.QueryTimeoutException: JDBC query timed out after 2000 ms',
    'java.lang.NullPointerException: Cannot invoke "String.length()" because "sku" is null',
  ],
  node: [
    'upstream request timed out after 2000ms',
    "Cannot read properties of undefined (reading 'id')",
    'connect ETIMEDOUT',
  ],
  go: [
    'context deadline exceeded',
    'pq: canceling statement due to statement timeout',
    'upstream returned 503 Service Unavailable',
  ],
  python: [
    'TimeoutError: upstream did not respond within 2.0s',
    "KeyError: 'customer_id'",
    'OperationalError: server closed the connection unexpectedly',
  ],
  nginx: ['upstream timed out (110: Connection timed out)'],
  generic: ['deadline exceeded', 'upstream unavailable'],
};

function periodicText(ctx: Context, k: number, time: number): string {
  if (ctx.run.neverReady) {
    return dependencyFailure(ctx, k, time);
  }
  const req = request(ctx, k);
  const error = pick(ERRORS[ctx.flavour], mix(ctx.seed, k, S.error));
  switch (ctx.flavour) {
    case 'java': {
      const thread = `http-nio-${ctx.port}-exec-${between(
        mix(ctx.seed, k, S.thread),
        1,
        10,
      )}`;
      const base = `${req.method} ${req.path} -> ${req.status} (${Math.round(
        req.latencyMs,
      )} ms) requestId=${req.requestId}`;
      if (req.status >= 500) {
        return javaLine(
          ctx,
          time,
          'ERROR',
          thread,
          `${ctx.pkg}.web.RequestLoggingFilter`,
          `${base}: ${error}`,
        );
      }
      const level = req.status >= 400 ? 'WARN' : 'INFO';
      return javaLine(
        ctx,
        time,
        level,
        thread,
        `${ctx.pkg}.web.RequestLoggingFilter`,
        base,
      );
    }
    case 'node': {
      let level = 30;
      if (req.status >= 500) {
        level = 50;
      } else if (req.status >= 400) {
        level = 40;
      }
      return pino(ctx, time, level, {
        reqId: req.requestId,
        req: {
          method: req.method,
          url: req.path,
          remoteAddress: req.clientIp,
          remotePort: req.clientPort,
        },
        res: { statusCode: req.status },
        ...(req.status >= 500
          ? { err: { type: 'Error', message: error } }
          : {}),
        responseTime: Math.round(req.latencyMs),
        msg: req.status >= 500 ? 'request errored' : 'request completed',
      });
    }
    case 'go': {
      let level = 'INFO';
      if (req.status >= 500) {
        level = 'ERROR';
      } else if (req.status >= 400) {
        level = 'WARN';
      }
      return slog(time, level, 'http request', {
        method: req.method,
        path: req.path,
        status: req.status,
        duration_ms: req.latencyMs,
        bytes: req.bytes,
        remote_addr: `${req.clientIp}:${req.clientPort}`,
        request_id: req.requestId,
        ...(req.status >= 500 ? { error } : {}),
      });
    }
    case 'python': {
      let level = 'INFO';
      if (req.status >= 500) {
        level = 'ERROR';
      } else if (req.status >= 400) {
        level = 'WARNING';
      }
      const suffix = req.status >= 500 ? ` error="${error}"` : '';
      return pythonLog(
        time,
        level,
        'app.access',
        `${req.clientIp}:${req.clientPort} "${req.method} ${req.path} HTTP/1.1" ${req.status} ${req.latencyMs}ms request_id=${req.requestId}${suffix}`,
      );
    }
    case 'nginx':
      return [
        req.clientIp,
        '-',
        '-',
        `[${accessTime(time)}]`,
        `"${req.method} ${req.path} HTTP/1.1"`,
        req.status,
        req.bytes,
        '"-"',
        `"${req.userAgent}"`,
        (req.latencyMs / 1000).toFixed(3),
        req.requestId,
      ].join(' ');
    default: {
      if (req.health) {
        return logfmt(time, 'info', {
          msg: 'heartbeat',
          pod: ctx.run.podName,
          uptime: duration(time - ctx.start),
        });
      }
      let level = 'info';
      if (req.status >= 500) {
        level = 'error';
      } else if (req.status >= 400) {
        level = 'warn';
      }
      return logfmt(time, level, {
        msg: 'request handled',
        method: req.method,
        path: req.path,
        status: req.status,
        duration: `${req.latencyMs}ms`,
        request_id: req.requestId,
        ...(req.status >= 500 ? { err: error } : {}),
      });
    }
  }
}

function dependencyFailure(ctx: Context, k: number, time: number): string {
  const { dep } = ctx;
  const attempt = k + 1;
  const retry = `${Math.round(ctx.intervalMs / 100) / 10}s`;
  const addr = `${dep.host}:${dep.port}`;
  switch (ctx.flavour) {
    case 'java':
      return javaLine(
        ctx,
        time,
        'WARN',
        'readiness-probe',
        `${ctx.pkg}.health.DependencyProbe`,
        `${dep.kind} ${addr} unavailable: java.net.ConnectException: Connection refused (attempt ${attempt}, retrying in ${retry}); readiness DOWN`,
      );
    case 'node':
      return pino(ctx, time, 50, {
        err: {
          type: 'Error',
          message: `connect ECONNREFUSED ${dep.ip}:${dep.port}`,
          code: 'ECONNREFUSED',
          syscall: 'connect',
          address: dep.ip,
          port: dep.port,
        },
        attempt,
        msg: `${dep.kind} connection refused, retrying in ${retry}`,
      });
    case 'go':
      return slog(time, 'ERROR', 'dependency not ready, retrying', {
        dependency: dep.kind,
        addr,
        attempt,
        error: `dial tcp ${dep.ip}:${dep.port}: connect: connection refused`,
      });
    case 'python':
      return pythonLog(
        time,
        'ERROR',
        'app.db',
        `could not connect to ${dep.kind} at ${addr}: [Errno 111] Connection refused (attempt ${attempt}, retrying in ${retry})`,
      );
    case 'nginx': {
      const req = request(ctx, k);
      return nginxError(
        time,
        'error',
        29,
        `*${attempt} connect() failed (111: Connection refused) while connecting to upstream, client: ${req.clientIp}, server: _, request: "${req.method} ${req.path} HTTP/1.1", upstream: "http://${dep.ip}:${dep.port}${req.path}", host: "${ctx.run.podName}:${ctx.port}"`,
      );
    }
    default:
      return logfmt(time, 'warn', {
        msg: 'dependency unavailable',
        dep: addr,
        err: `dial tcp ${dep.ip}:${dep.port}: connect: connection refused`,
        attempt,
        retry_in: retry,
      });
  }
}

// ---------------------------------------------------------------------------
// Ending lines

interface EndingSpec {
  /** Milliseconds before `endedAt`; lines are kept strictly increasing in time. */
  dt: number;
  text: (time: number) => string;
}

const FATAL_MESSAGES = [
  'event sequence gap detected (expected 48213, got 48219)',
  'message broker connection lost and retries exhausted',
  'invariant violated: order total does not match its line items',
  'reconciliation loop stalled: lease lost to another replica',
];

type EndReason = NonNullable<ContainerRun['endReason']>;

function endingFacts(ctx: Context) {
  const r = (salt: number) => mix(ctx.seed, -3 >>> 0, salt);
  const runtimeMs = (ctx.end ?? ctx.start) - ctx.start;
  return {
    fatal: pick(FATAL_MESSAGES, r(S.error)),
    line: (salt: number, min: number, max: number) =>
      between(r(salt), min, max),
    drainMs: between(r(S.latency), 1200, 3200),
    oomLastDt: between(r(S.bytes), 120, 900),
    processed: between(r(S.id), 1200, 98000),
    runtimeMs,
    limit: ctx.memoryLimitMb,
  };
}

const ENDINGS: Record<
  LogFlavour,
  (ctx: Context, reason: EndReason) => EndingSpec[]
> = {
  java: (ctx, reason) => {
    const f = endingFacts(ctx);
    const main = `${ctx.pkg}.${ctx.mainClass}`;
    const hook = 'SpringApplicationShutdownHook';
    const file = (cls: string) => `${cls}.java`;
    switch (reason) {
      case 'Error':
        return [
          {
            dt: 40,
            text: t =>
              javaLine(
                ctx,
                t,
                'ERROR',
                'main',
                `${ctx.pkg}.worker.EventConsumer`,
                `Fatal error in consumer loop, shutting down: ${f.fatal}`,
              ),
          },
          {
            dt: 6,
            text: () =>
              `Exception in thread "main" java.lang.IllegalStateException: ${f.fatal}`,
          },
          {
            dt: 5,
            text: () =>
              `\tat ${ctx.pkg}.worker.EventConsumer.apply(${file(
                'EventConsumer',
              )}:${f.line(S.path, 90, 260)})`,
          },
          {
            dt: 4,
            text: () =>
              `\tat ${ctx.pkg}.worker.EventConsumer.poll(${file(
                'EventConsumer',
              )}:${f.line(S.method, 40, 89)})`,
          },
          {
            dt: 3,
            text: () =>
              `\tat ${ctx.pkg}.worker.EventConsumer.run(${file(
                'EventConsumer',
              )}:31)`,
          },
          { dt: 2, text: () => `\tat ${main}.main(${file(ctx.mainClass)}:24)` },
          {
            dt: 1,
            text: () =>
              'Caused by: java.net.SocketTimeoutException: Read timed out',
          },
          {
            dt: 0,
            text: () =>
              '\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)',
          },
        ];
      case 'OOMKilled': {
        const monitor = `${ctx.pkg}.monitor.MemoryMonitor`;
        const heap = (pct: number) =>
          `Heap usage ${pct}% (${Math.round(
            (ctx.memoryLimitMb * 0.75 * pct) / 100,
          )} MB of ${Math.round(ctx.memoryLimitMb * 0.75)} MB) after full GC`;
        return [
          {
            dt: 9000,
            text: t =>
              javaLine(ctx, t, 'WARN', 'memory-monitor', monitor, heap(91)),
          },
          {
            dt: 5200,
            text: t =>
              javaLine(
                ctx,
                t,
                'WARN',
                'memory-monitor',
                monitor,
                `${heap(97)}, GC overhead 78%`,
              ),
          },
          {
            dt: 1800,
            text: t =>
              javaLine(
                ctx,
                t,
                'ERROR',
                `http-nio-${ctx.port}-exec-4`,
                'o.a.c.c.C.[.[.[/].[dispatcherServlet]',
                'Servlet.service() for servlet [dispatcherServlet] threw exception',
              ),
          },
          {
            dt: 1799,
            text: () => 'java.lang.OutOfMemoryError: Java heap space',
          },
          {
            dt: 1798,
            text: () =>
              '\tat java.base/java.util.Arrays.copyOf(Arrays.java:3541)',
          },
          {
            dt: 1797,
            text: () =>
              '\tat java.base/java.lang.AbstractStringBuilder.ensureCapacityInternal(AbstractStringBuilder.java:242)',
          },
          {
            dt: 1796,
            text: () =>
              `\tat ${ctx.pkg}.report.ExportService.render(${file(
                'ExportService',
              )}:118)`,
          },
          {
            dt: f.oomLastDt,
            text: () =>
              `Exception in thread "http-nio-${ctx.port}-exec-9" java.lang.OutOfMemoryError: Java heap space`,
          },
        ];
      }
      case 'Completed':
        return [
          {
            dt: 120,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                'main',
                main,
                `Batch finished: processed ${f.processed} records in ${duration(
                  f.runtimeMs,
                )}`,
              ),
          },
          {
            dt: 40,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                hook,
                'com.zaxxer.hikari.HikariDataSource',
                'HikariPool-1 - Shutdown initiated...',
              ),
          },
          {
            dt: 30,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                hook,
                'com.zaxxer.hikari.HikariDataSource',
                'HikariPool-1 - Shutdown completed.',
              ),
          },
          {
            dt: 5,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                hook,
                main,
                'Application finished, exiting with code 0',
              ),
          },
        ];
      case 'Killed':
        return [
          {
            dt: f.drainMs,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                hook,
                `${ctx.pkg}.lifecycle.ShutdownListener`,
                'Received SIGTERM, draining connections',
              ),
          },
          {
            dt: f.drainMs - 5,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                hook,
                'o.s.b.w.e.tomcat.GracefulShutdown',
                'Commencing graceful shutdown. Waiting for active requests to complete',
              ),
          },
          {
            dt: 60,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                'tomcat-shutdown',
                'o.s.b.w.e.tomcat.GracefulShutdown',
                'Graceful shutdown complete',
              ),
          },
          {
            dt: 40,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                hook,
                'com.zaxxer.hikari.HikariDataSource',
                'HikariPool-1 - Shutdown initiated...',
              ),
          },
          {
            dt: 30,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                hook,
                'com.zaxxer.hikari.HikariDataSource',
                'HikariPool-1 - Shutdown completed.',
              ),
          },
          {
            dt: 10,
            text: t =>
              javaLine(
                ctx,
                t,
                'INFO',
                hook,
                `${ctx.pkg}.lifecycle.ShutdownListener`,
                'Shutdown complete',
              ),
          },
        ];
      default:
        return [];
    }
  },

  node: (ctx, reason) => {
    const f = endingFacts(ctx);
    const nodeVersion = pick(NODE_VERSIONS, mix(ctx.seed, -3 >>> 0, S.agent));
    const info =
      (msg: string, fields: Record<string, unknown> = {}) =>
      (t: number) =>
        pino(ctx, t, 30, { msg, ...fields });
    const heap = (pct: number) => (t: number) =>
      pino(ctx, t, 40, {
        heapUsedMB: Math.round((ctx.memoryLimitMb * 0.8 * pct) / 100),
        heapTotalMB: Math.round(ctx.memoryLimitMb * 0.8),
        rssMB: Math.round((ctx.memoryLimitMb * pct) / 100),
        msg:
          pct > 95
            ? 'heap usage critical, GC cannot keep up'
            : 'heap usage high',
      });
    const line = f.line(S.path, 90, 260);
    switch (reason) {
      case 'Error':
        return [
          { dt: 11, text: () => `/app/dist/services/reconciler.js:${line}` },
          { dt: 10, text: () => '      throw new Error(reason);' },
          { dt: 9, text: () => '      ^' },
          { dt: 8, text: () => '' },
          { dt: 7, text: () => `Error: ${f.fatal}` },
          {
            dt: 6,
            text: () =>
              `    at Reconciler.apply (/app/dist/services/reconciler.js:${line}:13)`,
          },
          {
            dt: 5,
            text: () =>
              '    at async Reconciler.tick (/app/dist/services/reconciler.js:88:7)',
          },
          {
            dt: 4,
            text: () =>
              '    at async Timeout._onTimeout (/app/dist/worker.js:31:5)',
          },
          { dt: 1, text: () => '' },
          { dt: 0, text: () => `Node.js ${nodeVersion}` },
        ];
      case 'OOMKilled':
        return [
          { dt: 9000, text: heap(91) },
          { dt: 5000, text: heap(96) },
          {
            dt: 2200,
            text: t =>
              pino(ctx, t, 40, {
                eventLoopDelayMs: f.line(S.latency, 900, 2400),
                msg: 'event loop blocked',
              }),
          },
          { dt: f.oomLastDt, text: heap(99) },
        ];
      case 'Completed':
        return [
          {
            dt: 50,
            text: info('job finished', {
              processed: f.processed,
              durationMs: f.runtimeMs,
            }),
          },
          { dt: 10, text: info('exiting', { code: 0 }) },
        ];
      case 'Killed':
        return [
          {
            dt: f.drainMs,
            text: info('Received SIGTERM, draining connections'),
          },
          { dt: 80, text: info('http server closed') },
          { dt: 40, text: info(`${ctx.dep.kind} pool closed`) },
          { dt: 10, text: info('Shutdown complete') },
        ];
      default:
        return [];
    }
  },

  go: (ctx, reason) => {
    const f = endingFacts(ctx);
    const mod = ctx.app;
    const gcLine = (n: number, pct: number) => (t: number) => {
      const heap = Math.round((ctx.memoryLimitMb * pct) / 100);
      return `gc ${n} @${((t - ctx.start) / 1000).toFixed(3)}s ${Math.round(
        pct / 4,
      )}%: 0.11+${Math.round(
        pct / 2,
      )}+0.09 ms clock, 0.45+12/88/0+0.36 ms cpu, ${heap}->${heap + 3}->${
        heap - 1
      } MB, ${heap + 4} MB goal, 0 MB stacks, 0 MB globals, 4 P`;
    };
    const gcs = f.line(S.id, 800, 40000);
    switch (reason) {
      case 'Error': {
        const nil = f.line(S.method, 0, 1) === 0;
        const headline = nil
          ? [
              {
                dt: 12,
                text: () =>
                  'panic: runtime error: invalid memory address or nil pointer dereference',
              },
              {
                dt: 11,
                text: () =>
                  '[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x7b3e5a]',
              },
            ]
          : [{ dt: 12, text: () => `panic: ${f.fatal}` }];
        return [
          {
            dt: 30,
            text: t =>
              slog(t, 'ERROR', 'fatal error in reconcile loop', {
                error: f.fatal,
              }),
          },
          ...headline,
          { dt: 10, text: () => '' },
          { dt: 9, text: () => 'goroutine 1 [running]:' },
          {
            dt: 8,
            text: () =>
              `${mod}/internal/reconcile.(*Reconciler).apply(0xc0001a4000, {0xc00012e0c0, 0x24})`,
          },
          {
            dt: 7,
            text: () =>
              `\t/src/internal/reconcile/reconciler.go:${f.line(
                S.path,
                90,
                260,
              )} +0x1f4`,
          },
          {
            dt: 6,
            text: () =>
              `${mod}/internal/reconcile.(*Reconciler).Run(0xc0001a4000, {0x9a1c40, 0xc000124050})`,
          },
          {
            dt: 5,
            text: () => '\t/src/internal/reconcile/reconciler.go:88 +0x125',
          },
          { dt: 4, text: () => 'main.main()' },
          { dt: 3, text: () => `\t/src/cmd/${ctx.app}/main.go:64 +0x3a5` },
        ];
      }
      case 'OOMKilled':
        return [
          { dt: 9000, text: gcLine(gcs, 92) },
          {
            dt: 6000,
            text: t =>
              slog(t, 'WARN', 'memory usage near limit', {
                heap_alloc_mb: Math.round(ctx.memoryLimitMb * 0.95),
                limit_mb: ctx.memoryLimitMb,
              }),
          },
          { dt: 3000, text: gcLine(gcs + 1, 97) },
          { dt: f.oomLastDt, text: gcLine(gcs + 2, 99) },
        ];
      case 'Completed':
        return [
          {
            dt: 20,
            text: t =>
              slog(t, 'INFO', 'job finished', {
                processed: f.processed,
                duration: duration(f.runtimeMs),
              }),
          },
        ];
      case 'Killed':
        return [
          {
            dt: f.drainMs,
            text: t =>
              slog(t, 'INFO', 'Received SIGTERM, draining connections', {
                grace_period: '30s',
              }),
          },
          { dt: 60, text: t => slog(t, 'INFO', 'http server stopped') },
          { dt: 10, text: t => slog(t, 'INFO', 'Shutdown complete') },
        ];
      default:
        return [];
    }
  },

  python: (ctx, reason) => {
    const f = endingFacts(ctx);
    const memory = (pct: number) => (t: number) =>
      pythonLog(
        t,
        'WARNING',
        'app.memory',
        `rss ${((ctx.memoryLimitMb * pct) / 100).toFixed(1)} MiB of ${
          ctx.memoryLimitMb
        } MiB limit (${pct}%), gc.collect() freed ${pct > 95 ? 0 : 12} objects`,
      );
    switch (reason) {
      case 'Error':
        return [
          {
            dt: 40,
            text: t =>
              pythonLog(
                t,
                'ERROR',
                'app.worker',
                'unhandled exception in worker loop',
              ),
          },
          { dt: 9, text: () => 'Traceback (most recent call last):' },
          {
            dt: 8,
            text: () => '  File "/app/app/main.py", line 42, in <module>',
          },
          { dt: 7, text: () => '    run()' },
          {
            dt: 6,
            text: () => '  File "/app/app/worker.py", line 118, in run',
          },
          {
            dt: 5,
            text: () => '    batch = repository.fetch_pending(limit=100)',
          },
          {
            dt: 4,
            text: () =>
              `  File "/app/app/repository.py", line ${f.line(
                S.path,
                40,
                160,
              )}, in fetch_pending`,
          },
          { dt: 3, text: () => '    raise RuntimeError(reason)' },
          { dt: 2, text: () => `RuntimeError: ${f.fatal}` },
        ];
      case 'OOMKilled':
        return [
          { dt: 9000, text: memory(91) },
          { dt: 5000, text: memory(96) },
          { dt: f.oomLastDt, text: memory(99) },
        ];
      case 'Completed':
        return [
          {
            dt: 50,
            text: t =>
              pythonLog(
                t,
                'INFO',
                'app.jobs',
                `job finished: processed ${f.processed} records in ${duration(
                  f.runtimeMs,
                )}`,
              ),
          },
          {
            dt: 10,
            text: t => pythonLog(t, 'INFO', 'app', 'exiting with status 0'),
          },
        ];
      case 'Killed':
        return [
          {
            dt: f.drainMs,
            text: t => gunicorn(t, 1, 'INFO', 'Handling signal: term'),
          },
          {
            dt: f.drainMs - 5,
            text: t => gunicorn(t, 7, 'INFO', 'Shutting down'),
          },
          {
            dt: 90,
            text: t =>
              gunicorn(t, 7, 'INFO', 'Waiting for application shutdown.'),
          },
          {
            dt: 70,
            text: t => gunicorn(t, 7, 'INFO', 'Application shutdown complete.'),
          },
          {
            dt: 60,
            text: t => gunicorn(t, 7, 'INFO', 'Finished server process [7]'),
          },
          {
            dt: 50,
            text: t => gunicorn(t, 7, 'INFO', 'Worker exiting (pid: 7)'),
          },
          {
            dt: 10,
            text: t => gunicorn(t, 1, 'INFO', 'Shutting down: Master'),
          },
        ];
      default:
        return [];
    }
  },

  nginx: (ctx, reason) => {
    const f = endingFacts(ctx);
    switch (reason) {
      case 'Error':
        return [
          {
            dt: 30,
            text: t =>
              nginxError(
                t,
                'alert',
                1,
                'worker process 29 exited on signal 11 (core dumped)',
              ),
          },
          {
            dt: 10,
            text: t =>
              nginxError(
                t,
                'emerg',
                1,
                `host not found in upstream "${ctx.dep.host}:${ctx.dep.port}" in /etc/nginx/conf.d/default.conf:14`,
              ),
          },
        ];
      case 'OOMKilled':
        return [
          {
            dt: 6000,
            text: t =>
              nginxError(
                t,
                'warn',
                29,
                `*${f.processed} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/3/00/0000000003 while reading upstream`,
              ),
          },
          {
            dt: f.oomLastDt,
            text: t =>
              nginxError(
                t,
                'alert',
                29,
                `*${
                  f.processed + 1
                } malloc(16384) failed (12: Cannot allocate memory)`,
              ),
          },
        ];
      case 'Completed':
        return [{ dt: 10, text: t => nginxError(t, 'notice', 1, 'exit') }];
      case 'Killed':
        return [
          {
            dt: f.drainMs,
            text: t =>
              nginxError(
                t,
                'notice',
                1,
                'signal 3 (SIGQUIT) received, shutting down',
              ),
          },
          {
            dt: f.drainMs - 2,
            text: t => nginxError(t, 'notice', 29, 'gracefully shutting down'),
          },
          { dt: 50, text: t => nginxError(t, 'notice', 29, 'exiting') },
          { dt: 45, text: t => nginxError(t, 'notice', 29, 'exit') },
          {
            dt: 20,
            text: t =>
              nginxError(
                t,
                'notice',
                1,
                'signal 17 (SIGCHLD) received from 29',
              ),
          },
          {
            dt: 15,
            text: t =>
              nginxError(
                t,
                'notice',
                1,
                'worker process 29 exited with code 0',
              ),
          },
          { dt: 10, text: t => nginxError(t, 'notice', 1, 'exit') },
        ];
      default:
        return [];
    }
  },

  generic: (ctx, reason) => {
    const f = endingFacts(ctx);
    const memory = (pct: number) => (t: number) =>
      logfmt(t, 'warn', {
        msg: 'memory usage high',
        rss_mb: Math.round((ctx.memoryLimitMb * pct) / 100),
        limit_mb: ctx.memoryLimitMb,
      });
    switch (reason) {
      case 'Error':
        return [
          {
            dt: 20,
            text: t =>
              logfmt(t, 'error', {
                msg: 'unrecoverable error',
                err: f.fatal,
                pod: ctx.run.podName,
              }),
          },
          {
            dt: 5,
            text: t => logfmt(t, 'fatal', { msg: 'exiting', exit_code: 1 }),
          },
        ];
      case 'OOMKilled':
        return [
          { dt: 9000, text: memory(92) },
          { dt: 4000, text: memory(97) },
          { dt: f.oomLastDt, text: memory(99) },
        ];
      case 'Completed':
        return [
          {
            dt: 10,
            text: t =>
              logfmt(t, 'info', {
                msg: 'finished',
                processed: f.processed,
                duration: duration(f.runtimeMs),
              }),
          },
        ];
      case 'Killed':
        return [
          {
            dt: f.drainMs,
            text: t =>
              logfmt(t, 'info', {
                msg: 'Received SIGTERM, draining connections',
              }),
          },
          {
            dt: 10,
            text: t => logfmt(t, 'info', { msg: 'Shutdown complete' }),
          },
        ];
      default:
        return [];
    }
  },
};

// ---------------------------------------------------------------------------
// Run context construction

function context(run: ContainerRun): Context {
  const start = Math.round(run.startedAt);
  const end = run.endedAt === undefined ? undefined : Math.round(run.endedAt);
  const flavour = logFlavour(run.image);
  const seed = fnv1a(`${run.podName}\u0000${run.containerName}\u0000${start}`);
  const r = (salt: number) => mix(seed, -1 >>> 0, salt);
  const interval =
    run.intervalSeconds !== undefined && run.intervalSeconds > 0
      ? run.intervalSeconds
      : DEFAULT_INTERVAL_SECONDS;
  const intervalMs = Math.max(1, Math.round(interval * 1000));
  const parts = parseImage(run.image);
  const app = parts.name || run.containerName || 'app';
  const versionMatch = /^v?(\d+(?:\.\d+)*)/.exec(parts.tag);
  let version = '1.0.0';
  if (versionMatch) {
    version = versionMatch[1];
  } else if (parts.tag && parts.tag !== 'latest') {
    version = parts.tag;
  }
  const stem = tokens(app)[0] ?? 'app';
  // Java services talk JDBC (Hikari) in their banner, so their dependency is a database.
  const dependency =
    flavour === 'java' ? DEPENDENCIES[0] : pick(DEPENDENCIES, r(S.run));
  const ip = `10.96.${between(r(S.ip), 1, 250)}.${between(r(S.id), 2, 250)}`;
  const dep: Dependency =
    flavour === 'nginx'
      ? { kind: 'upstream', host: `${stem}-api`, port: 8080, ip }
      : {
          kind: dependency.kind,
          host: `${stem}-${dependency.suffix}`,
          port: dependency.port,
          ip,
        };
  const ctx: Context = {
    run,
    flavour,
    seed,
    start,
    end,
    intervalMs,
    jitterMax: Math.max(1, Math.min(400, Math.floor(intervalMs / 5))),
    port: run.port ?? DEFAULT_PORT,
    app,
    version,
    mainClass: `${pascalCase(app)}Application`,
    pkg: `app.${app.toLowerCase().replace(/[^a-z0-9]/g, '') || 'service'}`,
    dep,
    memoryLimitMb: pick([256, 512, 1024], r(S.bytes)),
    banner: [],
    ending: [],
    periodicBase: start,
    bodyEnd: Infinity,
  };

  const specs = BANNERS[flavour](ctx).filter(
    spec => !(run.neverReady && spec.readyOnly),
  );
  const startupMs = STARTUP_MS[flavour](r(S.latency));
  let previous = -1;
  for (const spec of specs) {
    const offset = Math.max(Math.round(spec.at * startupMs), previous + 1);
    previous = offset;
    ctx.banner.push({
      time: start + offset,
      text: spec.text(start + offset, startupMs),
    });
  }
  ctx.periodicBase = start + Math.max(previous, 0);

  if (end !== undefined) {
    ctx.bodyEnd = end + 1;
    if (run.endReason) {
      const endings = ENDINGS[flavour](ctx, run.endReason);
      const times: number[] = new Array(endings.length);
      let next = Infinity;
      for (let i = endings.length - 1; i >= 0; i--) {
        next = Math.min(end - endings[i].dt, next - 1);
        times[i] = next;
      }
      ctx.ending = endings.map((spec, i) => {
        const time = Math.max(start, times[i]);
        return { time, text: spec.text(time) };
      });
      if (ctx.ending.length > 0) {
        ctx.bodyEnd = ctx.ending[0].time;
      }
    }
  }
  return ctx;
}
