import { useMemo, useState } from 'react';
import {
  EmptyState,
  InfoCard,
  ResponseErrorPanel,
} from '@backstage/core-components';
import {
  K2PodView,
  K2ServiceRuntime,
  K2ServiceTarget,
} from '@internal/plugin-k2-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { ServiceName } from '../api/K2DeployApi';
import { ago, imageTag } from './format';
import { EventsTable } from './EventsTable';
import { HistoricalContainers } from './HistoricalContainers';
import { InstancePanel } from './InstancePanel';

/** A live pod with where it runs. */
export interface LiveInstance {
  environment: string;
  environmentTitle: string;
  cluster: string;
  pod: K2PodView;
}

const key = (i: { environment: string; cluster: string; pod: string }) =>
  `${i.environment}/${i.cluster}/${i.pod}`;

function status(pod: K2PodView) {
  if (pod.terminating) return 'Terminating';
  if (pod.reason && !pod.ready) return pod.reason;
  return pod.ready ? `${pod.phase}, ready` : `${pod.phase}, not ready`;
}

/**
 * Every instance of the service across its environments and clusters: the live pods
 * (a selected one opens a panel that stays open across updates), containers that no
 * longer exist, and the converged events.
 */
export function InstancesSection(props: {
  service: ServiceName;
  targets: K2ServiceTarget[];
  runtime?: K2ServiceRuntime;
  runtimeError?: Error;
  canManage: boolean;
  onChange(): void;
}) {
  const { targets, runtime } = props;
  const [environment, setEnvironment] = useState('');
  const [cluster, setCluster] = useState('');
  const [selected, setSelected] = useState<{
    environment: string;
    cluster: string;
    pod: string;
  }>();

  const clusters = useMemo(
    () =>
      targets
        .filter(t => !environment || t.environment.name === environment)
        .flatMap(t => t.clusters.map(c => c.name)),
    [targets, environment],
  );

  const all: LiveInstance[] = (runtime?.environments ?? []).flatMap(e =>
    e.clusters.flatMap(c =>
      c.pods.map(pod => ({
        environment: e.name,
        environmentTitle: e.title,
        cluster: c.cluster,
        pod,
      })),
    ),
  );
  const instances = all.filter(
    i =>
      (!environment || i.environment === environment) &&
      (!cluster || i.cluster === cluster),
  );
  // Looked up in every instance, so a filter never closes (or orphans) the panel.
  const open =
    selected && all.find(i => key({ ...i, pod: i.pod.name }) === key(selected));

  return (
    <section aria-label="Instances">
      <InfoCard title="Instances">
        <Box display="flex" style={{ gap: 16 }} mb={2}>
          <FormControl style={{ minWidth: 160 }}>
            <InputLabel id="k2-instances-env">Environment</InputLabel>
            <Select
              labelId="k2-instances-env"
              value={environment}
              onChange={e => {
                setEnvironment(e.target.value as string);
                setCluster('');
              }}
              displayEmpty
            >
              <MenuItem value="">All environments</MenuItem>
              {targets.map(t => (
                <MenuItem key={t.environment.name} value={t.environment.name}>
                  {t.environment.title}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
          <FormControl style={{ minWidth: 160 }}>
            <InputLabel id="k2-instances-cluster">Cluster</InputLabel>
            <Select
              labelId="k2-instances-cluster"
              value={cluster}
              onChange={e => setCluster(e.target.value as string)}
              displayEmpty
            >
              <MenuItem value="">All clusters</MenuItem>
              {clusters.map(c => (
                <MenuItem key={c} value={c}>
                  {c}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
        </Box>

        {props.runtimeError && !runtime && (
          <ResponseErrorPanel error={props.runtimeError} />
        )}
        {runtime && instances.length === 0 && (
          <EmptyState
            missing="data"
            title="No live instances here"
            description="Release the service to this environment to start instances."
          />
        )}
        {instances.length > 0 && (
          <Table size="small" aria-label="Live instances">
            <TableHead>
              <TableRow>
                <TableCell>Instance</TableCell>
                <TableCell>Environment</TableCell>
                <TableCell>Cluster</TableCell>
                <TableCell>Node</TableCell>
                <TableCell>IP</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Restarts</TableCell>
                <TableCell>Image</TableCell>
                <TableCell>Release</TableCell>
                <TableCell>Age</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {instances.map(i => {
                const k = key({ ...i, pod: i.pod.name });
                const isOpen = selected && key(selected) === k;
                return (
                  <TableRow
                    key={k}
                    hover
                    selected={Boolean(isOpen)}
                    style={{ cursor: 'pointer' }}
                    onClick={() =>
                      setSelected(
                        isOpen
                          ? undefined
                          : {
                              environment: i.environment,
                              cluster: i.cluster,
                              pod: i.pod.name,
                            },
                      )
                    }
                  >
                    <TableCell>
                      <Typography
                        variant="body2"
                        component="span"
                        style={{ fontFamily: 'monospace' }}
                      >
                        {i.pod.name}
                      </Typography>
                      {!i.pod.inTraffic && (
                        <Chip
                          size="small"
                          color="secondary"
                          label="Out of traffic"
                          style={{ marginLeft: 8 }}
                        />
                      )}
                    </TableCell>
                    <TableCell>{i.environmentTitle}</TableCell>
                    <TableCell>{i.cluster}</TableCell>
                    <TableCell>{i.pod.node ?? '—'}</TableCell>
                    <TableCell>{i.pod.ip ?? '—'}</TableCell>
                    <TableCell>{status(i.pod)}</TableCell>
                    <TableCell>{i.pod.restarts}</TableCell>
                    <TableCell>
                      {i.pod.images.map(imageTag).join(', ')}
                    </TableCell>
                    <TableCell>
                      {i.pod.release ? `#${i.pod.release}` : '—'}
                    </TableCell>
                    <TableCell>{ago(i.pod.createdAt)}</TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}

        {selected && runtime && (
          <InstancePanel
            service={props.service}
            address={selected}
            instance={open}
            canManage={props.canManage}
            onClose={() => setSelected(undefined)}
            onChange={props.onChange}
          />
        )}

        <Box mt={3}>
          <HistoricalContainers
            key={`${environment}/${cluster}`}
            service={props.service}
            environment={environment || undefined}
            cluster={cluster || undefined}
          />
        </Box>
        <Box mt={3}>
          <Typography variant="h6" component="h3" gutterBottom>
            Events
          </Typography>
          <EventsTable
            service={props.service}
            environment={environment || undefined}
            cluster={cluster || undefined}
            label="Service events"
          />
        </Box>
      </InfoCard>
    </section>
  );
}
