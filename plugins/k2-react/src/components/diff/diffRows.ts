import { diffArrays } from 'diff';

/**
 * One line of a document to compare: a line of a text file (an Nginx config, a config
 * file), or one field of a structured document (`image: app:1.4.2`).
 */
export interface DiffLine {
  /** What the reader sees. Never a secret value: mask it before it gets here. */
  text: string;
  /**
   * The field the line shows (`env.LOG_LEVEL`). Lines of the two documents with the
   * same key are one field: a different value is one change, shown old beside new.
   * Text documents leave it out; their lines are matched by content.
   */
  key?: string;
  /**
   * What tells two values apart when `text` cannot (a masked secret's version
   * marker); `text` when absent. Compared, never shown.
   */
  identity?: string;
  /** `text` hides the value, so a changed line says "changed" instead of mask vs mask. */
  masked?: boolean;
}

/** A text document (an Nginx config, a config file) as lines to compare. */
export function textLines(text: string): DiffLine[] {
  return text.split(/\r?\n/).map(line => ({ text: line }));
}

/** A line with its 1-based position in its document. */
export type NumberedLine = DiffLine & { number: number };

/** One field or line of the comparison. */
export type DiffRow =
  | { kind: 'same'; older: NumberedLine; newer: NumberedLine }
  /** The same field (key) with another value: one change. */
  | { kind: 'changed'; older: NumberedLine; newer: NumberedLine }
  | { kind: 'removed'; older: NumberedLine }
  | { kind: 'added'; newer: NumberedLine };

/** How many fields or lines changed, were added and were removed: each counted once. */
export interface DiffCounts {
  changed: number;
  added: number;
  removed: number;
}

/** A run of rows to show, or unchanged rows folded away behind "Show N lines". */
export type DiffSegment =
  | { kind: 'rows'; rows: DiffRow[] }
  /** `start` is the index of the first folded row: it names the fold. */
  | { kind: 'gap'; start: number; rows: DiffRow[] };

const identityOf = (line: DiffLine) => line.identity ?? line.text;

/**
 * The rows of a comparison, in document order (an older line before the newer one
 * that replaced it). Keyed documents are aligned by key, so each field is one row
 * whatever its value; text documents by content (`diff`'s longest common
 * subsequence), so a line that differs is a removal and an addition.
 */
export function diffRows(older: DiffLine[], newer: DiffLine[]): DiffRow[] {
  const keyed = [...older, ...newer].some(line => line.key !== undefined);
  const token = (line: DiffLine) =>
    keyed ? `key:${line.key ?? line.text}` : identityOf(line);
  const rows: DiffRow[] = [];
  let i = 0;
  let j = 0;
  const next = (lines: DiffLine[], index: number): NumberedLine => ({
    ...lines[index],
    number: index + 1,
  });
  for (const change of diffArrays(older.map(token), newer.map(token))) {
    for (let k = 0; k < change.value.length; k++) {
      if (change.removed) {
        rows.push({ kind: 'removed', older: next(older, i++) });
      } else if (change.added) {
        rows.push({ kind: 'added', newer: next(newer, j++) });
      } else {
        const o = next(older, i++);
        const n = next(newer, j++);
        rows.push({
          kind: identityOf(o) === identityOf(n) ? 'same' : 'changed',
          older: o,
          newer: n,
        });
      }
    }
  }
  return rows;
}

/** Each changed, added and removed row once. */
export function countChanges(rows: DiffRow[]): DiffCounts {
  const counts: DiffCounts = { changed: 0, added: 0, removed: 0 };
  for (const row of rows) if (row.kind !== 'same') counts[row.kind]++;
  return counts;
}

/**
 * The rows to show: every change with `context` unchanged rows either side; each
 * longer run of unchanged rows is a gap, unless its `start` is in `expanded` (or
 * `expanded` is `'all'`). A single unchanged row is shown rather than folded: "Show 1
 * line" takes the room of the line.
 */
export function foldUnchanged(
  rows: DiffRow[],
  context: number,
  expanded: ReadonlySet<number> | 'all',
): DiffSegment[] {
  const shown = rows.map(row => expanded === 'all' || row.kind !== 'same');
  if (expanded !== 'all') {
    rows.forEach((row, index) => {
      if (row.kind === 'same') return;
      const from = Math.max(0, index - context);
      const to = Math.min(rows.length - 1, index + context);
      for (let k = from; k <= to; k++) shown[k] = true;
    });
  }
  const segments: DiffSegment[] = [];
  let index = 0;
  while (index < rows.length) {
    let end = index;
    while (end < rows.length && shown[end] === shown[index]) end++;
    const run = rows.slice(index, end);
    const fold =
      !shown[index] &&
      run.length > 1 &&
      !(expanded !== 'all' && expanded.has(index));
    const last = segments[segments.length - 1];
    if (fold) {
      segments.push({ kind: 'gap', start: index, rows: run });
    } else if (last?.kind === 'rows') {
      last.rows.push(...run);
    } else {
      segments.push({ kind: 'rows', rows: run });
    }
    index = end;
  }
  return segments;
}
