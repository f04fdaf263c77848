import { FilterSelect } from '@internal/plugin-k2-react';
import { deployMessages } from './messages';

/** Narrows a view to one cluster; empty for all clusters. */
export function ClusterSwitcher(props: {
  clusters: string[];
  value: string;
  onChange(cluster: string): void;
}) {
  const m = deployMessages.instances;
  return (
    <FilterSelect
      label={m.cluster}
      value={props.value}
      options={props.clusters.map(c => ({ value: c, label: c }))}
      onChange={props.onChange}
      allLabel={m.allClusters}
    />
  );
}
