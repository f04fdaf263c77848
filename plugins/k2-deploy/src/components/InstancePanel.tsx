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
import { useDeployT } from '../translation';
import { usePolling } from './usePolling';
import {
  ContainerShellButtons,
  InstanceShellDialogs,
  ShellOpen,
  useShellPolicy,
} from './shell/InstanceShell';

type Action = 'traffic-off' | 'traffic-on' | 'restart' | 'destroy';

function bytes(value?: number) {
  return value === undefined ? '—' : formatBytes(value);
}

function Usage(props: { service: ServiceName; instance: InstanceName }) {
  const t = useDeployT();
  const api = useApi(k2DeployApiRef);
  const usage = usePolling<K2InstanceUsage>(
    () => api.getUsage(props.service, props.instance),
    () => 10_000,
    [props.service, props.instance],
  );
  if (usage.error && !usage.value) {
    return (
      <Typography color="error" variant="body2" role="alert">
        {t('instance.usageUnavailable', { error: usage.error.message })}
      </Typography>
    );
  }
  if (!usage.value) {
    return <Typography variant="body2">{t('instance.measuring')}</Typography>;
  }
  return (
    <Table size="small" aria-label={t('instance.usage')}>
      <TableHead>
        <TableRow>
          <TableCell>{t('instance.container')}</TableCell>
          <TableCell>{t('instance.cpu')}</TableCell>
          <TableCell>{t('instance.memory')}</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {usage.value.containers.map(c => (
          <TableRow key={c.container}>
            <TableCell>{c.container}</TableCell>
            <TableCell>
              {c.cpuMillicores === undefined ? '—' : `${c.cpuMillicores}m`}
              {c.cpuLimitMillicores
                ? t('instance.of', { limit: `${c.cpuLimitMillicores}m` })
                : ''}
            </TableCell>
            <TableCell>
              {bytes(c.memoryBytes)}
              {c.memoryLimitBytes
                ? t('instance.of', { limit: bytes(c.memoryLimitBytes) })
                : ''}
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
/** Cells of the containers table stay on one line; the table scrolls instead. */
const nowrap = { whiteSpace: 'nowrap' } as const;

export function InstancePanel(props: {
  service: ServiceName;
  address: InstanceName;
  /** The live instance, or undefined once it no longer exists. */
  instance?: LiveInstance;
  canManage: boolean;
  onChange(): void;
}) {
  const t = useDeployT();
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
  const why = canManage ? undefined : t('refused');
  const [shell, setShell] = useState<ShellOpen>();
  // Kept while a terminal is open, so it can say the pod is gone when it goes.
  const shellPolicy = useShellPolicy(
    service,
    address.environment,
    Boolean(pod || shell),
  );
  const shellColumn = shellPolicy?.shell.allowed || shellPolicy?.debug.allowed;

  const run = async (work: Promise<void>) => {
    await work;
    setAction(undefined);
    setConfirmName('');
    props.onChange();
  };

  return (
    <section aria-label={t('instance.label', { pod: address.pod })}>
      <Box>
        {!pod && (
          <Typography variant="body2" role="status">
            {t('instance.gone')}
          </Typography>
        )}
        {pod && (
          <>
            <Box
              display="flex"
              style={{ gap: 8 }}
              my={1}
              role="group"
              aria-label={t('instance.actions', { pod: address.pod })}
            >
              {(
                [
                  pod.inTraffic
                    ? ['traffic-off', t('instance.trafficOff')]
                    : ['traffic-on', t('instance.trafficOn')],
                  ['restart', t('instance.restart')],
                  ['destroy', t('instance.destroy')],
                ] as Array<[Action, string]>
              ).map(([kind, label]) => (
                <ActionButton
                  key={kind}
                  variant="outlined"
                  destructive={kind === 'destroy'}
                  disabledReason={
                    why ??
                    (pod.terminating ? t('blockedBy.terminating') : undefined)
                  }
                  onClick={() => setAction(kind)}
                >
                  {label}
                </ActionButton>
              ))}
            </Box>
            <Typography variant="body2" gutterBottom>
              {pod.inTraffic
                ? t('instance.inTraffic')
                : t('instance.outOfTraffic')}{' '}
              {pod.release
                ? t('instance.createdBy', { number: String(pod.release) })
                : ''}
              {pod.createdAt && <RelativeTime value={pod.createdAt} />}
            </Typography>
            <Tabs
              value={tab}
              onChange={(_, v) => setTab(v)}
              indicatorColor="primary"
            >
              <Tab label={t('instance.containers')} />
              <Tab label={t('instance.logs')} />
              <Tab label={t('events.title')} />
              <Tab label={t('instance.usage')} />
            </Tabs>
            <Box mt={2}>
              {tab === 0 && (
                // Scrolls sideways in the drawer rather than break names or words;
                // focusable, so a keyboard can scroll it too.
                <Box overflow="auto" tabIndex={0}>
                  <Table size="small" aria-label={t('instance.containers')}>
                    <TableHead>
                      <TableRow>
                        <TableCell style={nowrap}>
                          {t('instance.container')}
                        </TableCell>
                        <TableCell style={nowrap}>
                          {t('instances.image')}
                        </TableCell>
                        <TableCell style={nowrap}>
                          {t('instance.state')}
                        </TableCell>
                        <TableCell style={nowrap}>
                          {t('instance.ready')}
                        </TableCell>
                        <TableCell style={nowrap}>
                          {t('instances.restarts')}
                        </TableCell>
                        <TableCell style={nowrap}>
                          {t('instance.lastTermination')}
                        </TableCell>
                        {shellColumn && (
                          <TableCell style={nowrap}>
                            {t('shell.column')}
                          </TableCell>
                        )}
                      </TableRow>
                    </TableHead>
                    <TableBody>
                      {pod.containerStatuses.map(c => (
                        <TableRow key={c.name}>
                          <TableCell style={nowrap}>
                            <Mono>{c.name}</Mono>
                          </TableCell>
                          <TableCell style={nowrap}>
                            <Mono>{c.image}</Mono>
                          </TableCell>
                          <TableCell style={nowrap}>
                            {c.state}
                            {c.reason ? ` (${c.reason})` : ''}
                          </TableCell>
                          <TableCell style={nowrap}>
                            {c.ready ? t('instance.yes') : t('instance.no')}
                          </TableCell>
                          <TableCell style={nowrap}>{c.restarts}</TableCell>
                          <TableCell style={nowrap}>
                            {c.lastTermination ? (
                              <>
                                {t('instance.terminated', {
                                  reason:
                                    c.lastTermination.reason ??
                                    t('instance.terminatedReason'),
                                  code: String(
                                    c.lastTermination.exitCode ?? '?',
                                  ),
                                })}{' '}
                                <RelativeTime
                                  value={c.lastTermination.finishedAt}
                                />
                              </>
                            ) : (
                              '—'
                            )}
                          </TableCell>
                          {shellColumn && (
                            <TableCell style={nowrap}>
                              <ContainerShellButtons
                                policy={shellPolicy}
                                container={c}
                                terminating={pod.terminating}
                                onOpen={setShell}
                              />
                            </TableCell>
                          )}
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                </Box>
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
                  label={t('instance.events', { pod: address.pod })}
                />
              )}
              {tab === 3 && <Usage service={service} instance={address} />}
            </Box>
          </>
        )}
      </Box>

      {shell && shellPolicy && (
        <InstanceShellDialogs
          service={service}
          address={address}
          environmentTitle={instance?.environmentTitle ?? address.environment}
          containers={pod?.containerStatuses.map(c => c.name) ?? []}
          policy={shellPolicy}
          open={shell}
          onOpen={setShell}
        />
      )}
      {action === 'traffic-off' && (
        <ActionDialog
          title={t('instance.trafficOffTitle', { pod: address.pod })}
          confirm={t('instance.trafficOff')}
          onClose={() => setAction(undefined)}
          onConfirm={() => run(api.setTraffic(service, address, false))}
        >
          {t('instance.trafficOffBody')}
        </ActionDialog>
      )}
      {action === 'traffic-on' && (
        <ActionDialog
          title={t('instance.trafficOnTitle', { pod: address.pod })}
          confirm={t('instance.putBack')}
          onClose={() => setAction(undefined)}
          onConfirm={() => run(api.setTraffic(service, address, true))}
        >
          {t('instance.trafficOnBody')}
        </ActionDialog>
      )}
      {action === 'restart' && (
        <ActionDialog
          title={t('instance.restartTitle', { pod: address.pod })}
          confirm={t('overview.restart')}
          onClose={() => setAction(undefined)}
          onConfirm={() => run(api.restartInstance(service, address))}
        >
          {t('instance.restartBody')}
        </ActionDialog>
      )}
      {action === 'destroy' && (
        <ActionDialog
          title={t('instance.destroyTitle', { pod: address.pod })}
          confirm={t('instance.destroyConfirm')}
          destructive
          confirmDisabled={confirmName !== address.pod}
          onClose={() => {
            setAction(undefined);
            setConfirmName('');
          }}
          onConfirm={() => run(api.destroyInstance(service, address))}
        >
          {t('instance.destroyBody')}
          <TextField
            id="k2-destroy-confirm"
            label={t('instance.name')}
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
