import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  ErrorText,
  Mono,
  RelativeTime,
  useLoad,
} from '@internal/plugin-k2-react';
import {
  K2AlertRuleInput,
  K2AlertRuleTemplate,
  k2AlertsApiRef,
  K2AlertsService,
} from '../api/K2AlertsApi';
import { useAlertsT } from '../translation';
import { seriesValue } from './format';
import { LazyCodeView } from './LazyCodeView';
import { AlertsEnvironment } from './types';

/** Labels every series of one service shares: not worth a column in the preview. */
const SHARED_LABELS = new Set([
  'k2_entity',
  'k2_service',
  'k2_rule',
  'environment',
  'namespace',
  'team',
  'severity',
  'alertname',
  '__name__',
]);

/** A series' labels that tell it apart (`cluster="test" pod="…"`). */
function seriesName(labels: Record<string, string>): string {
  const shown = Object.entries(labels)
    .filter(([name]) => !SHARED_LABELS.has(name))
    .sort(([a], [b]) => a.localeCompare(b));
  return shown.length
    ? shown.map(([name, value]) => `${name}="${value}"`).join(' ')
    : '{}';
}

/**
 * The rule the form describes, as the backend would deliver it: the current value of
 * its expression per series (before the threshold is compared) from the
 * environment's Prometheus, and the rule group it renders. Shows what it has while a
 * newer question is pending; says why there is no current value when there is none.
 */
export function RulePreview(props: {
  service: K2AlertsService;
  environment: AlertsEnvironment;
  /** The rule's template, whose threshold says how its values read. */
  template?: K2AlertRuleTemplate;
  input?: K2AlertRuleInput;
  pending: boolean;
}) {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const { service, input, environment } = props;
  const preview = useLoad(
    async () => (input ? api.previewRule(service, input) : undefined),
    [api, service, input],
    { keepOnChange: true },
  );
  if (!input && !props.pending) {
    return (
      <Typography variant="body2" color="textSecondary">
        {t('dialog.fixFirst')}
      </Typography>
    );
  }
  const value = preview.value;
  const busy = props.pending || preview.loading;
  return (
    <Box aria-busy={busy}>
      {busy && <LinearProgress aria-label={t('preview.loading')} />}
      {preview.error && <ErrorText error={preview.error} />}
      {value && (
        <>
          {value.current ? (
            <>
              <Typography variant="body2" gutterBottom>
                {t('preview.current', {
                  environment: environment.title,
                  time: <RelativeTime value={value.current.evaluatedAt} />,
                })}
              </Typography>
              {value.current.series.length === 0 ? (
                <Typography variant="body2" color="textSecondary">
                  {t('preview.noSeries', { environment: environment.title })}
                </Typography>
              ) : (
                <Box overflow="auto" maxHeight={240}>
                  <Table size="small" aria-label={t('preview.heading')}>
                    <TableHead>
                      <TableRow>
                        <TableCell>{t('preview.series')}</TableCell>
                        <TableCell align="right">
                          {t('preview.value')}
                        </TableCell>
                      </TableRow>
                    </TableHead>
                    <TableBody>
                      {value.current.series.map(series => {
                        const name = seriesName(series.labels);
                        return (
                          <TableRow key={name}>
                            <TableCell>
                              <Mono>{name}</Mono>
                            </TableCell>
                            <TableCell align="right">
                              <Mono>
                                {seriesValue(t, props.template, series.value)}
                              </Mono>
                            </TableCell>
                          </TableRow>
                        );
                      })}
                    </TableBody>
                  </Table>
                </Box>
              )}
            </>
          ) : (
            <Typography variant="body2" color="textSecondary">
              {value.error
                ? t('preview.unavailable', { message: value.error })
                : t('preview.noPrometheus', { environment: environment.title })}
            </Typography>
          )}
          {value.current && value.error && (
            <Typography variant="body2" color="error">
              {value.error}
            </Typography>
          )}
          {value.warnings?.map(warning => (
            <Typography key={warning} variant="body2" color="textSecondary">
              {warning}
            </Typography>
          ))}
          <Box mt={2}>
            <Typography variant="subtitle2" component="h4" gutterBottom>
              {t('preview.group')}
            </Typography>
            <LazyCodeView
              value={value.group}
              label={t('preview.groupLabel')}
              language="yaml"
            />
          </Box>
        </>
      )}
    </Box>
  );
}
