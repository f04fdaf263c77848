import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { makeStyles } from '@material-ui/core/styles';
import { RelativeTime } from '@internal/plugin-k2-react';
import { ReactNode } from 'react';
import { K2Incident } from '../api/K2AlertsApi';
import { useAlertsT } from '../translation';
import { ruleKeyWords } from './format';
import { SeverityChip } from './SeverityChip';
import { IncidentActions } from './team/IncidentActions';

const useStyles = makeStyles({
  head: { '& th': { whiteSpace: 'nowrap' } },
  number: { textAlign: 'right', whiteSpace: 'nowrap' },
  row: { cursor: 'pointer' },
  nowrap: { whiteSpace: 'nowrap' },
});

/**
 * Incidents as rows: title (a Kubernetes signal's reason in words under it), severity,
 * environment, when it opened and, once resolved, when it resolved, and how many of
 * its alerts fire. A row opens the incident (`onOpen`) and stays selected while it is
 * open. `service` adds a first column (the team overview lists several services);
 * `onChanged` a last one with Acknowledge and Resolve (for those allowed), after which
 * it is called to reload the list.
 */
export function IncidentsTable(props: {
  label: string;
  incidents: K2Incident[];
  environmentTitle(name: string): string;
  selected?: string;
  onOpen?(incident: K2Incident): void;
  service?(incident: K2Incident): ReactNode;
  onChanged?(): void;
}) {
  const t = useAlertsT();
  const classes = useStyles();
  const resolved = props.incidents.some(i => i.status === 'resolved');
  return (
    <Box overflow="auto">
      <Table size="small" aria-label={props.label}>
        <TableHead className={classes.head}>
          <TableRow>
            {props.service && <TableCell>{t('page.service')}</TableCell>}
            <TableCell>{t('incidents.incident')}</TableCell>
            <TableCell>{t('incidents.severity')}</TableCell>
            <TableCell>{t('incidents.environment')}</TableCell>
            <TableCell>{t('incidents.opened')}</TableCell>
            {resolved ? (
              <TableCell>{t('incidents.resolvedAt')}</TableCell>
            ) : (
              <TableCell>{t('incidents.lastChange')}</TableCell>
            )}
            <TableCell className={classes.number}>
              {t('incidents.alerts')}
            </TableCell>
            <TableCell>{t('incidents.source')}</TableCell>
            {props.onChanged && <TableCell>{t('incidents.actions')}</TableCell>}
          </TableRow>
        </TableHead>
        <TableBody>
          {props.incidents.map(incident => {
            const signal = ruleKeyWords(t, incident.ruleKey);
            return (
              <TableRow
                key={incident.id}
                hover={Boolean(props.onOpen)}
                selected={props.selected === incident.id}
                className={props.onOpen ? classes.row : undefined}
                onClick={() => props.onOpen?.(incident)}
              >
                {props.service && (
                  <TableCell>{props.service(incident)}</TableCell>
                )}
                <TableCell>
                  {incident.title}
                  {signal && signal !== incident.title && (
                    <Box color="text.secondary" fontSize="0.75rem">
                      {signal}
                    </Box>
                  )}
                </TableCell>
                <TableCell>
                  <SeverityChip severity={incident.severity} />
                </TableCell>
                <TableCell>
                  {props.environmentTitle(incident.environment)}
                </TableCell>
                <TableCell>
                  <RelativeTime value={incident.openedAt} />
                </TableCell>
                <TableCell>
                  <RelativeTime
                    value={
                      resolved ? incident.resolvedAt : incident.lastChangeAt
                    }
                  />
                </TableCell>
                <TableCell className={classes.number}>
                  {t('incidents.firingOf', {
                    firing: String(incident.firingCount),
                    total: String(incident.alertCount),
                  })}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  {t(`source.${incident.source}`)}
                </TableCell>
                {props.onChanged && (
                  // The buttons act on the incident; the row's click opens it.
                  <TableCell onClick={e => e.stopPropagation()}>
                    <IncidentActions
                      incident={incident}
                      onChanged={props.onChanged}
                    />
                  </TableCell>
                )}
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Box>
  );
}
