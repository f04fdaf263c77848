import { useId } from 'react';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { deployMessages } from './messages';

/** Narrows a view to one cluster: a labelled select, empty for all clusters. */
export function ClusterSwitcher(props: {
  clusters: string[];
  value: string;
  onChange(cluster: string): void;
}) {
  const id = useId();
  const m = deployMessages.instances;
  return (
    <TextField
      id={id}
      select
      size="small"
      variant="outlined"
      label={m.cluster}
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      style={{ minWidth: 200 }}
      SelectProps={{ displayEmpty: true }}
      InputLabelProps={{ shrink: true }}
    >
      <MenuItem value="">{m.allClusters}</MenuItem>
      {props.clusters.map(c => (
        <MenuItem key={c} value={c}>
          {c}
        </MenuItem>
      ))}
    </TextField>
  );
}
