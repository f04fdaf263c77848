import { K2EnvironmentRuntime, K2Release } from '@internal/plugin-k2-common';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { useDeployT } from '../translation';
import { HealthStatus, progressHealth } from './health';

/** Warning events shown per cluster while a release rolls out. */
const WARNINGS = 3;

const useStyles = makeStyles(theme => ({
  failedBar: { backgroundColor: theme.palette.error.main },
  failedTrack: { backgroundColor: theme.palette.error.light },
  warning: {
    color: theme.palette.warning?.dark ?? theme.palette.text.secondary,
  },
}));

/**
 * Per-cluster progress of a release: its state (rolling out, waiting for readiness,
 * done, failed with the reason), updated, ready and old replicas, what holds it up and
 * the cluster's newest warning events. The bar is the theme's primary colour while the
 * rollout moves and after it succeeds; only a failed release is drawn in the error
 * colour.
 */
export function ReleaseProgress({
  release,
  runtime,
}: {
  release: K2Release;
  runtime?: K2EnvironmentRuntime;
}) {
  const t = useDeployT();
  const classes = useStyles();
  if (release.progress.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        {release.status === 'pending-approval'
          ? t('progress.waitingForApprover')
          : release.reason ?? t('progress.applying')}
      </Typography>
    );
  }
  return (
    <>
      {release.progress.map(p => {
        const health = progressHealth(release, p);
        const value = p.replicas
          ? Math.min(100, (100 * Math.min(p.ready, p.updated)) / p.replicas)
          : 100;
        const failed = health.state === 'failed';
        return (
          <Box
            key={p.cluster}
            mb={1}
            aria-label={t('progress.label', { cluster: p.cluster })}
          >
            <Box display="flex" alignItems="center" style={{ gap: 8 }}>
              <Typography variant="body2" component="span">
                <strong>{p.cluster}</strong>
              </Typography>
              <HealthStatus health={health} />
              <Typography variant="body2" component="span">
                {t('progress.counts', {
                  updated: String(p.updated),
                  replicas: String(p.replicas),
                  ready: String(p.ready),
                  available: String(p.available),
                })}
                {p.old > 0 ? t('progress.old', { old: String(p.old) }) : ''}
              </Typography>
            </Box>
            <LinearProgress
              variant="determinate"
              value={value}
              color="primary"
              aria-label={t('progress.percent', {
                cluster: p.cluster,
                percent: String(Math.round(value)),
              })}
              classes={
                failed
                  ? { bar: classes.failedBar, root: classes.failedTrack }
                  : undefined
              }
            />
            {p.message && !p.done && !failed && (
              <Typography variant="caption" color="textSecondary">
                {p.message}
              </Typography>
            )}
            {!p.done &&
              runtime?.clusters
                .find(c => c.cluster === p.cluster)
                ?.warnings.slice(0, WARNINGS)
                .map(w => (
                  <Typography
                    key={`${w.object}/${w.reason}`}
                    variant="caption"
                    display="block"
                    className={failed ? undefined : classes.warning}
                    color={failed ? 'error' : undefined}
                  >
                    {t('progress.warning', {
                      reason: w.reason,
                      object: w.object.replace(/^Pod\//, ''),
                    })}
                    {w.count > 1 ? ` (×${w.count})` : ''}: {w.message}
                  </Typography>
                ))}
          </Box>
        );
      })}
    </>
  );
}
