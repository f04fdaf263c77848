import { useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Switch from '@material-ui/core/Switch';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { Mono, RelativeTime, ViewState } from '@internal/plugin-k2-react';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { useDeployT } from '../translation';
import { useLiveRefresh } from './useLiveRefresh';

/**
 * Kubernetes events of a service (or one instance), converged: one row per object
 * and reason with the total count and first and last seen.
 */
export function EventsTable(props: {
  service: ServiceName;
  environment?: string;
  cluster?: string;
  pod?: string;
  label: string;
}) {
  const t = useDeployT();
  const api = useApi(k2DeployApiRef);
  const [warningsOnly, setWarningsOnly] = useState(!props.pod);
  const { service, environment, cluster, pod } = props;
  const events = useLiveRefresh(
    () => api.getEvents(service, { environment, cluster, pod, warningsOnly }),
    { service, environment, intervalMs: () => 10_000 },
    [service.namespace, service.name, environment, cluster, pod, warningsOnly],
  );
  return (
    <>
      <FormControlLabel
        control={
          <Switch
            checked={warningsOnly}
            onChange={e => setWarningsOnly(e.target.checked)}
            color="primary"
          />
        }
        label={t('events.warningsOnly')}
      />
      <ViewState
        value={events.value}
        error={events.error}
        isEmpty={v => v.items.length === 0}
        emptyTitle={t(warningsOnly ? 'events.noWarnings' : 'events.noEvents')}
        inline
      >
        {value => (
          // Wide tables scroll sideways in their card rather than break names;
          // focusable, so a keyboard can scroll them too.
          <Box overflow="auto" tabIndex={0}>
            <Table size="small" aria-label={props.label}>
              <TableHead>
                <TableRow>
                  {(
                    [
                      'events.type',
                      ...(pod ? [] : ['events.object' as const]),
                      'events.cluster',
                      'events.reason',
                      'events.message',
                      'events.count',
                      'events.firstSeen',
                      'events.lastSeen',
                    ] as const
                  ).map(key => (
                    <TableCell
                      key={key}
                      style={{ whiteSpace: 'nowrap' }}
                      align={key === 'events.count' ? 'right' : undefined}
                    >
                      {t(key)}
                    </TableCell>
                  ))}
                </TableRow>
              </TableHead>
              <TableBody>
                {value.items.map(e => (
                  <TableRow
                    key={`${e.cluster}|${e.namespace}|${e.object}|${e.type}|${e.reason}`}
                  >
                    <TableCell>{e.type}</TableCell>
                    {!pod && (
                      <TableCell>
                        <Mono>{e.object}</Mono>
                      </TableCell>
                    )}
                    <TableCell>
                      <Mono>{e.cluster}</Mono>
                    </TableCell>
                    <TableCell style={{ whiteSpace: 'nowrap' }}>
                      {e.reason}
                    </TableCell>
                    <TableCell>{e.message}</TableCell>
                    <TableCell align="right">{e.count}</TableCell>
                    <TableCell>
                      <RelativeTime value={e.firstSeen} />
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={e.lastSeen} />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Box>
        )}
      </ViewState>
    </>
  );
}
