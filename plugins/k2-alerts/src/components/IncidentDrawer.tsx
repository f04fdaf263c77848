import { Fragment } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  DetailDrawer,
  Mono,
  RelativeTime,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { K2Alert, k2AlertsApiRef } from '../api/K2AlertsApi';
import { useAlertsT } from '../translation';
import { SeverityChip } from './SeverityChip';
import { CreateSilenceButton } from './silences/CreateSilenceButton';
import { INCIDENTS_REFRESH_MS } from './IncidentsView';
import { IncidentActions } from './team/IncidentActions';

const useStyles = makeStyles(theme => ({
  head: { '& th': { whiteSpace: 'nowrap' } },
  labels: { display: 'flex', flexWrap: 'wrap', gap: theme.spacing(0.5) },
  events: { '& td': { borderBottom: 'none' } },
}));

/** An alert's state as a chip: firing in the error colour, resolved plain. */
function AlertStatus(props: { status: K2Alert['status'] }) {
  const t = useAlertsT();
  return (
    <Chip
      size="small"
      color={props.status === 'firing' ? 'secondary' : 'default'}
      label={t(`status.${props.status}`)}
    />
  );
}

/**
 * One incident in a drawer: its severity, environment and times, then each of its
 * alerts with its state, cluster, summary, every label, and the history of its state
 * changes (firing, resolved, from which source). It is fetched again while open, so
 * an alert that resolves meanwhile is shown resolved; an incident that no longer
 * exists says so.
 */
export function IncidentDrawer(props: {
  incidentId?: string;
  /** Whether the drawer was opened from a message's acknowledge link. */
  acknowledgeAsked?: boolean;
  environmentTitle(name: string): string;
  onClose(): void;
}) {
  const t = useAlertsT();
  const classes = useStyles();
  const api = useApi(k2AlertsApiRef);
  const { incidentId } = props;
  const detail = useLoad(
    async () => (incidentId ? api.getIncident(incidentId) : undefined),
    [api, incidentId],
    { intervalMs: incidentId ? INCIDENTS_REFRESH_MS : undefined },
  );
  const incident = detail.value?.incident;
  const gone =
    !incident && (detail.error as { statusCode?: number })?.statusCode === 404;
  return (
    <DetailDrawer
      open={Boolean(incidentId)}
      title={incident?.title ?? incidentId ?? ''}
      subtitle={
        incident && (
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            <SeverityChip severity={incident.severity} />
            <span>{props.environmentTitle(incident.environment)}</span>
            <span>·</span>
            <span>{t(`status.${incident.status}`)}</span>
            <span>·</span>
            <RelativeTime
              value={incident.openedAt}
              prefix={`${t('incidents.opened')} `}
            />
            {incident.resolvedAt && (
              <>
                <span>·</span>
                <RelativeTime
                  value={incident.resolvedAt}
                  prefix={`${t('incidents.resolvedAt')} `}
                />
              </>
            )}
          </Box>
        )
      }
      closeLabel={t('incidents.close')}
      onClose={props.onClose}
    >
      {gone ? (
        <Typography>{t('incidents.gone')}</Typography>
      ) : (
        <ViewState
          value={detail.value}
          error={detail.error}
          isEmpty={v => !v || v.alerts.length === 0}
          emptyTitle={t('incidents.noAlerts')}
          inline
        >
          {value => (
            <Box overflow="auto">
              <Box mb={2}>
                <IncidentActions
                  incident={value!.incident}
                  acknowledgeAsked={props.acknowledgeAsked}
                  onChanged={detail.reload}
                />
              </Box>
              {value!.incident.status === 'open' && (
                <Box mb={2}>
                  <CreateSilenceButton
                    incident={value!.incident}
                    alerts={value!.alerts}
                    environmentTitle={props.environmentTitle}
                  />
                </Box>
              )}
              <Typography variant="h6" component="h3" gutterBottom>
                {t('alert.heading')}
              </Typography>
              <Table size="small" aria-label={t('alert.heading')}>
                <TableHead className={classes.head}>
                  <TableRow>
                    <TableCell>{t('alert.status')}</TableCell>
                    <TableCell>{t('alert.summary')}</TableCell>
                    <TableCell>{t('alert.cluster')}</TableCell>
                    <TableCell>{t('alert.started')}</TableCell>
                    <TableCell>{t('alert.ended')}</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {value!.alerts.map(alert => (
                    <Fragment key={alert.id}>
                      <TableRow>
                        <TableCell>
                          <AlertStatus status={alert.status} />
                        </TableCell>
                        <TableCell>
                          {alert.annotations.summary ?? alert.labels.alertname}
                          {alert.annotations.description && (
                            <Typography variant="body2" color="textSecondary">
                              {alert.annotations.description}
                            </Typography>
                          )}
                        </TableCell>
                        <TableCell>
                          <Mono>
                            {alert.cluster ?? alert.labels.cluster ?? '—'}
                          </Mono>
                        </TableCell>
                        <TableCell>
                          <RelativeTime value={alert.startsAt} />
                        </TableCell>
                        <TableCell>
                          <RelativeTime value={alert.endsAt} />
                        </TableCell>
                      </TableRow>
                      <TableRow className={classes.events}>
                        <TableCell colSpan={5}>
                          <AlertDetail alert={alert} />
                        </TableCell>
                      </TableRow>
                    </Fragment>
                  ))}
                </TableBody>
              </Table>
            </Box>
          )}
        </ViewState>
      )}
    </DetailDrawer>
  );
}

/** An alert's labels and the history of its state changes, under its row. */
function AlertDetail(props: { alert: K2Alert }) {
  const t = useAlertsT();
  const classes = useStyles();
  const { alert } = props;
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 24 }}>
      <Box flex="1 1 320px" minWidth={0}>
        <Typography variant="subtitle2" component="h4">
          {t('alert.labels')}
        </Typography>
        <Box
          className={classes.labels}
          component="ul"
          aria-label={t('alert.labels')}
          p={0}
          m={0}
          style={{ listStyle: 'none' }}
        >
          {Object.entries(alert.labels)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, value]) => (
              <li key={name}>
                <Chip
                  size="small"
                  variant="outlined"
                  label={<Mono>{`${name}=${value}`}</Mono>}
                />
              </li>
            ))}
        </Box>
      </Box>
      <Box flex="0 1 360px">
        <Typography variant="subtitle2" component="h4">
          {t('alert.events')}
        </Typography>
        <Table size="small" aria-label={t('alert.events')}>
          <TableHead className={classes.head}>
            <TableRow>
              <TableCell>{t('alert.status')}</TableCell>
              <TableCell>{t('alert.at')}</TableCell>
              <TableCell>{t('alert.source')}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {alert.events.map((event, i) => (
              <TableRow key={i}>
                <TableCell>{t(`status.${event.status}`)}</TableCell>
                <TableCell>
                  <RelativeTime value={event.at} />
                </TableCell>
                <TableCell>
                  <Mono>{event.source}</Mono>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
    </Box>
  );
}
