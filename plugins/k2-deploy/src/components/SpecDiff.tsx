import { useState } from 'react';
import { diffArrays } from 'diff';
import { K2Release } from '@internal/plugin-k2-common';
import Button from '@material-ui/core/Button';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Switch from '@material-ui/core/Switch';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import { makeStyles } from '@material-ui/core/styles';
import { useDeployT } from '../translation';

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

const pathOf = (line: string) => line.slice(0, line.indexOf(': '));

/**
 * Side-by-side rows of two line lists, aligned by `diff`'s array diff. Within a changed
 * block, a removed and an added line with the same path share a row: old left, new right.
 */
export function diffRows(a: string[], b: string[]): Row[] {
  const rows: Row[] = [];
  let removed: string[] = [];
  const pair = (added: string[]) => {
    let i = 0;
    let j = 0;
    while (i < removed.length || j < added.length) {
      const left = removed[i];
      const right = added[j];
      if (
        left !== undefined &&
        right !== undefined &&
        pathOf(left) === pathOf(right)
      ) {
        rows.push({ left, right, changed: true });
        i++;
        j++;
      } else if (
        right !== undefined &&
        (left === undefined ||
          added.slice(j + 1).some(l => pathOf(l) === pathOf(left)))
      ) {
        // The removed line pairs with a later addition: this one comes first.
        rows.push({ right, changed: true });
        j++;
      } else {
        rows.push({ left, changed: true });
        i++;
      }
    }
    removed = [];
  };
  for (const change of diffArrays(a, b)) {
    if (change.removed) {
      removed.push(...change.value);
    } else if (change.added) {
      pair(change.value);
    } else {
      pair([]);
      rows.push(
        ...change.value.map(line => ({
          left: line,
          right: line,
          changed: false,
        })),
      );
    }
  }
  pair([]);
  return rows;
}

/** Two releases' full specs side by side, changes highlighted. */
export function SpecDiff(props: {
  older: K2Release;
  newer: K2Release;
  onClose(): void;
}) {
  const t = useDeployT();
  const classes = useStyles();
  const { older, newer } = props;
  const [changedOnly, setChangedOnly] = useState(false);
  const rows = diffRows(specLines(older.spec), specLines(newer.spec));
  const changes = rows.filter(r => r.changed).length;
  const shown = changedOnly ? rows.filter(r => r.changed) : rows;
  return (
    <Dialog open onClose={props.onClose} fullWidth maxWidth="lg">
      <DialogTitle>
        {t('diff.title', {
          older: String(older.number),
          newer: String(newer.number),
          count: changes,
        })}
      </DialogTitle>
      <DialogContent>
        <table className={classes.table} aria-label={t('diff.label')}>
          <thead>
            <tr>
              <th className={classes.cell}>#{older.number}</th>
              <th className={classes.cell}>#{newer.number}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row, k) => (
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
        <FormControlLabel
          control={
            <Switch
              checked={changedOnly}
              onChange={e => setChangedOnly(e.target.checked)}
              color="primary"
            />
          }
          label={t('diff.changedOnly')}
        />
        <Button onClick={props.onClose}>{t('diff.close')}</Button>
      </DialogActions>
    </Dialog>
  );
}
