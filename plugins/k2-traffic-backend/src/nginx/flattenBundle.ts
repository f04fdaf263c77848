import type { RenderedFile } from '../database/TrafficStore';

/** Where a line of a flattened config came from. */
export interface LineOrigin {
  file: string;
  line: number;
}

/**
 * Whether Nginx reads `content` as a whole number of directives and balanced blocks:
 * it ends outside any directive, quote and block, and never closes a block it did not
 * open. Only then does pasting the file in place of its `include` parse as the include
 * does. Doubtful text (a brace inside a word other than `${...}`) counts as not whole.
 */
export function isWholeConfig(content: string): boolean {
  let depth = 0;
  let inDirective = false;
  let i = 0;
  const n = content.length;
  while (i < n) {
    const ch = content[i];
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      i++;
    } else if (ch === '#') {
      const end = content.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (ch === ';') {
      inDirective = false;
      i++;
    } else if (ch === '{') {
      depth++;
      inDirective = false;
      i++;
    } else if (ch === '}') {
      if (inDirective || depth === 0) return false;
      depth--;
      i++;
    } else if (ch === '"' || ch === "'") {
      inDirective = true;
      i++;
      while (i < n && content[i] !== ch) i += content[i] === '\\' ? 2 : 1;
      if (i >= n) return false;
      i++;
    } else {
      // A word: up to whitespace, ';', or a brace that is not part of `${name}`.
      inDirective = true;
      let variable = false;
      while (i < n) {
        const c = content[i];
        if (c === '\\') {
          i += 2;
        } else if (c === '{' && content[i - 1] === '$') {
          variable = true;
          i++;
        } else if (c === '}' && variable) {
          variable = false;
          i++;
        } else if (c === '{' || c === '}') {
          return false;
        } else if (
          c === ' ' ||
          c === '\t' ||
          c === '\r' ||
          c === '\n' ||
          c === ';'
        ) {
          break;
        } else {
          i++;
        }
      }
      if (variable) return false;
    }
  }
  return depth === 0 && !inDirective;
}

const INCLUDE = /^\s*include\s+([^\s;'"{}#]+)\s*;\s*$/;

/**
 * One config text equal to `root` with every line `include <path>;` naming a bundle
 * file replaced by that file's lines, recursively, and for each line its file and line
 * number there. Nginx parses it as it parses the included files, so one file can be
 * checked with `nginx -t` instead of thousands.
 *
 * @returns undefined when some included file is not whole (see {@link isWholeConfig})
 *   or includes itself; then only the files themselves give Nginx's own verdict
 */
export function flattenBundle(
  root: { path: string; content: string },
  files: RenderedFile[],
): { text: string; origins: LineOrigin[] } | undefined {
  const byPath = new Map(files.map(f => [f.path, f.content]));
  const lines: string[] = [];
  const origins: LineOrigin[] = [];
  const whole = new Map<string, boolean>();
  const open = new Set<string>();
  const emit = (file: string, content: string): boolean => {
    open.add(file);
    const own = content.split('\n');
    if (own[own.length - 1] === '') own.pop();
    for (let n = 0; n < own.length; n++) {
      const line = own[n];
      const match = line.includes('include') ? INCLUDE.exec(line) : null;
      const included = match ? byPath.get(match[1]) : undefined;
      if (match && included !== undefined) {
        const path = match[1];
        if (open.has(path)) return false;
        let ok = whole.get(path);
        if (ok === undefined) {
          ok = isWholeConfig(included);
          whole.set(path, ok);
        }
        if (!ok || !emit(path, included)) return false;
      } else {
        lines.push(line);
        origins.push({ file, line: n + 1 });
      }
    }
    open.delete(file);
    return true;
  };
  if (!emit(root.path, root.content)) return undefined;
  return { text: `${lines.join('\n')}\n`, origins };
}
