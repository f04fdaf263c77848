import { useMemo, useState } from 'react';
import { K2ServiceTarget } from '@internal/plugin-k2-common';
import {
  EnvironmentSwitcher,
  useEnvironmentParam,
} from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import { ServiceName } from '../api/K2DeployApi';
import { ClusterSwitcher } from './ClusterSwitcher';
import { EventsTable } from './EventsTable';
import { useDeployT } from '../translation';

/** The Events view: the service's converged events, by environment and cluster. */
export function EventsView(props: {
  service: ServiceName;
  targets: K2ServiceTarget[];
}) {
  const tr = useDeployT();
  const [environment, setEnvironment] = useEnvironmentParam();
  const [cluster, setCluster] = useState('');
  const clusters = useMemo(
    () =>
      props.targets
        .filter(t => !environment || t.environment.name === environment)
        .flatMap(t => t.clusters.map(c => c.name)),
    [props.targets, environment],
  );
  return (
    <section aria-label={tr('events.title')}>
      <Box display="flex" style={{ gap: 16 }} mb={1}>
        <EnvironmentSwitcher
          environments={props.targets.map(t => t.environment)}
          value={environment}
          onChange={e => {
            setEnvironment(e);
            setCluster('');
          }}
          allLabel={tr('instances.allEnvironments')}
        />
        <ClusterSwitcher
          clusters={clusters}
          value={cluster}
          onChange={setCluster}
        />
      </Box>
      <EventsTable
        service={props.service}
        environment={environment || undefined}
        cluster={cluster || undefined}
        label={tr('events.serviceEvents')}
      />
    </section>
  );
}
