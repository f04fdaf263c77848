import {
  Argument,
  DockerfileParser,
  From,
  Instruction,
  Keyword,
  Property,
} from 'dockerfile-ast';
import { tryParseImageReference } from '@internal/plugin-k2-common';
import {
  DockerfileLintOptions,
  DockerfileLintRule,
  DockerfileProblem,
  DockerfileProblemSeverity,
} from './types';

/**
 * The largest Dockerfile the lint reads, in characters (1 MiB). A larger file is
 * answered with one problem; real Dockerfiles are a few kilobytes.
 */
export const MAX_DOCKERFILE_LENGTH = 1024 * 1024;

/**
 * The most problems the lint lists. Past it, one last problem says how many more there
 * are, with the highest severity among them, so a build is still blocked by an error
 * that is not listed.
 */
export const MAX_DOCKERFILE_PROBLEMS = 200;

/** Zero-based positions, as the parser gives them. */
interface Span {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

const START: Span = {
  start: { line: 0, character: 0 },
  end: { line: 0, character: 0 },
};

const KEYWORDS = new Set<string>(Object.values(Keyword));
const SEVERITY_ORDER: DockerfileProblemSeverity[] = [
  'info',
  'warning',
  'error',
];

/** A stage: its FROM and the instructions up to the next FROM. */
interface Stage {
  from: From;
  /** The `AS` name, lower-cased; stage names are case-insensitive. */
  name?: string;
  instructions: Instruction[];
}

/** A word of an instruction, with where it is. */
interface Word {
  value: string;
  span: Span;
}

class Problems {
  readonly list: DockerfileProblem[] = [];

  add(
    rule: DockerfileLintRule,
    severity: DockerfileProblemSeverity,
    span: Span,
    message: string,
  ) {
    this.list.push({
      rule,
      severity,
      message,
      line: span.start.line + 1,
      column: span.start.character + 1,
      endLine: span.end.line + 1,
      endColumn: span.end.character + 1,
    });
  }
}

/** The first character that is not text (a control character or U+FFFD), if any. */
function firstNonText(
  text: string,
): { index: number; code: number } | undefined {
  // eslint-disable-next-line no-control-regex
  const match = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.exec(text);
  return match
    ? { index: match.index, code: text.charCodeAt(match.index) }
    : undefined;
}

function positionOf(text: string, index: number) {
  let line = 0;
  let lineStart = 0;
  for (
    let i = text.indexOf('\n');
    i >= 0 && i < index;
    i = text.indexOf('\n', i + 1)
  ) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: index - lineStart };
}

/** The words of an instruction: a JSON array's strings, else its whitespace-separated arguments. */
function wordsOf(instruction: Instruction): { words: Word[]; json: boolean } {
  const json = jsonArray(instruction);
  if (json) {
    const span = instruction.getArgumentsRange() ?? instruction.getRange();
    return { words: json.map(value => ({ value, span })), json: true };
  }
  return {
    words: instruction.getArguments().map((argument: Argument) => ({
      value: argument.getValue(),
      span: argument.getRange(),
    })),
    json: false,
  };
}

/** The strings of an exec-form (JSON array) instruction, or undefined for shell form. */
function jsonArray(instruction: Instruction): string[] | undefined {
  const content = instruction.getArgumentsContent()?.trim();
  if (!content?.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(content);
    return Array.isArray(parsed) && parsed.every(v => typeof v === 'string')
      ? (parsed as string[])
      : undefined;
  } catch {
    return undefined;
  }
}

/** Splits a shell command line into commands at `&&`, `||`, `;` and `|`. */
function commandsOf(words: Word[], heredoc: boolean): Word[][] {
  const commands: Word[][] = [];
  let current: Word[] = [];
  let line = words[0]?.span.start.line;
  const flush = () => {
    if (current.length) commands.push(current);
    current = [];
  };
  for (const word of words) {
    // In a heredoc every line is a command of its own.
    if (heredoc && word.span.start.line !== line) flush();
    line = word.span.start.line;
    if (['&&', '||', ';', '|'].includes(word.value)) {
      flush();
      continue;
    }
    const trailing = /;$/.test(word.value);
    const value = word.value.replace(/^\(+/, '').replace(/[;)]+$/, '');
    if (value) current.push({ value, span: word.span });
    if (trailing) flush();
  }
  flush();
  return commands;
}

const INSTALLS: Array<{ label: string; test: (cmd: string[]) => boolean }> = [
  {
    label: 'npm ci',
    test: c => c[0] === 'npm' && ['ci', 'install', 'i'].includes(c[1]),
  },
  {
    label: 'yarn install',
    test: c => c[0] === 'yarn' && (c.length === 1 || c[1] === 'install'),
  },
  {
    label: 'pnpm install',
    test: c => c[0] === 'pnpm' && ['install', 'i'].includes(c[1]),
  },
  {
    label: 'pip install',
    test: c =>
      (/^(.*\/)?pip3?$/.test(c[0]) && c[1] === 'install') ||
      (/^(.*\/)?python3?$/.test(c[0]) &&
        c[1] === '-m' &&
        c[2] === 'pip' &&
        c[3] === 'install'),
  },
  {
    label: 'poetry install',
    test: c => /^(.*\/)?poetry$/.test(c[0]) && c.includes('install'),
  },
  {
    label: 'go mod download',
    test: c => c[0] === 'go' && c[1] === 'mod' && c[2] === 'download',
  },
  {
    label: 'mvn dependency:go-offline',
    test: c =>
      /^(.*\/)?(mvn|mvnw)$/.test(c[0]) &&
      c.some(w => /^dependency:(go-offline|resolve)$/.test(w)),
  },
  {
    label: 'gradle dependencies',
    test: c =>
      /^(.*\/)?(gradle|gradlew)$/.test(c[0]) && c.includes('dependencies'),
  },
  {
    label: 'bundle install',
    test: c => c[0] === 'bundle' && c[1] === 'install',
  },
  {
    label: 'composer install',
    test: c => c[0] === 'composer' && c[1] === 'install',
  },
];

/** The commands of a RUN, with the prefix words `sudo`, `env X=1` and `VAR=1` dropped. */
function commandWords(command: Word[]): string[] {
  const values = command.map(w => w.value);
  let i = 0;
  while (
    i < values.length &&
    (values[i] === 'sudo' ||
      values[i] === 'env' ||
      /^[A-Za-z_]\w*=/.test(values[i]))
  ) {
    i++;
  }
  return values.slice(i);
}

/** Expands `$NAME` and `${NAME}` from the ARGs before the first FROM; undefined when one has no value. */
function expandInitial(value: string, args: Map<string, string | null>) {
  let unresolved = false;
  const expanded = value.replace(
    /\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/g,
    (_, braced: string | undefined, bare: string | undefined) => {
      const resolved = args.get((braced ?? bare)!);
      if (resolved === undefined || resolved === null) {
        unresolved = true;
        return '';
      }
      return resolved;
    },
  );
  return unresolved ? undefined : expanded;
}

const SECRET_WORDS = new Set([
  'PASSWORD',
  'PASSWD',
  'TOKEN',
  'SECRET',
  'KEY',
  'APIKEY',
  'SECRETKEY',
  'ACCESSKEY',
  'PRIVATEKEY',
  'CREDENTIAL',
  'CREDENTIALS',
]);

/** True when a variable's name says it holds a secret: NPM_TOKEN, dbPassword, API-KEY. */
export function looksLikeSecretName(name: string): boolean {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .some(
      word =>
        SECRET_WORDS.has(word) || /(PASSWORD|PASSWD|TOKEN|SECRET)$/.test(word),
    );
}

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$/i;
const URL_SOURCE = /^(https?|ftp|git):\/\/|^git@/i;

/** A URL as the lint may show it: user and password replaced. */
function withoutCredentials(url: string) {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1…@');
}

function basename(path: string) {
  return path.replace(/\/+$/, '').split('/').pop() ?? '';
}

function isRoot(user: string) {
  const name = user.split(':')[0];
  return name === 'root' || /^0+$/.test(name);
}

function execFormOf(words: Word[]) {
  return `[${words.map(w => JSON.stringify(w.value)).join(', ')}]`;
}

class Linter {
  private readonly problems = new Problems();
  private readonly stages: Stage[] = [];

  constructor(
    private readonly text: string,
    private readonly options: DockerfileLintOptions,
  ) {}

  run(): DockerfileProblem[] {
    const dockerfile = DockerfileParser.parse(this.text);
    const initialArgs = new Map<string, string | null>();
    for (const arg of dockerfile.getInitialARGs()) {
      const property = arg.getProperty();
      if (property) initialArgs.set(property.getName(), property.getValue());
    }

    for (const instruction of dockerfile.getInstructions()) {
      this.instruction(instruction, initialArgs);
    }
    if (!this.stages.length) {
      this.problems.add(
        'no-from',
        'error',
        START,
        'There is no FROM: a Dockerfile starts from a base image, such as FROM node:22.12.0-bookworm-slim.',
      );
      return this.problems.list;
    }
    for (const stage of this.stages) this.stage(stage);
    this.finalStage(this.stages[this.stages.length - 1]);
    return this.problems.list;
  }

  private instruction(
    instruction: Instruction,
    initialArgs: Map<string, string | null>,
  ) {
    const keyword = instruction.getKeyword();
    const span = instruction.getInstructionRange();
    if (!KEYWORDS.has(keyword)) {
      this.problems.add(
        'parse',
        'error',
        span,
        `${instruction.getInstruction()} is not a Dockerfile instruction.`,
      );
      return;
    }
    if (!instruction.getArgumentsContent()?.trim()) {
      this.problems.add(
        'parse',
        'error',
        span,
        `${keyword} has nothing after it: it needs arguments.`,
      );
      return;
    }
    if (keyword === Keyword.FROM) {
      this.from(instruction as From, initialArgs);
      return;
    }
    const stage = this.stages[this.stages.length - 1];
    if (!stage) {
      if (keyword !== Keyword.ARG) {
        this.problems.add(
          'parse',
          'error',
          span,
          `${keyword} comes before the first FROM, where only ARG may stand.`,
        );
      }
    } else {
      stage.instructions.push(instruction);
    }
    this.everywhere(instruction, keyword);
  }

  private from(from: From, initialArgs: Map<string, string | null>) {
    const args = from.getArguments();
    const stageName = from.getBuildStage();
    if (
      !(
        args.length === 1 ||
        (args.length === 3 && args[1].getValue().toUpperCase() === 'AS')
      )
    ) {
      this.problems.add(
        'parse',
        'error',
        from.getArgumentsRange() ?? from.getRange(),
        'FROM takes an image, and optionally AS and a stage name: FROM node:22.12.0-bookworm-slim AS build.',
      );
    }
    const stage: Stage = {
      from,
      name: stageName?.toLowerCase(),
      instructions: [],
    };
    this.stages.push(stage);

    const written = from.getImage();
    const span = from.getImageRange() ?? from.getRange();
    if (!written) return;
    const image = written.includes('$')
      ? expandInitial(written, initialArgs)
      : written;
    // An image named by a build argument without a default cannot be checked here.
    if (image === undefined) return;
    if (image.toLowerCase() === 'scratch') return;
    if (this.stages.some(s => s !== stage && s.name === image.toLowerCase())) {
      return;
    }
    const shown =
      image === written ? `'${written}'` : `'${written}' ('${image}')`;
    const reference = tryParseImageReference(image);
    if (!reference) {
      this.problems.add(
        'parse',
        'error',
        span,
        `${shown} is not an image reference (registry/name:tag, lowercase name).`,
      );
      return;
    }
    if (reference.implicitTag) {
      this.problems.add(
        'base-image-tag',
        'warning',
        span,
        `${shown} names no tag, so it means latest: each build may start from a different image. Pin a version, such as ${reference.repository}:<version>.`,
      );
    } else if (reference.tag === 'latest' && !reference.digest) {
      this.problems.add(
        'base-image-tag',
        'warning',
        span,
        `${shown} uses the tag latest, which moves: each build may start from a different image. Pin a version instead.`,
      );
    }
  }

  /** Checks that hold for an instruction wherever it stands. */
  private everywhere(instruction: Instruction, keyword: string) {
    switch (keyword) {
      case Keyword.RUN:
      case Keyword.CMD:
      case Keyword.ENTRYPOINT:
        this.sudo(instruction);
        if (keyword === Keyword.RUN) this.aptGet(instruction);
        return;
      case Keyword.ENV:
      case Keyword.ARG:
        this.secretNames(
          instruction as Instruction & { getProperties(): Property[] },
          keyword,
        );
        return;
      case Keyword.ADD:
        this.add(instruction);
        return;
      case Keyword.EXPOSE:
        this.exposeSyntax(instruction);
        return;
      default:
    }
  }

  private sudo(instruction: Instruction) {
    for (const word of wordsOf(instruction).words) {
      if (word.value.replace(/^\(+/, '') !== 'sudo') continue;
      this.problems.add(
        'sudo',
        'warning',
        word.span,
        'sudo in a Dockerfile: each instruction already runs as the current USER. Switch with USER root before the step and USER 1000 after it; sudo left in an image lets the service become root.',
      );
    }
  }

  private aptGet(run: Instruction) {
    const { words } = wordsOf(run);
    const heredoc = words[0]?.value.startsWith('<<') ?? false;
    const content = run.getArgumentsContent() ?? '';
    const cleans = /\brm\s+(-\S+\s+)*[^&;|]*\/var\/lib\/apt\/lists/.test(
      content,
    );
    for (const command of commandsOf(words, heredoc)) {
      const values = commandWords(command);
      if (
        !/^(apt-get|apt)$/.test(values[0] ?? '') ||
        !values.includes('install')
      ) {
        continue;
      }
      const at = command.find(w => w.value === values[0])!.span;
      if (
        !values.includes('--no-install-recommends') &&
        !values.some(v => /APT::Install-Recommends=(false|0)/i.test(v))
      ) {
        this.problems.add(
          'apt-get',
          'warning',
          at,
          `${values[0]} install without --no-install-recommends also installs every recommended package, making the image larger than it needs to be.`,
        );
      }
      if (!cleans) {
        this.problems.add(
          'apt-get',
          'warning',
          at,
          `${values[0]} install leaves the package lists in this layer: end the same RUN with rm -rf /var/lib/apt/lists/* (a later RUN cannot make the layer smaller).`,
        );
      }
    }
  }

  private secretNames(
    instruction: Instruction & { getProperties(): Property[] },
    keyword: string,
  ) {
    for (const property of instruction.getProperties()) {
      const name = property.getName();
      if (!looksLikeSecretName(name)) continue;
      this.problems.add(
        'secret-name',
        'warning',
        property.getNameRange(),
        keyword === Keyword.ENV
          ? `ENV ${name} looks like a secret: ENV values are stored in the image, readable by anyone who can pull it. Give the secret to the running service as a secret variable in K2 instead.`
          : `ARG ${name} looks like a secret: build arguments are recorded in the image's history. Pass the secret as a build secret (RUN --mount=type=secret) instead.`,
      );
    }
  }

  private add(add: Instruction) {
    const { words } = wordsOf(add);
    if (words.length < 2) {
      this.problems.add(
        'parse',
        'error',
        add.getArgumentsRange() ?? add.getRange(),
        'ADD needs a source and a destination.',
      );
      return;
    }
    const flags =
      (add as Instruction & { getFlags?: () => Array<{ getName(): string }> })
        .getFlags?.()
        .map(f => f.getName()) ?? [];
    const destination = words[words.length - 1].value;
    for (const source of words.slice(0, -1)) {
      if (URL_SOURCE.test(source.value)) {
        if (!flags.includes('checksum')) {
          this.problems.add(
            'add',
            'warning',
            source.span,
            `ADD downloads ${withoutCredentials(
              source.value,
            )} without checking what it got. Give ADD --checksum=sha256:…, or download in a RUN step that checks a checksum.`,
          );
        }
      } else if (ARCHIVE.test(source.value)) {
        if (basename(destination) === basename(source.value)) {
          this.problems.add(
            'add',
            'warning',
            source.span,
            `ADD unpacks ${source.value}, so ${destination} becomes a directory of its contents, not the archive. Use COPY to copy the archive as it is.`,
          );
        }
      } else {
        this.problems.add(
          'add',
          'warning',
          source.span,
          `ADD of a local file: COPY does the same without ADD's downloading and unpacking. Use COPY.`,
        );
      }
    }
  }

  private exposeSyntax(expose: Instruction) {
    for (const { value, span } of wordsOf(expose).words) {
      if (value.includes('$')) continue;
      const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(value);
      const numbers = match
        ? [match[1], match[2]].filter(Boolean).map(Number)
        : [];
      if (!match || numbers.some(n => n < 1 || n > 65535)) {
        this.problems.add(
          'parse',
          'error',
          span,
          `EXPOSE ${value}: not a port (1 to 65535, optionally /tcp or /udp).`,
        );
      }
    }
  }

  /** Checks within one stage. */
  private stage(stage: Stage) {
    const context = stage.instructions.find(
      instruction =>
        (instruction.getKeyword() === Keyword.COPY ||
          instruction.getKeyword() === Keyword.ADD) &&
        !(
          instruction as Instruction & {
            getFlags(): Array<{ getName(): string }>;
          }
        )
          .getFlags()
          .some(f => f.getName() === 'from') &&
        wordsOf(instruction)
          .words.slice(0, -1)
          .some(w => ['.', './', '*', './*'].includes(w.value)),
    );
    if (!context) return;
    const after = stage.instructions.slice(
      stage.instructions.indexOf(context) + 1,
    );
    for (const run of after.filter(i => i.getKeyword() === Keyword.RUN)) {
      const { words } = wordsOf(run);
      const heredoc = words[0]?.value.startsWith('<<') ?? false;
      for (const command of commandsOf(words, heredoc)) {
        const values = commandWords(command);
        const install = INSTALLS.find(i => i.test(values));
        if (install) {
          this.problems.add(
            'copy-before-install',
            'info',
            context.getRange(),
            `${context.getKeyword()} of the whole build context comes before ${
              install.label
            } (line ${
              run.getRange().start.line + 1
            }), so a change to any file installs every dependency again. Copy the dependency files first, install, then copy the rest.`,
          );
          return;
        }
      }
    }
  }

  /** The instructions that apply to the image: the final stage's, and those of the stages it builds on. */
  private lineage(stage: Stage): Instruction[] {
    const chain: Stage[] = [stage];
    for (;;) {
      const parent = chain[chain.length - 1].from.getImage()?.toLowerCase();
      const base = this.stages.find(
        s =>
          s.name === parent &&
          !chain.includes(s) &&
          this.stages.indexOf(s) < this.stages.indexOf(chain[chain.length - 1]),
      );
      if (!base) break;
      chain.push(base);
    }
    return chain.reverse().flatMap(s => s.instructions);
  }

  private finalStage(stage: Stage) {
    const instructions = this.lineage(stage);
    const fromSpan = stage.from.getInstructionRange();

    const users = instructions.filter(i => i.getKeyword() === Keyword.USER);
    const user = users[users.length - 1];
    if (!user) {
      this.problems.add(
        'root-user',
        'warning',
        fromSpan,
        'The final stage sets no USER, so the service runs as the base image’s user, root in most images. Add USER 1000 after the last RUN.',
      );
    } else {
      const value = user.getArgumentsContent()?.trim() ?? '';
      if (!value.includes('$') && isRoot(value)) {
        this.problems.add(
          'root-user',
          'error',
          user.getRange(),
          `USER ${value} is the last USER, so the service runs as root. Run it as an unprivileged user: USER 1000.`,
        );
      }
    }

    for (const instruction of instructions) {
      const keyword = instruction.getKeyword();
      if (keyword === Keyword.CMD || keyword === Keyword.ENTRYPOINT) {
        const { words, json } = wordsOf(instruction);
        if (!json && words.length) {
          const simple = words.every(w => /^[\w./:=@%+,-]+$/.test(w.value));
          this.problems.add(
            'shell-form',
            'warning',
            instruction.getRange(),
            `${keyword} in shell form runs under /bin/sh -c, which does not pass SIGTERM on: the service is killed at the end of the grace period instead of stopping cleanly. Write it as a JSON array${
              simple ? `: ${keyword} ${execFormOf(words)}` : ''
            }.`,
          );
        }
      }
      if (keyword === Keyword.HEALTHCHECK) {
        const value = instruction.getArgumentsContent()?.trim().toUpperCase();
        if (value !== 'NONE') {
          this.problems.add(
            'healthcheck',
            'info',
            instruction.getRange(),
            'Kubernetes ignores HEALTHCHECK: K2 probes the service’s health path (k2.io/health-path) instead.',
          );
        }
      }
    }

    const port = this.options.port;
    if (port === undefined) return;
    const exposes = instructions.filter(i => i.getKeyword() === Keyword.EXPOSE);
    if (!exposes.length) {
      this.problems.add(
        'expose-port',
        'info',
        fromSpan,
        `The image exposes no port; the service listens on ${port} (k2.io/port), where K2 sends traffic and probes. EXPOSE ${port} says so.`,
      );
      return;
    }
    const exposed = exposes.flatMap(e => wordsOf(e).words.map(w => w.value));
    const covers = exposed.some(value => {
      if (value.includes('$')) return true;
      const match = /^(\d+)(?:-(\d+))?(?:\/tcp)?$/i.exec(value);
      if (!match) return false;
      const low = Number(match[1]);
      const high = match[2] ? Number(match[2]) : low;
      return low <= port && port <= high;
    });
    if (!covers) {
      this.problems.add(
        'expose-port',
        'warning',
        exposes[0].getRange(),
        `EXPOSE ${exposed.join(
          ' ',
        )}, but the service listens on ${port} (k2.io/port), where K2 sends traffic and probes.`,
      );
    }
  }
}

function capped(problems: DockerfileProblem[]): DockerfileProblem[] {
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (problems.length <= MAX_DOCKERFILE_PROBLEMS) return problems;
  const shown = problems.slice(0, MAX_DOCKERFILE_PROBLEMS - 1);
  const rest = problems.slice(MAX_DOCKERFILE_PROBLEMS - 1);
  const severity = rest.reduce<DockerfileProblemSeverity>(
    (worst, p) =>
      SEVERITY_ORDER.indexOf(p.severity) > SEVERITY_ORDER.indexOf(worst)
        ? p.severity
        : worst,
    'info',
  );
  const errors = rest.filter(p => p.severity === 'error').length;
  const first = rest[0];
  shown.push({
    rule: first.rule,
    severity,
    message: `${rest.length} more problems from here on are not listed${
      errors ? `, ${errors} of them errors` : ''
    }.`,
    line: first.line,
    column: first.column,
    endLine: first.endLine,
    endColumn: first.endColumn,
  });
  return shown;
}

/**
 * Reads a Dockerfile with a Dockerfile parser and lists its problems, each at the text
 * it concerns: what stops a K2 build (`error`), what it shows (`warning`), hints
 * (`info`). Any text is answered with problems, never an exception. Runs in the
 * browser as well as in Node.
 */
export function lintDockerfile(
  text: string,
  options: DockerfileLintOptions = {},
): DockerfileProblem[] {
  const problems = new Problems();
  if (typeof text !== 'string') {
    problems.add('parse', 'error', START, 'A Dockerfile is text; this is not.');
    return problems.list;
  }
  if (text.length > MAX_DOCKERFILE_LENGTH) {
    problems.add(
      'parse',
      'error',
      START,
      `The Dockerfile is ${text.length.toLocaleString(
        'en',
      )} characters long; K2 reads Dockerfiles of up to ${MAX_DOCKERFILE_LENGTH.toLocaleString(
        'en',
      )} (1 MiB).`,
    );
    return problems.list;
  }
  const binary = firstNonText(text);
  if (binary) {
    const start = positionOf(text, binary.index);
    problems.add(
      'parse',
      'error',
      { start, end: { line: start.line, character: start.character + 1 } },
      `This is not a text file: it holds ${
        binary.code === 0xfffd
          ? 'bytes that are not UTF-8 text'
          : `the control character U+${binary.code
              .toString(16)
              .toUpperCase()
              .padStart(4, '0')}`
      }.`,
    );
    return problems.list;
  }
  try {
    return capped(new Linter(text, options).run());
  } catch (error) {
    problems.add(
      'parse',
      'error',
      START,
      `K2 could not read this Dockerfile: ${(error as Error).message}`,
    );
    return problems.list;
  }
}
