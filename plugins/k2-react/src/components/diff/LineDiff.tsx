import { ReactNode, useMemo, useState } from 'react';
import { diffWordsWithSpace } from 'diff';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import ButtonGroup from '@material-ui/core/ButtonGroup';
import Typography from '@material-ui/core/Typography';
import { alpha, makeStyles } from '@material-ui/core/styles';
import UnfoldMoreIcon from '@material-ui/icons/UnfoldMore';
import { k2ReactTranslationRef } from '../../translation';
import { monospaceFontFamily } from '../Mono';
import {
  countChanges,
  DiffLine,
  DiffRow,
  diffRows,
  foldUnchanged,
  NumberedLine,
} from './diffRows';

/** Side by side (older left, newer right) or unified (one column, `−` then `+`). */
export type DiffLayout = 'split' | 'unified';

/** Where the layout a user chose is kept: every diff opens in it. */
export const DIFF_LAYOUT_KEY = 'k2.diff.layout';

function storedLayout(): DiffLayout {
  try {
    return window.localStorage.getItem(DIFF_LAYOUT_KEY) === 'unified'
      ? 'unified'
      : 'split';
  } catch {
    // Storage may be disabled; the default layout still works.
    return 'split';
  }
}

function storeLayout(layout: DiffLayout) {
  try {
    window.localStorage.setItem(DIFF_LAYOUT_KEY, layout);
  } catch {
    // Not remembered, still switched.
  }
}

const useStyles = makeStyles(theme => {
  const removed = alpha(theme.palette.error.main, 0.12);
  const added = alpha(theme.palette.success.main, 0.14);
  return {
    toolbar: {
      display: 'flex',
      flexWrap: 'wrap',
      alignItems: 'center',
      gap: theme.spacing(1),
      marginBottom: theme.spacing(1),
    },
    summary: { flex: 1, minWidth: 'max-content' },
    table: {
      width: '100%',
      tableLayout: 'fixed',
      borderCollapse: 'collapse',
      fontFamily: monospaceFontFamily,
      fontSize: '0.8125rem',
      lineHeight: 1.5,
      color: theme.palette.text.primary,
    },
    header: {
      textAlign: 'left',
      fontWeight: theme.typography.fontWeightMedium as number,
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.palette.divider}`,
      whiteSpace: 'nowrap',
    },
    numberColumn: { width: '5ch' },
    number: {
      padding: theme.spacing(0, 1),
      textAlign: 'right',
      verticalAlign: 'top',
      userSelect: 'none',
    },
    line: {
      padding: theme.spacing(0, 1),
      verticalAlign: 'top',
      whiteSpace: 'pre-wrap',
      // A line longer than its column wraps instead of widening the dialog.
      overflowWrap: 'anywhere',
    },
    removed: { background: removed },
    added: { background: added },
    filler: { background: theme.palette.action.hover },
    marker: {
      display: 'inline-block',
      width: '2ch',
      userSelect: 'none',
    },
    removedWords: {
      background: alpha(theme.palette.error.main, 0.3),
      textDecoration: 'none',
    },
    addedWords: {
      background: alpha(theme.palette.success.main, 0.34),
      textDecoration: 'none',
    },
    maskedChanged: {
      marginLeft: theme.spacing(1),
      fontFamily: theme.typography.fontFamily,
      fontStyle: 'italic',
    },
    gap: {
      background: theme.palette.action.hover,
      padding: 0,
    },
    gapButton: {
      width: '100%',
      justifyContent: 'flex-start',
      textTransform: 'none',
      fontFamily: theme.typography.fontFamily,
    },
    visuallyHidden: {
      position: 'absolute',
      width: 1,
      height: 1,
      overflow: 'hidden',
      clip: 'rect(0 0 0 0)',
      whiteSpace: 'nowrap',
    },
  };
});

type Classes = ReturnType<typeof useStyles>;
type Side = 'same' | 'older' | 'newer';

/** The words of a changed line that differ from its counterpart, marked. */
function LineWords(props: {
  line: NumberedLine;
  side: Side;
  counterpart?: NumberedLine;
  classes: Classes;
}) {
  const { line, side, counterpart, classes } = props;
  if (!counterpart || side === 'same' || line.masked || counterpart.masked) {
    return <>{line.text}</>;
  }
  const [from, to] =
    side === 'older' ? [line, counterpart] : [counterpart, line];
  return (
    <>
      {diffWordsWithSpace(from.text, to.text).map((part, index) => {
        if (side === 'older' && part.added) return null;
        if (side === 'newer' && part.removed) return null;
        if (part.removed)
          return (
            <del key={index} className={classes.removedWords}>
              {part.value}
            </del>
          );
        if (part.added)
          return (
            <ins key={index} className={classes.addedWords}>
              {part.value}
            </ins>
          );
        return part.value;
      })}
    </>
  );
}

/** One line: a marker (`−`, `+`) that screen readers hear as a word, then the text. */
function LineCell(props: {
  line?: NumberedLine;
  side: Side;
  counterpart?: NumberedLine;
  classes: Classes;
  colSpan?: number;
}) {
  const { t } = useTranslationRef(k2ReactTranslationRef);
  const { line, side, counterpart, classes } = props;
  if (!line) {
    return <td className={`${classes.line} ${classes.filler}`} />;
  }
  const tone = {
    same: '',
    older: classes.removed,
    newer: classes.added,
  }[side];
  return (
    <td className={`${classes.line} ${tone}`} colSpan={props.colSpan}>
      <span className={classes.marker} aria-hidden>
        {{ same: ' ', older: '−', newer: '+' }[side]}
      </span>
      {side !== 'same' && (
        <span className={classes.visuallyHidden}>
          {t(side === 'older' ? 'diff.removedLine' : 'diff.addedLine')}{' '}
        </span>
      )}
      <LineWords {...props} line={line} />
      {side === 'newer' && line.masked && counterpart?.text === line.text && (
        <span className={classes.maskedChanged}>{t('diff.maskedChanged')}</span>
      )}
    </td>
  );
}

function NumberCell(props: { number?: number; classes: Classes }) {
  return <td className={props.classes.number}>{props.number ?? ''}</td>;
}

/**
 * Side-by-side rows: a changed field on one row. Removed and added text lines pair up
 * in order, as a rewritten passage reads; removed and added fields each get their own
 * row, since two different fields on one row would read as a rename.
 */
function splitRows(rows: DiffRow[], pairLines: boolean) {
  const out: Array<{
    left?: NumberedLine;
    right?: NumberedLine;
    same: boolean;
    field: boolean;
  }> = [];
  let removed: NumberedLine[] = [];
  let added: NumberedLine[] = [];
  const flush = () => {
    for (let k = 0; k < Math.max(removed.length, added.length); k++) {
      out.push({
        left: removed[k],
        right: added[k],
        same: false,
        field: false,
      });
    }
    removed = [];
    added = [];
  };
  for (const row of rows) {
    if (row.kind === 'removed') removed.push(row.older);
    else if (row.kind === 'added') added.push(row.newer);
    if (!pairLines) flush();
    if (row.kind === 'same' || row.kind === 'changed') {
      flush();
      out.push({
        left: row.older,
        right: row.newer,
        same: row.kind === 'same',
        field: row.kind === 'changed',
      });
    }
  }
  flush();
  return out;
}

/** Unified lines: unchanged once, a changed field as its old line then its new one. */
function unifiedLines(rows: DiffRow[]) {
  return rows.flatMap(
    (
      row,
    ): Array<{
      line: NumberedLine;
      side: Side;
      counterpart?: NumberedLine;
      older?: number;
      newer?: number;
    }> => {
      switch (row.kind) {
        case 'same':
          return [
            {
              line: row.newer,
              side: 'same',
              older: row.older.number,
              newer: row.newer.number,
            },
          ];
        case 'changed':
          return [
            {
              line: row.older,
              side: 'older',
              counterpart: row.newer,
              older: row.older.number,
            },
            {
              line: row.newer,
              side: 'newer',
              counterpart: row.older,
              newer: row.newer.number,
            },
          ];
        case 'removed':
          return [{ line: row.older, side: 'older', older: row.older.number }];
        default:
          return [{ line: row.newer, side: 'newer', newer: row.newer.number }];
      }
    },
  );
}

/**
 * Two versions of a document compared, as Argo CD and GitHub show a diff: by default
 * only the changes, each with `context` unchanged lines around it and the rest folded
 * behind "Show N unchanged lines" (each fold opens on its own, or "All lines" opens
 * them all); side by side or unified, the choice remembered in this browser
 * (`DIFF_LAYOUT_KEY`). The summary counts each changed field once and added and
 * removed lines apart. Keyed lines (fields) pair by key and show no line numbers; text
 * lines carry their line numbers. Removed and added lines are tinted with the theme's
 * error and success colours and marked `−`/`+` (read out as words), so colour is
 * never the only sign.
 *
 * Secret values never reach it: callers pass masked `text` with an `identity` that
 * tells versions apart, and a changed masked line reads "value changed".
 */
export function LineDiff(props: {
  older: DiffLine[];
  newer: DiffLine[];
  /** Names the older side (`#6`, a version, a date). */
  olderLabel: ReactNode;
  newerLabel: ReactNode;
  /** The table's accessible name ("Spec differences"). */
  label: string;
  /** Unchanged lines shown around each change; 3 unless given. */
  context?: number;
}) {
  const { t } = useTranslationRef(k2ReactTranslationRef);
  const classes = useStyles();
  const [layout, setLayout] = useState<DiffLayout>(storedLayout);
  const [allLines, setAllLines] = useState(false);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const rows = useMemo(
    () => diffRows(props.older, props.newer),
    [props.older, props.newer],
  );
  const counts = countChanges(rows);
  const total = counts.changed + counts.added + counts.removed;
  const segments = foldUnchanged(
    rows,
    props.context ?? 3,
    allLines ? 'all' : expanded,
  );
  // Fields (keyed lines) have no line numbers: a field's position means nothing.
  const keyed = [...props.older, ...props.newer].some(
    line => line.key !== undefined,
  );
  const numbered = !keyed;
  const chooseLayout = (next: DiffLayout) => {
    setLayout(next);
    storeLayout(next);
  };
  const columns = (layout === 'split' ? 2 : 1) + (numbered ? 2 : 0);

  const parts = (['changed', 'added', 'removed'] as const)
    .filter(kind => counts[kind] > 0)
    .map(kind => t(`diff.${kind}`, { count: counts[kind] }));

  const gapRow = (start: number, count: number) => (
    <tr key={`gap-${start}`}>
      <td className={classes.gap} colSpan={columns}>
        <Button
          size="small"
          className={classes.gapButton}
          startIcon={<UnfoldMoreIcon />}
          onClick={() => setExpanded(e => new Set([...e, start]))}
        >
          {t('diff.showUnchanged', { count })}
        </Button>
      </td>
    </tr>
  );

  const body = segments.flatMap(segment => {
    if (segment.kind === 'gap') {
      return [gapRow(segment.start, segment.rows.length)];
    }
    if (layout === 'split') {
      return splitRows(segment.rows, !keyed).map(row => (
        <tr key={`${row.left?.number ?? '-'}:${row.right?.number ?? '-'}`}>
          {numbered && (
            <NumberCell number={row.left?.number} classes={classes} />
          )}
          <LineCell
            line={row.left}
            side={row.same ? 'same' : 'older'}
            counterpart={row.field ? row.right : undefined}
            classes={classes}
          />
          {numbered && (
            <NumberCell number={row.right?.number} classes={classes} />
          )}
          <LineCell
            line={row.right}
            side={row.same ? 'same' : 'newer'}
            counterpart={row.field ? row.left : undefined}
            classes={classes}
          />
        </tr>
      ));
    }
    return unifiedLines(segment.rows).map(line => (
      <tr key={`${line.older ?? '-'}:${line.newer ?? '-'}`}>
        {numbered && <NumberCell number={line.older} classes={classes} />}
        {numbered && <NumberCell number={line.newer} classes={classes} />}
        <LineCell
          line={line.line}
          side={line.side}
          counterpart={line.counterpart}
          classes={classes}
        />
      </tr>
    ));
  });

  const numberHeader = (key: string) =>
    numbered ? (
      <th key={key} className={`${classes.header} ${classes.numberColumn}`}>
        <span className={classes.visuallyHidden}>{t('diff.lineNumber')}</span>
      </th>
    ) : null;

  return (
    <Box>
      <div className={classes.toolbar}>
        <Typography variant="body2" className={classes.summary}>
          {total === 0
            ? t('diff.noChanges')
            : t('diff.summary', {
                total: t('diff.changes', { count: total }),
                parts: parts.join(t('diff.separator')),
              })}
        </Typography>
        <ButtonGroup size="small" color="primary" aria-label={t('diff.lines')}>
          <Button
            aria-pressed={!allLines}
            variant={allLines ? 'outlined' : 'contained'}
            onClick={() => {
              setAllLines(false);
              setExpanded(new Set());
            }}
          >
            {t('diff.changesOnly')}
          </Button>
          <Button
            aria-pressed={allLines}
            variant={allLines ? 'contained' : 'outlined'}
            onClick={() => setAllLines(true)}
          >
            {t('diff.allLines')}
          </Button>
        </ButtonGroup>
        <ButtonGroup size="small" color="primary" aria-label={t('diff.layout')}>
          <Button
            aria-pressed={layout === 'split'}
            variant={layout === 'split' ? 'contained' : 'outlined'}
            onClick={() => chooseLayout('split')}
          >
            {t('diff.split')}
          </Button>
          <Button
            aria-pressed={layout === 'unified'}
            variant={layout === 'unified' ? 'contained' : 'outlined'}
            onClick={() => chooseLayout('unified')}
          >
            {t('diff.unified')}
          </Button>
        </ButtonGroup>
      </div>
      <table className={classes.table} aria-label={props.label}>
        <thead>
          {layout === 'split' ? (
            <tr>
              {numberHeader('older-number')}
              <th className={classes.header}>{props.olderLabel}</th>
              {numberHeader('newer-number')}
              <th className={classes.header}>{props.newerLabel}</th>
            </tr>
          ) : (
            <tr>
              {numberHeader('older-number')}
              {numberHeader('newer-number')}
              <th className={classes.header}>
                {props.olderLabel} → {props.newerLabel}
              </th>
            </tr>
          )}
        </thead>
        <tbody>{body}</tbody>
      </table>
    </Box>
  );
}
