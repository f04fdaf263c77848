import { K2Release } from '@internal/plugin-k2-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  table: {
    width: '100%',
    borderCollapse: 'collapse',
    fontFamily: 'monospace',
    fontSize: 13,
  },
  cell: {
    padding: '2px 8px',
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    width: '50%',
  },
  removed: {
    background: theme.palette.type === 'dark' ? '#5c1f24' : '#ffeef0',
  },
  added: { background: theme.palette.type === 'dark' ? '#1d4428' : '#e6ffed' },
}));

/** A spec as `path: value` lines, one per leaf, in a stable order. */
export function specLines(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') {
    return [`${prefix}: ${JSON.stringify(value)}`];
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.keys(value as object)
        .sort()
        .map(k => [k, (value as Record<string, unknown>)[k]] as const);
  if (entries.length === 0)
    return [`${prefix}: ${Array.isArray(value) ? '[]' : '{}'}`];
  return entries.flatMap(([k, v]) =>
    specLines(v, prefix ? `${prefix}.${k}` : k),
  );
}

type Row = { left?: string; right?: string; changed: boolean };

/** Side-by-side rows of two line lists, aligned on their longest common subsequence. */
export function diffRows(a: string[], b: string[]): Row[] {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () =>
    new Array<number>(m + 1).fill(0),
  );
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] =
        a[i] === b[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const rows: Row[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      rows.push({ left: a[i++], right: b[j++], changed: false });
    } else if (j < m && (i === n || lcs[i][j + 1] > lcs[i + 1][j])) {
      rows.push({ right: b[j++], changed: true });
    } else {
      rows.push({ left: a[i++], changed: true });
    }
  }
  // Pair a removal with the addition that follows it, so a changed value sits on one row.
  const paired: Row[] = [];
  for (const row of rows) {
    const last = paired[paired.length - 1];
    if (
      row.right !== undefined &&
      row.left === undefined &&
      last?.changed &&
      last.right === undefined
    ) {
      last.right = row.right;
    } else {
      paired.push({ ...row });
    }
  }
  return paired;
}

/** Two releases' full specs side by side, changes highlighted. */
export function SpecDiff(props: {
  older: K2Release;
  newer: K2Release;
  onClose(): void;
}) {
  const classes = useStyles();
  const { older, newer } = props;
  const rows = diffRows(specLines(older.spec), specLines(newer.spec));
  const changes = rows.filter(r => r.changed).length;
  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="lg">
      <DialogTitle>
        Release #{older.number} → #{newer.number}: {changes} change
        {changes === 1 ? '' : 's'}
      </DialogTitle>
      <DialogContent>
        <table className={classes.table} aria-label="Spec differences">
          <thead>
            <tr>
              <th className={classes.cell}>#{older.number}</th>
              <th className={classes.cell}>#{newer.number}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, k) => (
              <tr key={k}>
                <td
                  className={`${classes.cell} ${
                    row.changed && row.left !== undefined ? classes.removed : ''
                  }`}
                >
                  {row.left ?? ''}
                </td>
                <td
                  className={`${classes.cell} ${
                    row.changed && row.right !== undefined ? classes.added : ''
                  }`}
                >
                  {row.right ?? ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
