import { useCallback, useId } from 'react';
import { useSearchParams } from 'react-router-dom';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { k2ReactMessages } from './messages';

/** An environment as a switcher lists it. */
export interface SwitcherEnvironment {
  name: string;
  title: string;
}

/**
 * The environment a sub-view shows, kept in the URL (`?environment=prod`) so a link
 * points at one environment and a reload keeps it. Empty when none is chosen.
 */
export function useEnvironmentParam(): [string, (name: string) => void] {
  const [params, setParams] = useSearchParams();
  const value = params.get('environment') ?? '';
  const set = useCallback(
    (name: string) =>
      setParams(
        p => {
          const next = new URLSearchParams(p);
          if (name) next.set('environment', name);
          else next.delete('environment');
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  return [value, set];
}

/**
 * Picks the environment a view shows: a labelled select (the label above the value,
 * never over it). With `allLabel` the empty value means every environment.
 */
export function EnvironmentSwitcher(props: {
  environments: SwitcherEnvironment[];
  value: string;
  onChange(name: string): void;
  allLabel?: string;
  label?: string;
}) {
  // With an id, TextField ties its label to the select (aria-labelledby).
  const id = useId();
  return (
    <TextField
      id={id}
      select
      size="small"
      variant="outlined"
      label={props.label ?? k2ReactMessages.environment}
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      style={{ minWidth: 200 }}
      SelectProps={{ displayEmpty: Boolean(props.allLabel) }}
      InputLabelProps={{ shrink: true }}
    >
      {props.allLabel && <MenuItem value="">{props.allLabel}</MenuItem>}
      {props.environments.map(e => (
        <MenuItem key={e.name} value={e.name}>
          {e.title}
        </MenuItem>
      ))}
    </TextField>
  );
}
