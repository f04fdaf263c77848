import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { InfoCard, Link } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  EnvironmentSwitcher,
  FilterSelect,
  Mono,
  RelativeTime,
  useEnvironmentParam,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { K2AlertSeverity, k2AlertsApiRef } from '../api/K2AlertsApi';
import { useAlertsT } from '../translation';
import { SEVERITIES, SeverityChip } from './SeverityChip';
import { AlertsScope, environmentTitle } from './types';

/** State changes per page. */
export const HISTORY_PAGE = 50;

/** The Kubernetes signals' rule keys, as the rule filter offers them. */
const SIGNALS = [
  'oomkilled',
  'error-exit',
  'crashloop',
  'failed-scheduling',
  'readiness',
] as const;

const useStyles = makeStyles({
  head: { '& th': { whiteSpace: 'nowrap' } },
});

/**
 * The service's alert state changes, newest first, a page at a time (Newer, Older),
 * narrowed by environment, state, severity and rule (a rule of the service or a
 * Kubernetes signal); every filter is in the URL. Each change links to its incident.
 */
export function HistoryView(props: { scope: AlertsScope }) {
  const { service, environments } = props.scope;
  const t = useAlertsT();
  const classes = useStyles();
  const api = useApi(k2AlertsApiRef);
  const [environment, setEnvironment] = useEnvironmentParam();
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? '') as 'firing' | 'resolved' | '';
  const severity = (params.get('severity') ?? '') as K2AlertSeverity | '';
  const rule = params.get('rule') ?? '';
  const filterKey = `${environment}/${status}/${severity}/${rule}`;
  // The cursors of the pages before the one shown, for Newer; reset by a filter.
  const [pages, setPages] = useState<{ key: string; cursors: string[] }>({
    key: filterKey,
    cursors: [],
  });
  const cursors = pages.key === filterKey ? pages.cursors : [];
  const cursor = cursors[cursors.length - 1];
  const rules = useLoad(() => api.getRules(service), [api, service]);
  const history = useLoad(
    () =>
      api.getAlertHistory(service, {
        ...(environment ? { environment } : {}),
        ...(status ? { status } : {}),
        ...(severity ? { severity } : {}),
        ...(rule ? { rule } : {}),
        limit: HISTORY_PAGE,
        ...(cursor ? { cursor } : {}),
      }),
    [api, service, filterKey, cursor],
  );
  const setParam = (name: string, value: string) =>
    setParams(
      p => {
        const next = new URLSearchParams(p);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  const ruleOptions = [
    ...(rules.value?.items ?? []).map(r => ({
      value: r.id,
      label: `${r.name} (${environmentTitle(environments, r.environment)})`,
    })),
    ...SIGNALS.map(reason => ({
      value: `signal:${reason}`,
      label: t(`signals.${reason}`),
    })),
  ];

  return (
    <InfoCard title={t('history.title')}>
      <Box mb={2} display="flex" flexWrap="wrap" style={{ gap: 16 }}>
        <EnvironmentSwitcher
          environments={environments}
          value={environment}
          onChange={setEnvironment}
          allLabel={t('environments.all')}
        />
        <FilterSelect
          label={t('status.label')}
          value={status}
          allLabel={t('status.allAlerts')}
          options={[
            { value: 'firing', label: t('status.firing') },
            { value: 'resolved', label: t('status.resolved') },
          ]}
          onChange={value => setParam('status', value)}
        />
        <FilterSelect
          label={t('severity.label')}
          value={severity}
          allLabel={t('severity.all')}
          options={SEVERITIES.map(s => ({
            value: s,
            label: t(`severity.${s}`),
          }))}
          onChange={value => setParam('severity', value)}
        />
        <FilterSelect
          label={t('history.rule')}
          value={rule}
          allLabel={t('history.allRules')}
          options={
            rule && !ruleOptions.some(o => o.value === rule)
              ? [...ruleOptions, { value: rule, label: rule }]
              : ruleOptions
          }
          onChange={value => setParam('rule', value)}
        />
      </Box>
      <ViewState
        value={history.value}
        error={history.error}
        isEmpty={v => v.items.length === 0 && cursors.length === 0}
        emptyTitle={t('history.empty')}
        emptyDescription={t('history.emptyHint')}
        inline
      >
        {page => (
          <>
            <Box overflow="auto">
              <Table size="small" aria-label={t('history.title')}>
                <TableHead className={classes.head}>
                  <TableRow>
                    <TableCell>{t('history.at')}</TableCell>
                    <TableCell>{t('history.status')}</TableCell>
                    <TableCell>{t('severity.label')}</TableCell>
                    <TableCell>{t('history.alert')}</TableCell>
                    <TableCell>{t('history.environment')}</TableCell>
                    <TableCell>{t('history.cluster')}</TableCell>
                    <TableCell>{t('history.summary')}</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {page.items.map(entry => (
                    <TableRow
                      key={`${entry.alertId}/${entry.status}/${entry.at}`}
                    >
                      <TableCell>
                        <RelativeTime value={entry.at} />
                      </TableCell>
                      <TableCell>{t(`status.${entry.status}`)}</TableCell>
                      <TableCell>
                        {entry.labels.severity && (
                          <SeverityChip severity={entry.labels.severity} />
                        )}
                      </TableCell>
                      <TableCell>
                        <Link
                          to={`..?incident=${encodeURIComponent(
                            entry.incidentId,
                          )}`}
                          title={t('history.openIncident')}
                        >
                          {entry.labels.alertname ?? entry.labels.k2_rule}
                        </Link>
                      </TableCell>
                      <TableCell>
                        {environmentTitle(
                          environments,
                          entry.labels.environment ?? '',
                        )}
                      </TableCell>
                      <TableCell>
                        <Mono>{entry.labels.cluster ?? '—'}</Mono>
                      </TableCell>
                      <TableCell>{entry.summary}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </Box>
            <Box mt={1} display="flex" alignItems="center" style={{ gap: 8 }}>
              <Button
                disabled={cursors.length === 0}
                onClick={() =>
                  setPages({ key: filterKey, cursors: cursors.slice(0, -1) })
                }
              >
                {t('history.newer')}
              </Button>
              <Typography variant="body2" color="textSecondary">
                {t('history.page', { page: String(cursors.length + 1) })}
              </Typography>
              <Button
                disabled={!page.nextCursor}
                onClick={() =>
                  setPages({
                    key: filterKey,
                    cursors: [...cursors, page.nextCursor!],
                  })
                }
              >
                {t('history.older')}
              </Button>
            </Box>
          </>
        )}
      </ViewState>
    </InfoCard>
  );
}
