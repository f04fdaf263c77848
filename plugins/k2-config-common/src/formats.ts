import { XMLValidator } from 'fast-xml-parser';
import { parseAllDocuments } from 'yaml';

/** How a config file's content is checked (and highlighted in the editor). */
export type K2ConfigFormat =
  | 'yaml'
  | 'json'
  | 'properties'
  | 'xml'
  | 'ini'
  | 'text';

/** Every format, in the order the editor offers them. */
export const K2_CONFIG_FORMATS: readonly K2ConfigFormat[] = [
  'yaml',
  'json',
  'properties',
  'xml',
  'ini',
  'text',
];

/**
 * The first error of a content its format rejects. `line` and `column` are 1-based.
 * The message never quotes more of the content than a single character, so it may go
 * to logs and audit events even for a sensitive file.
 */
export interface K2ConfigFormatError {
  line: number;
  column?: number;
  message: string;
}

/**
 * Bytes of UTF-8 a config file's content may have: a ConfigMap or Secret holds at most
 * 1 MiB in all, and the object's name, labels and the key take some of it.
 */
export const K2_CONFIG_CONTENT_MAX_BYTES = 900 * 1024;

/** Bytes of the content as UTF-8, as the cluster stores it. */
export function configContentBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Checks a content against its format with real parsers: `yaml` (every document of a
 * multi-document file), `JSON.parse`, fast-xml-parser's well-formedness check, and
 * line-oriented checks for properties (what Java's `Properties.load` rejects: a
 * malformed `\uXXXX` escape) and INI (every line a section, a key with `=` or `:`, a
 * `;`/`#` comment, an indented continuation or blank). Plain text is never rejected
 * by its format (its size is checked by the caller, against
 * {@link K2_CONFIG_CONTENT_MAX_BYTES}).
 *
 * @returns the first error, or undefined when the content is well formed
 */
export function checkConfigFormat(
  format: K2ConfigFormat,
  text: string,
): K2ConfigFormatError | undefined {
  switch (format) {
    case 'yaml':
      return checkYaml(text);
    case 'json':
      return checkJson(text);
    case 'properties':
      return checkProperties(text);
    case 'xml':
      return checkXml(text);
    case 'ini':
      return checkIni(text);
    case 'text':
      return undefined;
    default:
      throw new Error(`Unknown config format ${format}`);
  }
}

function checkYaml(text: string): K2ConfigFormatError | undefined {
  for (const document of parseAllDocuments(text)) {
    const [error] = document.errors;
    if (error) {
      const position = error.linePos?.[0] ?? lineAndColumn(text, error.pos[0]);
      return {
        line: position.line,
        column: position.col,
        // The message goes on with the offending lines: they stay out.
        message: error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, ''),
      };
    }
  }
  return undefined;
}

function checkJson(text: string): K2ConfigFormatError | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const raw = (error as Error).message;
    // V8 quotes the whole text after some messages ("Unexpected token 'x', "..." is
    // not valid JSON"): only the message's first clause is kept.
    const message = raw
      .replace(/, (\.\.\.)?".*$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '');
    const at = /at position (\d+)/.exec(raw);
    const offset = at ? Number(at[1]) : jsonErrorOffset(text);
    const { line, col } = lineAndColumn(text, offset);
    return { line, column: col, message };
  }
}

/** Ends the scan of {@link jsonErrorOffset} at the offending character. */
class JsonStop extends Error {
  constructor(readonly offset: number) {
    super(`JSON error at ${offset}`);
  }
}

/**
 * Where the first JSON syntax error is, for the messages of `JSON.parse` that do not
 * say: a scan of the grammar, used only after `JSON.parse` has rejected the text.
 */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const literal = (word: string) => {
    for (const c of word) {
      if (text[i] !== c) fail();
      i++;
    }
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail();
    i += match![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (stop) {
    if (!(stop instanceof JsonStop)) throw stop;
    return Math.min(stop.offset, text.length);
  }
  return text.length;
}

function checkXml(text: string): K2ConfigFormatError | undefined {
  const result = XMLValidator.validate(text);
  if (result === true) return undefined;
  return {
    line: result.err.line,
    column: result.err.col,
    message: result.err.msg,
  };
}

/**
 * Java's `Properties.load`: logical lines joined by a trailing odd backslash, `#` and
 * `!` comments; a bare key, `key=value`, `key:value` and `key value` are all
 * accepted, and the one thing it throws on is a `\u` escape without four hex digits.
 */
function checkProperties(text: string): K2ConfigFormatError | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  let continued = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const start = line.length - line.trimStart().length;
    const comment = !continued && (line[start] === '#' || line[start] === '!');
    if (comment) continue;
    let backslashes = 0;
    for (let i = start; i < line.length; i++) {
      if (line[i] !== '\\') continue;
      if (i === line.length - 1) {
        backslashes = 1;
        break;
      }
      if (
        line[i + 1] === 'u' &&
        !/^[0-9a-fA-F]{4}$/.test(line.slice(i + 2, i + 6))
      ) {
        return {
          line: n + 1,
          column: i + 1,
          message: 'Malformed \\uxxxx encoding: \\u needs four hex digits',
        };
      }
      i++;
    }
    continued = backslashes === 1;
  }
  return undefined;
}

/**
 * INI as most readers take it: `[section]`, `key=value` or `key: value`, `;` and `#`
 * comments, blank lines, and indented continuation lines of a value.
 */
function checkIni(text: string): K2ConfigFormatError | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  let inValue = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const trimmed = line.trim();
    const indent = line.length - line.trimStart().length;
    if (trimmed === '' || trimmed[0] === ';' || trimmed[0] === '#') continue;
    if (indent > 0 && inValue) continue;
    if (trimmed[0] === '[') {
      if (!/^\[[^\][]+\]$/.test(trimmed)) {
        return {
          line: n + 1,
          column: indent + 1,
          message:
            'A section header is [name], with a name and nothing after it',
        };
      }
      inValue = false;
      continue;
    }
    const separator = trimmed.search(/[=:]/);
    if (separator < 0) {
      return {
        line: n + 1,
        column: indent + 1,
        message: 'Expected a [section], key=value or a ; comment',
      };
    }
    if (separator === 0) {
      return {
        line: n + 1,
        column: indent + 1,
        message: 'A key is missing before the =',
      };
    }
    inValue = true;
  }
  return undefined;
}

/** The 1-based line and column of a character offset. */
function lineAndColumn(text: string, offset: number) {
  const before = text.slice(0, offset);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, col: lines[lines.length - 1].length + 1 };
}
