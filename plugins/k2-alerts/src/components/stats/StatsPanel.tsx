import { useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  FilterSelect,
  Mono,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { K2AlertStats } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';
import { SeverityChart } from './SeverityChart';

/** The periods offered, in days. */
export const STATS_PERIODS = [7, 14, 30, 90] as const;

/** Seconds as minutes, hours or days, whichever reads best (`42 min`, `3.5 h`). */
function useDuration() {
  const t = useAlertsT();
  return (seconds?: number) => {
    if (seconds === undefined) return '—';
    if (seconds < 3600) {
      return t('stats.minutes', {
        value: String(Math.max(1, Math.round(seconds / 60))),
      });
    }
    if (seconds < 86400) {
      return t('stats.hours', {
        value: String(Math.round(seconds / 360) / 10),
      });
    }
    return t('stats.days', { value: String(Math.round(seconds / 8640) / 10) });
  };
}

function Figure(props: { label: string; value: string; hint?: string }) {
  return (
    <Box minWidth={140}>
      <Typography variant="body2" color="textSecondary">
        {props.label}
      </Typography>
      <Typography variant="h5" component="p">
        {props.value}
      </Typography>
      {props.hint && (
        <Typography variant="caption" color="textSecondary">
          {props.hint}
        </Typography>
      )}
    </Box>
  );
}

/**
 * Incident statistics over the chosen period (7 to 90 days, default 14): incidents
 * per day and severity as a chart, totals, median time to acknowledge and to resolve,
 * what fired with nobody acknowledging, and the noisiest rules. `service` names a
 * rule's service when the statistics span several (the team page).
 */
export function StatsPanel(props: {
  title: string;
  load(days: number): Promise<K2AlertStats>;
  deps: unknown[];
  service?(entityRef: string): string;
}) {
  const t = useAlertsT();
  const duration = useDuration();
  const [days, setDays] = useState(14);
  const stats = useLoad(() => props.load(days), [days, ...props.deps]);
  return (
    <InfoCard
      title={props.title}
      action={
        <Box mt={1} mr={1}>
          <FilterSelect
            label={t('stats.period')}
            value={String(days)}
            options={STATS_PERIODS.map(d => ({
              value: String(d),
              label: t('stats.lastDays', { count: d }),
            }))}
            onChange={value => setDays(Number(value))}
          />
        </Box>
      }
    >
      <ViewState
        value={stats.value}
        error={stats.error}
        isEmpty={() => false}
        emptyTitle=""
        inline
      >
        {s => {
          const total = s!.totals.critical + s!.totals.warning + s!.totals.info;
          return (
            <>
              <Box display="flex" flexWrap="wrap" style={{ gap: 24 }} mb={2}>
                <Figure
                  label={t('stats.incidents')}
                  value={String(total)}
                  hint={t('stats.bySeverity', {
                    critical: String(s!.totals.critical),
                    warning: String(s!.totals.warning),
                    info: String(s!.totals.info),
                  })}
                />
                <Figure
                  label={t('stats.mtta')}
                  value={duration(s!.acknowledgeSeconds?.median)}
                  hint={
                    s!.acknowledgeSeconds
                      ? t('stats.measured', {
                          count: s!.acknowledgeSeconds.count,
                        })
                      : undefined
                  }
                />
                <Figure
                  label={t('stats.mttr')}
                  value={duration(s!.resolveSeconds.median)}
                  hint={t('stats.measured', { count: s!.resolveSeconds.count })}
                />
                <Figure
                  label={t('stats.unacknowledged')}
                  value={String(s!.unacknowledged.incidents)}
                  hint={t('stats.alerts', { count: s!.unacknowledged.alerts })}
                />
              </Box>
              <SeverityChart daily={s!.daily} />
              <Typography variant="subtitle2" component="h3">
                {t('stats.noisiest')}
              </Typography>
              {s!.noisiestRules.length === 0 ? (
                <Typography variant="body2">{t('stats.quiet')}</Typography>
              ) : (
                <Table size="small" aria-label={t('stats.noisiest')}>
                  <TableHead>
                    <TableRow>
                      <TableCell>{t('stats.rule')}</TableCell>
                      {props.service && (
                        <TableCell>{t('stats.service')}</TableCell>
                      )}
                      <TableCell align="right">
                        {t('stats.incidents')}
                      </TableCell>
                      <TableCell align="right">
                        {t('stats.alertsColumn')}
                      </TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {s!.noisiestRules.map(r => (
                      <TableRow key={`${r.entityRef}/${r.ruleKey}`}>
                        <TableCell>
                          {r.title} <Mono>{r.ruleKey}</Mono>
                        </TableCell>
                        {props.service && (
                          <TableCell>{props.service(r.entityRef)}</TableCell>
                        )}
                        <TableCell align="right">{r.incidents}</TableCell>
                        <TableCell align="right">{r.alerts}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </>
          );
        }}
      </ViewState>
    </InfoCard>
  );
}
