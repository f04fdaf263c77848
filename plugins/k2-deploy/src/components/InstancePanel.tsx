import { useMemo, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { formatBytes, K2InstanceUsage } from '@internal/plugin-k2-common';
import Box from '@material-ui/core/Box';
import Tab from '@material-ui/core/Tab';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tabs from '@material-ui/core/Tabs';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  ActionButton,
  ActionDialog,
  Mono,
  RelativeTime,
} from '@internal/plugin-k2-react';
import { InstanceName, k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { EventsTable } from './EventsTable';
import { LiveInstance } from './InstancesSection';
import { LogViewer } from './LogViewer';
import { deployMessages } from './messages';
import { usePolling } from './usePolling';

type Action = 'traffic-off' | 'traffic-on' | 'restart' | 'destroy';

function bytes(value?: number) {
  return value === undefined ? '—' : formatBytes(value);
}

function Usage(props: { service: ServiceName; instance: InstanceName }) {
  const api = useApi(k2DeployApiRef);
  const usage = usePolling<K2InstanceUsage>(
    () => api.getUsage(props.service, props.instance),
    () => 10_000,
    [props.service, props.instance],
  );
  if (usage.error && !usage.value) {
    return (
      <Typography color="error" variant="body2" role="alert">
        Usage is not available: {usage.error.message}
      </Typography>
    );
  }
  if (!usage.value) {
    return <Typography variant="body2">Measuring…</Typography>;
  }
  return (
    <Table size="small" aria-label="Usage">
      <TableHead>
        <TableRow>
          <TableCell>Container</TableCell>
          <TableCell>CPU</TableCell>
          <TableCell>Memory (usage − cache)</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {usage.value.containers.map(c => (
          <TableRow key={c.container}>
            <TableCell>{c.container}</TableCell>
            <TableCell>
              {c.cpuMillicores === undefined ? '—' : `${c.cpuMillicores}m`}
              {c.cpuLimitMillicores ? ` of ${c.cpuLimitMillicores}m` : ''}
            </TableCell>
            <TableCell>
              {bytes(c.memoryBytes)}
              {c.memoryLimitBytes ? ` of ${bytes(c.memoryLimitBytes)}` : ''}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * One instance, opened from the live list (in its side drawer): its containers, logs,
 * events and usage, and the actions on it alone. It stays open while the list
 * updates; when the instance is gone, it says so.
 */
export function InstancePanel(props: {
  service: ServiceName;
  address: InstanceName;
  /** The live instance, or undefined once it no longer exists. */
  instance?: LiveInstance;
  canManage: boolean;
  onChange(): void;
}) {
  const api = useApi(k2DeployApiRef);
  const { service, instance, canManage } = props;
  const [tab, setTab] = useState(0);
  const [action, setAction] = useState<Action>();
  const [confirmName, setConfirmName] = useState('');
  const { environment, cluster, pod: podName } = props.address;
  // Stable while the list refreshes, so open logs keep streaming.
  const address = useMemo(
    () => ({ environment, cluster, pod: podName }),
    [environment, cluster, podName],
  );
  const pod = instance?.pod;
  const why = canManage ? undefined : deployMessages.refused;

  const run = async (work: Promise<void>) => {
    await work;
    setAction(undefined);
    setConfirmName('');
    props.onChange();
  };

  return (
    <section aria-label={`Instance ${address.pod}`}>
      <Box>
        {!pod && (
          <Typography variant="body2" role="status">
            This instance no longer exists; Historical containers on the
            Instances view tell how it ended.
          </Typography>
        )}
        {pod && (
          <>
            <Box
              display="flex"
              style={{ gap: 8 }}
              my={1}
              role="group"
              aria-label={`Actions on ${address.pod}`}
            >
              {(
                [
                  pod.inTraffic
                    ? ['traffic-off', 'Take out of traffic']
                    : ['traffic-on', 'Put back into traffic'],
                  ['restart', 'Restart instance'],
                  ['destroy', 'Destroy instance'],
                ] as Array<[Action, string]>
              ).map(([kind, label]) => (
                <ActionButton
                  key={kind}
                  variant="outlined"
                  destructive={kind === 'destroy'}
                  disabledReason={
                    why ??
                    (pod.terminating
                      ? deployMessages.blockedBy.terminating
                      : undefined)
                  }
                  onClick={() => setAction(kind)}
                >
                  {label}
                </ActionButton>
              ))}
            </Box>
            <Typography variant="body2" gutterBottom>
              {pod.inTraffic
                ? 'Receives traffic.'
                : 'Out of traffic: the Service does not send it requests; it keeps running for diagnosis.'}{' '}
              {pod.release ? `Created by release #${pod.release} ` : ''}
              {pod.createdAt && <RelativeTime value={pod.createdAt} />}
            </Typography>
            <Tabs
              value={tab}
              onChange={(_, v) => setTab(v)}
              indicatorColor="primary"
            >
              <Tab label="Containers" />
              <Tab label="Logs" />
              <Tab label="Events" />
              <Tab label="Usage" />
            </Tabs>
            <Box mt={2}>
              {tab === 0 && (
                <Table size="small" aria-label="Containers">
                  <TableHead>
                    <TableRow>
                      <TableCell>Container</TableCell>
                      <TableCell>Image</TableCell>
                      <TableCell>State</TableCell>
                      <TableCell>Ready</TableCell>
                      <TableCell>Restarts</TableCell>
                      <TableCell>Last termination</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {pod.containerStatuses.map(c => (
                      <TableRow key={c.name}>
                        <TableCell>
                          <Mono>{c.name}</Mono>
                        </TableCell>
                        <TableCell>
                          <Mono>{c.image}</Mono>
                        </TableCell>
                        <TableCell>
                          {c.state}
                          {c.reason ? ` (${c.reason})` : ''}
                        </TableCell>
                        <TableCell>{c.ready ? 'yes' : 'no'}</TableCell>
                        <TableCell>{c.restarts}</TableCell>
                        <TableCell>
                          {c.lastTermination ? (
                            <>
                              {`${
                                c.lastTermination.reason ?? 'Terminated'
                              } (exit ${c.lastTermination.exitCode ?? '?'}) `}
                              <RelativeTime
                                value={c.lastTermination.finishedAt}
                              />
                            </>
                          ) : (
                            '—'
                          )}
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
              {tab === 1 && (
                <LogViewer
                  service={service}
                  instance={address}
                  containers={pod.containerStatuses.map(c => ({
                    name: c.name,
                    hasPrevious: Boolean(c.lastTermination),
                  }))}
                />
              )}
              {tab === 2 && (
                <EventsTable
                  service={service}
                  environment={address.environment}
                  cluster={address.cluster}
                  pod={address.pod}
                  label={`Events of ${address.pod}`}
                />
              )}
              {tab === 3 && <Usage service={service} instance={address} />}
            </Box>
          </>
        )}
      </Box>

      {action === 'traffic-off' && (
        <ActionDialog
          title={`Take ${address.pod} out of traffic?`}
          confirm="Take out of traffic"
          onClose={() => setAction(undefined)}
          onConfirm={() => run(api.setTraffic(service, address, false))}
        >
          The Service stops sending it requests; it keeps running, with its
          logs, for diagnosis. The other instances take its share.
        </ActionDialog>
      )}
      {action === 'traffic-on' && (
        <ActionDialog
          title={`Put ${address.pod} back into traffic?`}
          confirm="Put back"
          onClose={() => setAction(undefined)}
          onConfirm={() => run(api.setTraffic(service, address, true))}
        >
          The Service sends it requests again as soon as it is ready.
        </ActionDialog>
      )}
      {action === 'restart' && (
        <ActionDialog
          title={`Restart ${address.pod}?`}
          confirm="Restart"
          onClose={() => setAction(undefined)}
          onConfirm={() => run(api.restartInstance(service, address))}
        >
          It drains and stops; a new instance starts in its place. The others
          keep serving.
        </ActionDialog>
      )}
      {action === 'destroy' && (
        <ActionDialog
          title={`Destroy ${address.pod}?`}
          confirm="Destroy"
          destructive
          confirmDisabled={confirmName !== address.pod}
          onClose={() => {
            setAction(undefined);
            setConfirmName('');
          }}
          onConfirm={() => run(api.destroyInstance(service, address))}
        >
          It is killed at once, without draining requests in flight. A new
          instance starts in its place. Type the instance name to confirm.
          <TextField
            id="k2-destroy-confirm"
            label="Instance name"
            value={confirmName}
            onChange={e => setConfirmName(e.target.value)}
            fullWidth
            margin="normal"
          />
        </ActionDialog>
      )}
    </section>
  );
}
