import { useId } from 'react';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';

/**
 * A labelled select that narrows a view (environment, cluster, container…): MUI's
 * `TextField select`, its label tied to the select by `id` (so it is the select's
 * accessible name) and always above the value, never drawn over it. With `allLabel`
 * the empty value means "all".
 */
export function FilterSelect(props: {
  label: string;
  value: string;
  options: Array<{ value: string; label: string }>;
  onChange(value: string): void;
  allLabel?: string;
}) {
  const id = useId();
  return (
    <TextField
      id={id}
      select
      size="small"
      variant="outlined"
      label={props.label}
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      style={{ minWidth: 200 }}
      SelectProps={{ displayEmpty: Boolean(props.allLabel) }}
      InputLabelProps={{ shrink: true }}
    >
      {props.allLabel && <MenuItem value="">{props.allLabel}</MenuItem>}
      {props.options.map(o => (
        <MenuItem key={o.value} value={o.value}>
          {o.label}
        </MenuItem>
      ))}
    </TextField>
  );
}
