import { useState } from 'react';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Switch from '@material-ui/core/Switch';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { ago } from './format';
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
        label="Warnings only"
      />
      {events.loading && !events.value && <Progress />}
      {events.error && !events.value && (
        <ResponseErrorPanel error={events.error} />
      )}
      {events.value && events.value.items.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No {warningsOnly ? 'warnings' : 'events'} in the clusters' event
          retention.
        </Typography>
      )}
      {events.value && events.value.items.length > 0 && (
        <Table size="small" aria-label={props.label}>
          <TableHead>
            <TableRow>
              <TableCell>Type</TableCell>
              {!pod && <TableCell>Object</TableCell>}
              <TableCell>Cluster</TableCell>
              <TableCell>Reason</TableCell>
              <TableCell>Message</TableCell>
              <TableCell align="right">Count</TableCell>
              <TableCell>First seen</TableCell>
              <TableCell>Last seen</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {events.value.items.map(e => (
              <TableRow
                key={`${e.cluster}|${e.namespace}|${e.object}|${e.type}|${e.reason}`}
              >
                <TableCell>{e.type}</TableCell>
                {!pod && <TableCell>{e.object}</TableCell>}
                <TableCell>{e.cluster}</TableCell>
                <TableCell>{e.reason}</TableCell>
                <TableCell>{e.message}</TableCell>
                <TableCell align="right">{e.count}</TableCell>
                <TableCell>{ago(e.firstSeen)}</TableCell>
                <TableCell>{ago(e.lastSeen)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
