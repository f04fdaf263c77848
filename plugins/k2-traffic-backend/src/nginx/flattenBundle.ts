import type { RenderedFile } from '../database/TrafficStore';

/** Where a line of a flattened config came from. */
export interface LineOrigin {
  file: string;
  line: number;
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const HASH = 35;
const SEMICOLON = 59;
const OPEN = 123;
const CLOSE = 125;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;
const DOLLAR = 36;

/**
 * `content` without its comments, each comment's line kept (empty from the `#` on), when
 * Nginx reads it as a whole number of directives and balanced blocks: it ends outside
 * any directive, quote and block, and never closes a block it did not open. Only then
 * does pasting the file in place of its `include` parse as the include does.
 * Doubtful text (a brace inside a word other than `${...}`) counts as not whole.
 *
 * A comment is what Nginx reads as one: a `#` where a token starts, up to the end of
 * its line; a `#` inside a word or a quoted string is text. Nginx skips comments, so
 * the text parses as `content` does, and its lines are `content`'s lines.
 *
 * @returns undefined when `content` is not whole
 */
export function wholeConfigText(content: string): string | undefined {
  let depth = 0;
  let inDirective = false;
  let i = 0;
  const n = content.length;
  // Text up to `kept` is copied; comments are cut out as they are found.
  let text = '';
  let kept = 0;
  while (i < n) {
    const ch = content.charCodeAt(i);
    if (ch === SPACE || ch === TAB || ch === CR || ch === LF) {
      i++;
    } else if (ch === HASH) {
      const end = content.indexOf('\n', i);
      text += content.slice(kept, i);
      i = end < 0 ? n : end;
      kept = i;
    } else if (ch === SEMICOLON) {
      inDirective = false;
      i++;
    } else if (ch === OPEN) {
      depth++;
      inDirective = false;
      i++;
    } else if (ch === CLOSE) {
      if (inDirective || depth === 0) return undefined;
      depth--;
      i++;
    } else if (ch === DOUBLE_QUOTE || ch === SINGLE_QUOTE) {
      inDirective = true;
      i++;
      while (i < n && content.charCodeAt(i) !== ch) {
        i += content.charCodeAt(i) === BACKSLASH ? 2 : 1;
      }
      if (i >= n) return undefined;
      i++;
    } else {
      // A word: up to whitespace, ';', or a brace that is not part of `${name}`.
      inDirective = true;
      let variable = false;
      while (i < n) {
        const c = content.charCodeAt(i);
        if (c === BACKSLASH) {
          i += 2;
        } else if (c === OPEN && content.charCodeAt(i - 1) === DOLLAR) {
          variable = true;
          i++;
        } else if (c === CLOSE && variable) {
          variable = false;
          i++;
        } else if (c === OPEN || c === CLOSE) {
          return undefined;
        } else if (
          c === SPACE ||
          c === TAB ||
          c === CR ||
          c === LF ||
          c === SEMICOLON
        ) {
          break;
        } else {
          i++;
        }
      }
      if (variable) return undefined;
    }
  }
  if (depth !== 0 || inDirective) return undefined;
  return kept === 0 ? content : text + content.slice(kept);
}

/** Whether Nginx reads `content` as whole directives and blocks (see {@link wholeConfigText}). */
export function isWholeConfig(content: string): boolean {
  return wholeConfigText(content) !== undefined;
}

/** A line that is only an `include` of one path, as K2 renders them. */
const INCLUDE = /^[ \t]*include[ \t]+([^\s;'"{}#]+)[ \t]*;[ \t]*\r?$/gm;

/** Lines `from` (1-based) onwards of `file` start at line `at` of the flat text. */
interface Segment {
  at: number;
  file: string;
  from: number;
}

function countLines(text: string, start: number, end: number): number {
  let lines = 0;
  for (let i = text.indexOf('\n', start); i >= 0 && i < end; ) {
    lines++;
    i = text.indexOf('\n', i + 1);
  }
  return lines;
}

/**
 * One config text equal to `root` with every line `include <path>;` naming a bundle
 * file replaced by that file's lines, recursively, comments cut from each bundle file
 * (see {@link wholeConfigText}), and for each line its file and line number there.
 * Nginx parses it as it parses the included files, so one file can be checked with
 * `nginx -t` instead of thousands.
 *
 * @returns undefined when some included file is not whole or includes itself; then
 *   only the files themselves give Nginx's own verdict
 */
export function flattenBundle(
  root: { path: string; content: string },
  files: RenderedFile[],
):
  | { text: string; origin: (line: number) => LineOrigin | undefined }
  | undefined {
  const byPath = new Map(files.map(f => [f.path, f.content]));
  const chunks: string[] = [];
  const segments: Segment[] = [];
  const whole = new Map<string, string | undefined>();
  const open = new Set<string>();
  // The flat text's next line (1-based); every chunk ends with a newline.
  let line = 1;
  const push = (file: string, from: number, text: string) => {
    if (!text) return;
    segments.push({ at: line, file, from });
    chunks.push(text);
    line += countLines(text, 0, text.length);
  };
  const emit = (file: string, content: string): boolean => {
    open.add(file);
    let body = content;
    if (body && !body.endsWith('\n')) body += '\n';
    let start = 0;
    let startLine = 1;
    const includes = body.includes('include') ? body.matchAll(INCLUDE) : [];
    for (const match of includes) {
      const path = match[1];
      const included = byPath.get(path);
      if (included === undefined) continue;
      if (open.has(path)) return false;
      if (!whole.has(path)) whole.set(path, wholeConfigText(included));
      const text = whole.get(path);
      if (text === undefined) return false;
      push(file, startLine, body.slice(start, match.index));
      startLine += countLines(body, start, match.index!);
      if (!emit(path, text)) return false;
      const end = body.indexOf('\n', match.index!);
      start = end + 1;
      startLine++;
    }
    push(file, startLine, body.slice(start));
    open.delete(file);
    return true;
  };
  if (!emit(root.path, root.content)) return undefined;
  const origin = (at: number): LineOrigin | undefined => {
    if (at < 1 || at >= line) return undefined;
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (segments[mid].at <= at) low = mid;
      else high = mid - 1;
    }
    const segment = segments[low];
    return { file: segment.file, line: segment.from + at - segment.at };
  };
  return { text: chunks.join(''), origin };
}
