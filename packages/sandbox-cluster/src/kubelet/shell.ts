import { KubeObject } from '../api/types';
import { logFlavour } from './logLines';

/**
 * The simulated inside of a container, for `exec` and `attach`: a small filesystem, the
 * environment the pod spec resolves to, the processes, and a shell with a handful of
 * commands. Deterministic: the same pod answers the same way every time. Messages are
 * worded as BusyBox sh words them.
 */

/** Reads a ConfigMap or Secret of the pod's namespace, if the sandbox has it. */
export type ObjectLookup = (
  resource: 'configmaps' | 'secrets' | 'services',
  namespace: string,
  name: string,
) => KubeObject | undefined;

/** What one command printed and how it ended. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
  /** Set when the shell itself ends (`exit`). */
  exit?: number;
}

const SHELL_IMAGES = /(^|\/)(busybox|alpine|debian|ubuntu)(:|@|$)/;

/**
 * Whether an image has no shell and no other binaries besides the app: distroless
 * images (`gcr.io/distroless/...`) and images whose tag contains `noshell`.
 */
export function imageHasShell(image: string): boolean {
  if (/distroless/.test(image)) return false;
  const tag = /:([^/:]+)$/.exec(image)?.[1] ?? '';
  return !/noshell/.test(tag);
}

/** The command a container runs as PID 1: its command and args, else its image's. */
export function mainCommand(container: any): string[] {
  const command: string[] = [
    ...(container.command ?? []),
    ...(container.args ?? []),
  ];
  if ((container.command ?? []).length > 0) return command;
  const image: string = container.image ?? '';
  if (SHELL_IMAGES.test(image.replace(/:[^/:]+$/, '').concat(':'))) {
    return ['sh', ...command];
  }
  const defaults: Record<string, string[]> = {
    java: ['java', '-jar', '/app/app.jar'],
    node: ['node', '/app/server.js'],
    python: ['python', '/app/main.py'],
    nginx: ['nginx', '-g', 'daemon off;'],
  };
  return [
    ...(defaults[logFlavour(image)] ?? [`/app/${container.name}`]),
    ...command,
  ];
}

/** Whether a command line names a shell. */
export function isShell(argv: string[]): boolean {
  return ['sh', 'ash', 'bash'].includes((argv[0] ?? '').split('/').pop()!);
}

/** Tool images that run as root: a shell and the usual tools, for debugging. */
const ROOT_IMAGES =
  /(^|\/)(busybox|alpine|debian|ubuntu|centos|fedora|netshoot)(:|@|$)/;

/**
 * The user an image runs as when the pod does not say: images built for a service and
 * pushed to a registry (a host in the reference, e.g. `registry.example.com/shop/web`)
 * run as uid 1000, as K2's generated Dockerfiles set `USER 1000`; tool images
 * (busybox, alpine, debian, ubuntu...) and images without a registry host run as root.
 */
export function imageDefaultUser(image: string): number {
  const name = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
  if (ROOT_IMAGES.test(`${name}:`)) return 0;
  const [first, ...rest] = name.split('/');
  const registry =
    rest.length > 0 && (/[.:]/.test(first) || first === 'localhost');
  return registry ? 1000 : 0;
}

/**
 * The container's user and group as its security context sets them, else its image's
 * default user ({@link imageDefaultUser}) and group 0 (a Dockerfile's `USER 1000`
 * names no group).
 */
function identity(pod: KubeObject, container: any) {
  const uid: number =
    container.securityContext?.runAsUser ??
    pod.spec?.securityContext?.runAsUser ??
    imageDefaultUser(container.image ?? '');
  const gid: number =
    container.securityContext?.runAsGroup ??
    pod.spec?.securityContext?.runAsGroup ??
    0;
  return { uid, gid };
}

function named(id: number) {
  return id === 0 ? `${id}(root)` : String(id);
}

function decode(value: string, secret: boolean) {
  return secret ? Buffer.from(value, 'base64').toString('utf8') : value;
}

/**
 * The container as a process sees it. `target` is the container whose process
 * namespace an ephemeral container shares (`targetContainerName`).
 */
export class ContainerView {
  readonly files = new Map<string, string>();
  readonly dirs = new Set<string>(['/']);
  readonly env: [string, string][];
  readonly uid: number;
  readonly gid: number;
  readonly hostname: string;
  readonly hasShell: boolean;

  constructor(
    readonly pod: KubeObject,
    readonly container: any,
    lookup: ObjectLookup,
    readonly target?: any,
  ) {
    const namespace = pod.metadata.namespace ?? 'default';
    this.hostname = pod.spec?.hostname ?? pod.metadata.name;
    this.hasShell = imageHasShell(container.image ?? '');
    ({ uid: this.uid, gid: this.gid } = identity(pod, container));
    this.env = this.resolveEnv(lookup, namespace);
    const image: string = container.image ?? '';
    const busybox = /(^|\/)busybox(:|@|$)/.test(`${image}:`);
    this.addFile('/etc/hostname', `${this.hostname}\n`);
    if (!busybox) {
      this.addFile(
        '/etc/os-release',
        /alpine/.test(image)
          ? 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n'
          : 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n',
      );
    }
    this.addDir('/tmp');
    this.addDir(this.home);
    if (!busybox && !SHELL_IMAGES.test(`${image.replace(/:[^/:]+$/, '')}:`)) {
      const main = mainCommand(container);
      const file = main.find(arg => arg.startsWith('/app/')) ?? '/app/app';
      this.addFile(file, '');
      this.addFile('/app/VERSION', `${image.split(':').pop()}\n`);
    }
    for (const mount of container.volumeMounts ?? []) {
      const volume = (pod.spec?.volumes ?? []).find(
        (v: any) => v.name === mount.name,
      );
      this.mountVolume(mount, volume, lookup, namespace);
    }
  }

  get home() {
    return this.uid === 0 ? '/root' : '/';
  }

  get user() {
    return this.uid === 0 ? 'root' : undefined;
  }

  private addDir(path: string) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      this.dirs.add(`/${parts.slice(0, i).join('/')}`);
    }
  }

  private addFile(path: string, content: string) {
    this.addDir(path.slice(0, path.lastIndexOf('/')) || '/');
    this.files.set(path, content);
  }

  private mountVolume(
    mount: any,
    volume: any,
    lookup: ObjectLookup,
    namespace: string,
  ) {
    const path: string = mount.mountPath;
    this.addDir(path);
    const source = volume?.configMap ?? volume?.secret;
    if (!source) return;
    const secret = Boolean(volume.secret);
    const object = lookup(
      secret ? 'secrets' : 'configmaps',
      namespace,
      secret ? source.secretName : source.name,
    );
    const data: Record<string, string> = {
      ...(object?.data ?? {}),
      ...(secret ? {} : object?.binaryData ?? {}),
    };
    const items: { key: string; path: string }[] =
      source.items ?? Object.keys(data).map(key => ({ key, path: key }));
    for (const item of items) {
      if (data[item.key] === undefined) continue;
      const content = decode(data[item.key], secret);
      if (mount.subPath) {
        if (item.path === mount.subPath) {
          this.dirs.delete(path);
          this.addFile(path, content);
        }
      } else {
        this.addFile(`${path.replace(/\/$/, '')}/${item.path}`, content);
      }
    }
  }

  private resolveEnv(lookup: ObjectLookup, namespace: string) {
    const env: [string, string][] = [
      ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ['HOSTNAME', this.hostname],
    ];
    const set = (name: string, value: string) => {
      const at = env.findIndex(([k]) => k === name);
      if (at >= 0) env[at] = [name, value];
      else env.push([name, value]);
    };
    const read = (ref: any, secret: boolean) => {
      const object = lookup(
        secret ? 'secrets' : 'configmaps',
        namespace,
        ref.name,
      );
      const value = object?.data?.[ref.key];
      return value === undefined ? undefined : decode(value, secret);
    };
    for (const from of this.container.envFrom ?? []) {
      const ref = from.configMapRef ?? from.secretRef;
      if (!ref) continue;
      const secret = Boolean(from.secretRef);
      const object = lookup(
        secret ? 'secrets' : 'configmaps',
        namespace,
        ref.name,
      );
      for (const [key, value] of Object.entries(object?.data ?? {})) {
        set(`${from.prefix ?? ''}${key}`, decode(String(value), secret));
      }
    }
    for (const e of this.container.env ?? []) {
      let value: string | undefined = e.value;
      const from = e.valueFrom;
      if (from?.configMapKeyRef) value = read(from.configMapKeyRef, false);
      else if (from?.secretKeyRef) value = read(from.secretKeyRef, true);
      else if (from?.fieldRef) value = this.field(from.fieldRef.fieldPath);
      else if (from?.resourceFieldRef) {
        value = this.resource(from.resourceFieldRef.resource);
      }
      if (value !== undefined) set(e.name, expand(value, env));
    }
    const kubernetes = lookup('services', 'default', 'kubernetes');
    const ip: string = kubernetes?.spec?.clusterIP ?? '10.96.0.1';
    for (const [k, v] of [
      ['KUBERNETES_SERVICE_HOST', ip],
      ['KUBERNETES_SERVICE_PORT', '443'],
      ['KUBERNETES_SERVICE_PORT_HTTPS', '443'],
      ['KUBERNETES_PORT', `tcp://${ip}:443`],
    ]) {
      if (!env.some(([name]) => name === k)) env.push([k, v]);
    }
    set('HOME', this.home);
    return env;
  }

  private field(path: string): string | undefined {
    const pod = this.pod;
    const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
    if (label) return pod.metadata[label[1] as 'labels']?.[label[2]];
    const values: Record<string, string | undefined> = {
      'metadata.name': pod.metadata.name,
      'metadata.namespace': pod.metadata.namespace,
      'metadata.uid': pod.metadata.uid,
      'spec.nodeName': pod.spec?.nodeName,
      'spec.serviceAccountName': pod.spec?.serviceAccountName ?? 'default',
      'status.podIP': pod.status?.podIP,
      'status.hostIP': pod.status?.hostIP,
    };
    return values[path];
  }

  private resource(resource: string): string | undefined {
    const [kind, name] = resource.split('.');
    const value = this.container.resources?.[kind]?.[name];
    if (value === undefined) return undefined;
    if (name === 'cpu') {
      const m = /^(\d+)m$/.exec(String(value));
      return String(m ? Math.ceil(Number(m[1]) / 1000) : Number(value));
    }
    const units: Record<string, number> = {
      Ki: 1024,
      Mi: 1024 ** 2,
      Gi: 1024 ** 3,
      K: 1e3,
      M: 1e6,
      G: 1e9,
    };
    const m = /^(\d+)([KMG]i?)?$/.exec(String(value));
    return m ? String(Number(m[1]) * (units[m[2]] ?? 1)) : String(value);
  }

  /** The processes `ps` lists: PID 1 (the target's, for a debug container), then `extra`. */
  processes(extra: { pid: number; command: string }[]) {
    const first = mainCommand(this.target ?? this.container).join(' ');
    const own = this.target
      ? [{ pid: 7, command: mainCommand(this.container).join(' ') }]
      : [];
    return [{ pid: 1, command: first }, ...own, ...extra];
  }
}

/** `$NAME`, `${NAME}` and `$(NAME)` (the pod spec's form) expanded from `env`. */
function expand(value: string, env: [string, string][]) {
  return value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name) => {
    const found = env.find(([k]) => k === name);
    return found ? found[1] : whole;
  });
}

/** A piece of a word: literal text, or a variable expanded when its command runs. */
type Piece = string | { variable: string };
type Token = { word: Piece[] } | { op: ';' | '&&' | '||' };

/**
 * Splits a command line into words (quotes, backslashes, `$VAR`, `${VAR}`, `$?`) and the
 * operators `;`, `&&`, `||`. Variables stay unexpanded: each command expands its own
 * when it runs, so `false; echo $?` sees the status of `false`.
 */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let word: Piece[] = [];
  let inWord = false;
  let i = 0;
  const variable = () => {
    const rest = line.slice(i + 1);
    const m = /^(\?|[A-Za-z_][A-Za-z0-9_]*|\{([A-Za-z_][A-Za-z0-9_]*)\})/.exec(
      rest,
    );
    if (!m) {
      word.push('$');
      i += 1;
      return;
    }
    word.push({ variable: m[2] ?? m[1] });
    i += 1 + m[0].length;
  };
  while (i < line.length) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end < 0 ? line.length : end;
      word.push(line.slice(i + 1, stop));
      inWord = true;
      i = stop + 1;
    } else if (c === '"') {
      inWord = true;
      i += 1;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '$') variable();
        else if (line[i] === '\\' && i + 1 < line.length) {
          word.push(line[i + 1]);
          i += 2;
        } else {
          word.push(line[i]);
          i += 1;
        }
      }
      i += 1;
    } else if (c === '$') {
      inWord = true;
      variable();
    } else if (c === '\\' && i + 1 < line.length) {
      word.push(line[i + 1]);
      inWord = true;
      i += 2;
    } else if (c === ' ' || c === '\t' || c === ';' || c === '&' || c === '|') {
      if (inWord) tokens.push({ word });
      word = [];
      inWord = false;
      if (c === ';') tokens.push({ op: ';' });
      if ((c === '&' || c === '|') && line[i + 1] === c) {
        tokens.push({ op: c === '&' ? '&&' : '||' });
        i += 1;
      }
      i += 1;
    } else if (c === '#' && !inWord) {
      break;
    } else {
      word.push(c);
      inWord = true;
      i += 1;
    }
  }
  if (inWord) tokens.push({ word });
  return tokens;
}

/** `ps` output as BusyBox prints it. */
function psTable(
  view: ContainerView,
  rows: { pid: number; command: string }[],
) {
  const user = view.user ?? String(view.uid);
  return `PID   USER     TIME  COMMAND\n${rows
    .map(
      r =>
        `${String(r.pid).padStart(5)} ${user.padEnd(8)}  0:00 ${r.command}\n`,
    )
    .join('')}`;
}

/** Normalises a path against a working directory. */
function resolvePath(cwd: string, path: string) {
  const parts = (path.startsWith('/') ? path : `${cwd}/${path}`)
    .split('/')
    .filter(p => p && p !== '.');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}

const BUILTINS = new Set([
  'cat',
  'cd',
  'echo',
  'env',
  'exit',
  'false',
  'hostname',
  'id',
  'ls',
  'ps',
  'pwd',
  'sh',
  'true',
  'whoami',
]);

/** Whether `name` is a program the simulated container has (a shell image's tools). */
export function isProgram(view: ContainerView, name: string) {
  if (!view.hasShell) return false;
  const base = name.split('/').pop()!;
  if (base === 'bash') return !/busybox|alpine/.test(view.container.image);
  return base !== 'cd' && base !== 'exit' && BUILTINS.has(base);
}

/**
 * A shell session in a container: its working directory, last status and the pid it
 * runs as. Invariant: after `exit` (or `exited` set) it runs nothing more.
 */
export class SimulatedShell {
  cwd: string;
  status = 0;
  exited?: number;
  private nextPid: number;

  /**
   * `pid` is the process's own. `role` says what that process is: a `shell` (listed by
   * `ps` as `sh`), a program run directly by `exec` (`ps` lists only itself), or the
   * container's `main` process (a debug container's one command, already PID 1 or 7).
   */
  constructor(
    private readonly view: ContainerView,
    readonly pid: number,
    private readonly role: 'shell' | 'exec' | 'main' = 'shell',
  ) {
    this.cwd = '/';
    const workingDir = view.container.workingDir;
    if (workingDir && view.dirs.has(workingDir)) this.cwd = workingDir;
    this.nextPid = pid + 6;
  }

  /** `/app # ` for root, `/app $ ` for anyone else, as BusyBox sh prompts. */
  prompt() {
    return `${this.cwd} ${this.view.uid === 0 ? '#' : '$'} `;
  }

  /** Runs one line of shell input (commands joined by `;`, `&&`, `||`). */
  run(line: string): CommandResult {
    const tokens = tokenize(line);
    let stdout = '';
    let stderr = '';
    let words: Piece[][] = [];
    let skip = false;
    const flush = () => {
      if (words.length > 0 && !skip) {
        const r = this.command(
          words.map(pieces =>
            pieces
              .map(p => (typeof p === 'string' ? p : this.variable(p.variable)))
              .join(''),
          ),
        );
        stdout += r.stdout;
        stderr += r.stderr;
        this.status = r.code;
        if (r.exit !== undefined) this.exited = r.exit;
      }
      words = [];
    };
    for (const token of tokens) {
      if (this.exited !== undefined) break;
      if ('word' in token) {
        words.push(token.word);
        continue;
      }
      flush();
      if (token.op === ';') skip = false;
      else if (token.op === '&&') skip = this.status !== 0;
      else skip = this.status === 0;
    }
    if (this.exited === undefined) flush();
    return {
      stdout,
      stderr,
      code: this.status,
      ...(this.exited !== undefined ? { exit: this.exited } : {}),
    };
  }

  private variable(name: string) {
    if (name === '?') return String(this.status);
    if (name === 'PWD') return this.cwd;
    return this.view.env.find(([k]) => k === name)?.[1] ?? '';
  }

  /** Runs one program or builtin with its arguments. */
  command(argv: string[]): CommandResult {
    const [name, ...args] = argv;
    const ok = (stdout: string): CommandResult => ({
      stdout,
      stderr: '',
      code: 0,
    });
    const fail = (stderr: string, code = 1): CommandResult => ({
      stdout: '',
      stderr,
      code,
    });
    const base = name.split('/').pop()!;
    if (!isProgram(this.view, name) && base !== 'cd' && base !== 'exit') {
      return fail(`sh: ${name}: not found\n`, 127);
    }
    switch (base) {
      case 'cd': {
        const target = resolvePath(this.cwd, args[0] ?? this.view.home);
        if (!this.view.dirs.has(target)) {
          return fail(
            `sh: cd: can't cd to ${args[0]}: ${
              this.view.files.has(target)
                ? 'Not a directory'
                : 'No such file or directory'
            }\n`,
            2,
          );
        }
        this.cwd = target;
        return ok('');
      }
      case 'pwd':
        return ok(`${this.cwd}\n`);
      case 'echo': {
        const newline = args[0] !== '-n';
        return ok(
          `${(newline ? args : args.slice(1)).join(' ')}${newline ? '\n' : ''}`,
        );
      }
      case 'true':
        return ok('');
      case 'false':
        return fail('', 1);
      case 'hostname':
        return ok(`${this.view.hostname}\n`);
      case 'whoami':
        return this.view.user
          ? ok(`${this.view.user}\n`)
          : fail(`whoami: unknown uid ${this.view.uid}\n`);
      case 'id':
        return ok(
          `uid=${named(this.view.uid)} gid=${named(
            this.view.gid,
          )} groups=${named(this.view.gid)}\n`,
        );
      case 'env':
        return ok(this.view.env.map(([k, v]) => `${k}=${v}\n`).join(''));
      case 'exit': {
        const code = args[0] === undefined ? this.status : Number(args[0]);
        if (!Number.isInteger(code)) {
          return fail(`sh: exit: Illegal number: ${args[0]}\n`, 2);
        }
        return { stdout: '', stderr: '', code: code & 255, exit: code & 255 };
      }
      case 'ps': {
        const command = ['ps', ...args].join(' ');
        if (this.role === 'main') {
          return ok(psTable(this.view, this.view.processes([])));
        }
        if (this.role === 'exec') {
          return ok(
            psTable(
              this.view,
              this.view.processes([{ pid: this.pid, command }]),
            ),
          );
        }
        const rows = this.view.processes([
          ...(this.pid === 1 || (this.view.target && this.pid === 7)
            ? []
            : [{ pid: this.pid, command: 'sh' }]),
          { pid: this.nextPid++, command },
        ]);
        return ok(psTable(this.view, rows));
      }
      case 'ls':
        return this.ls(args);
      case 'cat':
        return this.cat(args);
      case 'sh':
      case 'ash':
      case 'bash': {
        const at = args.indexOf('-c');
        if (at < 0) return ok('');
        const nested = new SimulatedShell(
          this.view,
          this.role === 'exec' ? this.pid : this.nextPid++,
        );
        nested.cwd = this.cwd;
        const r = nested.run(args[at + 1] ?? '');
        return { stdout: r.stdout, stderr: r.stderr, code: r.exit ?? r.code };
      }
      default:
        return fail(`sh: ${name}: not found\n`, 127);
    }
  }

  private ls(args: string[]): CommandResult {
    const all = args.some(a => /^-[a-zA-Z]*a/.test(a));
    const paths = args.filter(a => !a.startsWith('-'));
    let stdout = '';
    let stderr = '';
    let code = 0;
    const targets = paths.length > 0 ? paths : ['.'];
    targets.forEach((arg, index) => {
      const path = resolvePath(this.cwd, arg);
      if (this.view.files.has(path)) {
        stdout += `${arg}\n`;
        return;
      }
      if (!this.view.dirs.has(path)) {
        stderr += `ls: ${arg}: No such file or directory\n`;
        code = 1;
        return;
      }
      const prefix = path === '/' ? '/' : `${path}/`;
      const names = new Set<string>();
      for (const p of [...this.view.files.keys(), ...this.view.dirs]) {
        if (p.startsWith(prefix) && p !== path) {
          names.add(p.slice(prefix.length).split('/')[0]);
        }
      }
      const sorted = [...names].sort();
      if (targets.length > 1) stdout += `${index > 0 ? '\n' : ''}${arg}:\n`;
      stdout += [...(all ? ['.', '..'] : []), ...sorted]
        .map(n => `${n}\n`)
        .join('');
    });
    return { stdout, stderr, code };
  }

  private cat(args: string[]): CommandResult {
    let stdout = '';
    let stderr = '';
    let code = 0;
    for (const arg of args) {
      const path = resolvePath(this.cwd, arg);
      const content = this.view.files.get(path);
      if (content !== undefined) stdout += content;
      else {
        stderr += `cat: ${
          this.view.dirs.has(path)
            ? `read error: Is a directory`
            : `can't open '${arg}': No such file or directory`
        }\n`;
        code = 1;
      }
    }
    return { stdout, stderr, code };
  }
}
