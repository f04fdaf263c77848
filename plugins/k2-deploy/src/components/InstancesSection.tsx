import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
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
import {
  DetailDrawer,
  EnvironmentSwitcher,
  Mono,
  RelativeTime,
  useEnvironmentParam,
} from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { ServiceName } from '../api/K2DeployApi';
import { ClusterSwitcher } from './ClusterSwitcher';
import { imageTag } from './format';
import { HistoricalContainers } from './HistoricalContainers';
import { InstancePanel } from './InstancePanel';
import { DeployT, useDeployT } from '../translation';

/** A live pod with where it runs. */
export interface LiveInstance {
  environment: string;
  environmentTitle: string;
  cluster: string;
  pod: K2PodView;
}

const key = (i: { environment: string; cluster: string; pod: string }) =>
  `${i.environment}/${i.cluster}/${i.pod}`;

/** `?instance=<environment>/<cluster>/<pod>`: the instance whose drawer is open. */
function parseKey(value: string | null) {
  const [environment, cluster, pod] = value?.split('/') ?? [];
  return environment && cluster && pod
    ? { environment, cluster, pod }
    : undefined;
}

const nowrap = { whiteSpace: 'nowrap' } as const;

/** A pod's state in words; the phase and reason as Kubernetes reports them. */
function status(pod: K2PodView, t: DeployT) {
  if (pod.terminating) return t('instances.terminating');
  if (pod.reason && !pod.ready) return pod.reason;
  return t(pod.ready ? 'instances.ready' : 'instances.notReady', {
    phase: pod.phase,
  });
}

/**
 * The Instances view: every instance of the service across its environments and
 * clusters — the live pods (a selected one opens in a side drawer that stays open
 * across updates; `?instance=<environment>/<cluster>/<pod>` in the URL, so a link
 * opens it) — and the containers that no longer exist. The environment filter is in
 * the URL too (`?environment=`).
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
  const [environment, setEnvironment] = useEnvironmentParam();
  const [cluster, setCluster] = useState('');
  const [params, setParams] = useSearchParams();
  const selected = parseKey(params.get('instance'));
  const setSelected = (
    instance: { environment: string; cluster: string; pod: string } | undefined,
  ) =>
    setParams(p => {
      const next = new URLSearchParams(p);
      if (instance) next.set('instance', key(instance));
      else next.delete('instance');
      return next;
    });
  const tr = useDeployT();

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
    <section aria-label={tr('views.instances')}>
      <InfoCard title={tr('views.instances')}>
        <Box display="flex" style={{ gap: 16 }} mb={2}>
          <EnvironmentSwitcher
            environments={targets.map(t => t.environment)}
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

        {props.runtimeError && !runtime && (
          <ResponseErrorPanel error={props.runtimeError} />
        )}
        {runtime && instances.length === 0 && (
          <EmptyState
            missing="data"
            title={tr('instances.empty')}
            description={tr('instances.emptyNext')}
          />
        )}
        {instances.length > 0 && (
          // Wide tables scroll sideways in their card rather than break names;
          // focusable, so a keyboard can scroll them too.
          <Box overflow="auto" tabIndex={0}>
            <Table size="small" aria-label={tr('instances.live')}>
              <TableHead>
                <TableRow>
                  {(
                    [
                      'instances.instance',
                      'instances.environment',
                      'instances.cluster',
                      'instances.node',
                      'instances.ip',
                      'instances.status',
                      'instances.restarts',
                      'instances.image',
                      'instances.release',
                      'instances.age',
                    ] as const
                  ).map(column => (
                    <TableCell
                      key={column}
                      style={nowrap}
                      align={
                        column === 'instances.restarts' ? 'right' : undefined
                      }
                    >
                      {tr(column)}
                    </TableCell>
                  ))}
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
                      <TableCell style={nowrap}>
                        <Mono>{i.pod.name}</Mono>
                        {i.pod.track === 'canary' && (
                          <Chip
                            size="small"
                            color="secondary"
                            label={tr('instances.canary')}
                            style={{ marginLeft: 8 }}
                          />
                        )}
                        {!i.pod.inTraffic && (
                          <Chip
                            size="small"
                            variant="outlined"
                            label={tr('instances.outOfTraffic')}
                            style={{ marginLeft: 8 }}
                          />
                        )}
                      </TableCell>
                      <TableCell style={nowrap}>{i.environmentTitle}</TableCell>
                      <TableCell>
                        <Mono>{i.cluster}</Mono>
                      </TableCell>
                      <TableCell>
                        <Mono>{i.pod.node ?? '—'}</Mono>
                      </TableCell>
                      <TableCell>
                        <Mono>{i.pod.ip ?? '—'}</Mono>
                      </TableCell>
                      <TableCell style={nowrap}>{status(i.pod, tr)}</TableCell>
                      <TableCell align="right">{i.pod.restarts}</TableCell>
                      <TableCell>
                        <Mono title={i.pod.images.join(', ')}>
                          {i.pod.images.map(imageTag).join(', ')}
                        </Mono>
                      </TableCell>
                      <TableCell style={nowrap}>
                        {i.pod.release ? `#${i.pod.release}` : '—'}
                      </TableCell>
                      <TableCell>
                        <RelativeTime value={i.pod.createdAt} />
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </Box>
        )}

        <DetailDrawer
          open={Boolean(selected && runtime)}
          title={<Mono>{selected?.pod}</Mono>}
          subtitle={
            selected &&
            [
              open?.environmentTitle ?? selected.environment,
              selected.cluster,
              open?.pod.node,
              open?.pod.ip,
            ]
              .filter(Boolean)
              .join(' · ')
          }
          closeLabel={tr('instances.close')}
          onClose={() => setSelected(undefined)}
        >
          {selected && runtime && (
            <InstancePanel
              service={props.service}
              address={selected}
              instance={open}
              canManage={props.canManage}
              onChange={props.onChange}
            />
          )}
        </DetailDrawer>

        <Box mt={3}>
          <HistoricalContainers
            key={`${environment}/${cluster}`}
            service={props.service}
            environment={environment || undefined}
            cluster={cluster || undefined}
          />
        </Box>
      </InfoCard>
    </section>
  );
}
