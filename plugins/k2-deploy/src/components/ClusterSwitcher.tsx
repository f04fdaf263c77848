import { FilterSelect } from '@internal/plugin-k2-react';
import { useDeployT } from '../translation';

/** Narrows a view to one cluster; empty for all clusters. */
export function ClusterSwitcher(props: {
  clusters: string[];
  value: string;
  onChange(cluster: string): void;
}) {
  const t = useDeployT();
  return (
    <FilterSelect
      label={t('instances.cluster')}
      value={props.value}
      options={props.clusters.map(c => ({ value: c, label: c }))}
      onChange={props.onChange}
      allLabel={t('instances.allClusters')}
    />
  );
}
