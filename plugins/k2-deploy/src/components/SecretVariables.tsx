import { useEffect, useId, useRef, useState } from 'react';
import {
  K2_SECRET_MASK,
  K2EnvInput,
  K2EnvVar,
} from '@internal/plugin-k2-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import AddIcon from '@material-ui/icons/Add';
import DeleteIcon from '@material-ui/icons/Delete';
import { DeployT, useDeployT } from '../translation';

/**
 * One row of the release form's secret list. A row the current release already has
 * (`stored`) is kept as it is unless the user replaces it; a new row needs a value.
 */
export interface SecretRow {
  key: number;
  name: string;
  /** The value typed; only ever shown inside the row's password field. */
  value: string;
  /** The current release has this secret: kept without retyping. */
  stored: boolean;
  /** A stored secret the user is giving a new value. */
  replacing: boolean;
}

/** What the user should fix in a row before releasing. */
export interface SecretProblem {
  key: number;
  field: 'name' | 'value';
  message: string;
}

/** The current release's secret variables, each kept until replaced. */
export function secretRowsOf(env: K2EnvVar[] | undefined): SecretRow[] {
  return (env ?? [])
    .filter(e => e.secret)
    .map((e, key) => ({
      key,
      name: e.name,
      value: '',
      stored: true,
      replacing: false,
    }));
}

const isBlank = (row: SecretRow) =>
  !row.stored && !row.name.trim() && !row.value;

/**
 * The rows as a release request gives them: a kept secret without a value (the backend
 * then keeps the stored one), a new or replaced one with its value. Blank rows are
 * skipped.
 */
export function secretEnv(rows: SecretRow[]): K2EnvInput[] {
  return rows
    .filter(row => !isBlank(row))
    .map(row =>
      row.stored && !row.replacing
        ? { name: row.name, secret: true }
        : { name: row.name.trim(), value: row.value, secret: true },
    );
}

/** What keeps the rows from being released, with the plain variables' names. */
export function secretProblems(
  rows: SecretRow[],
  plainNames: string[],
  t: DeployT,
): SecretProblem[] {
  const problems: SecretProblem[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (isBlank(row)) continue;
    const name = row.name.trim();
    const problem = (field: SecretProblem['field'], message: string) =>
      problems.push({ key: row.key, field, message });
    if (!name) {
      problem('name', t('secrets.noName'));
    } else if (seen.has(name)) {
      problem('name', t('secrets.twice', { name }));
    } else if (plainNames.includes(name)) {
      problem('name', t('secrets.plainAndSecret', { name }));
    }
    seen.add(name);
    if (row.stored && !row.replacing) continue;
    if (!row.value) {
      problem(
        'value',
        row.stored
          ? t('secrets.noNewValue', { name })
          : t('secrets.noValue', { name: name || t('secrets.theVariable') }),
      );
    } else if (row.value === K2_SECRET_MASK) {
      problem(
        'value',
        t('secrets.maskedValue', {
          name: name || t('secrets.variable'),
          mask: K2_SECRET_MASK,
        }),
      );
    }
  }
  return problems;
}

function SecretVariableRow(props: {
  id: string;
  row: SecretRow;
  problems: SecretProblem[];
  onChange(row: SecretRow): void;
  onRemove(): void;
}) {
  const t = useDeployT();
  const { id, row, onChange } = props;
  const nameRef = useRef<HTMLInputElement>(null);
  const valueRef = useRef<HTMLInputElement>(null);
  // Where the user goes next: the name of a row just added, the value being replaced.
  useEffect(() => {
    if (!row.stored) nameRef.current?.focus();
  }, [row.stored]);
  useEffect(() => {
    if (row.replacing) valueRef.current?.focus();
  }, [row.replacing]);
  // A row shown again (back from the release preview) shows the value it holds: set
  // as the input's live value, never as an attribute.
  const [typed] = useState(row.value);
  useEffect(() => {
    if (valueRef.current && typed) valueRef.current.value = typed;
  }, [typed]);
  const problem = (field: SecretProblem['field']) =>
    props.problems.find(p => p.field === field)?.message;
  const label = row.name.trim()
    ? t('secrets.row', { name: row.name.trim() })
    : t('secrets.newRow');
  const valueField = (
    <TextField
      id={`${id}-value`}
      label={row.stored ? t('secrets.newValue') : t('secrets.value')}
      type="password"
      // Uncontrolled: React would copy a controlled value into the `value` attribute,
      // where CSS selectors and DOM snapshots could read it.
      defaultValue=""
      inputRef={valueRef}
      autoComplete="new-password"
      fullWidth
      error={Boolean(problem('value'))}
      helperText={problem('value')}
      onChange={e => onChange({ ...row, value: e.target.value })}
      inputProps={{ spellCheck: false }}
    />
  );
  return (
    <Box
      role="group"
      aria-label={label}
      display="flex"
      alignItems="flex-start"
      gridGap={16}
      mb={1}
    >
      <Box flex="1 1 40%">
        <TextField
          id={`${id}-name`}
          label={t('secrets.name')}
          fullWidth
          value={row.name}
          inputRef={nameRef}
          error={Boolean(problem('name'))}
          helperText={problem('name')}
          onChange={e => onChange({ ...row, name: e.target.value })}
          InputProps={{ readOnly: row.stored }}
          inputProps={{ style: { fontFamily: 'monospace' }, spellCheck: false }}
        />
      </Box>
      <Box flex="1 1 40%" minHeight={48} display="flex" alignItems="flex-end">
        {row.stored && !row.replacing ? (
          <Typography variant="body2" style={{ paddingBottom: 6 }}>
            {t('secrets.kept', { mask: K2_SECRET_MASK })}
          </Typography>
        ) : (
          valueField
        )}
      </Box>
      <Box display="flex" alignItems="center" minHeight={48} pt={1}>
        {row.stored && (
          <Button
            size="small"
            onClick={() =>
              onChange({ ...row, replacing: !row.replacing, value: '' })
            }
          >
            {row.replacing ? t('secrets.keep') : t('secrets.replace')}
          </Button>
        )}
        <IconButton
          size="small"
          aria-label={t('secrets.remove', {
            name: row.name.trim() || t('secrets.thisVariable'),
          })}
          onClick={props.onRemove}
        >
          <DeleteIcon fontSize="small" />
        </IconButton>
      </Box>
    </Box>
  );
}

/**
 * The release form's secret variables: one row per secret, with a name and a password
 * field. Secrets the current release has are shown masked and kept unless replaced.
 */
export function SecretVariables(props: {
  rows: SecretRow[];
  /** Shown once the user has tried to release. */
  problems: SecretProblem[];
  /** The Kubernetes Secret the values go to, when known. */
  secretName?: string;
  /** Whether releases wait for approval, so new values wait with them. */
  approval: boolean;
  onChange(rows: SecretRow[]): void;
}) {
  const t = useDeployT();
  const { rows, onChange } = props;
  const id = useId();
  const headingId = `${id}-heading`;
  const update = (key: number, row?: SecretRow) =>
    onChange(
      row
        ? rows.map(r => (r.key === key ? row : r))
        : rows.filter(r => r.key !== key),
    );
  return (
    <Box role="group" aria-labelledby={headingId}>
      <Typography variant="subtitle2" component="h3" id={headingId}>
        {t('secrets.title')}
      </Typography>
      <Typography variant="body2" color="textSecondary" gutterBottom>
        {t(props.approval ? 'secrets.hintApproval' : 'secrets.hint', {
          secret: props.secretName ? (
            <code>{props.secretName}</code>
          ) : (
            t('secrets.ofTheService')
          ),
        })}
      </Typography>
      {rows.map(row => (
        <SecretVariableRow
          key={row.key}
          id={`${id}-${row.key}`}
          row={row}
          problems={props.problems.filter(p => p.key === row.key)}
          onChange={next => update(row.key, next)}
          onRemove={() => update(row.key)}
        />
      ))}
      <Button
        size="small"
        startIcon={<AddIcon />}
        onClick={() =>
          onChange([
            ...rows,
            {
              key: Math.max(-1, ...rows.map(r => r.key)) + 1,
              name: '',
              value: '',
              stored: false,
              replacing: false,
            },
          ])
        }
      >
        {t('secrets.add')}
      </Button>
    </Box>
  );
}
