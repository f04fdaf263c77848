import { K2EnvironmentRuntime, K2Release } from '@internal/plugin-k2-common';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';

/** Warning events shown per cluster while a release rolls out. */
const WARNINGS = 3;

/**
 * Per-cluster progress of a release: updated, ready and old replicas, what holds it up,
 * and the cluster's newest warning events.
 */
export function ReleaseProgress({
  release,
  runtime,
}: {
  release: K2Release;
  runtime?: K2EnvironmentRuntime;
}) {
  if (release.progress.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        {release.status === 'pending-approval'
          ? 'Nothing changes in the clusters until an approver approves.'
          : release.reason ?? 'Applying to the clusters…'}
      </Typography>
    );
  }
  return (
    <>
      {release.progress.map(p => {
        const value = p.replicas
          ? Math.min(100, (100 * Math.min(p.ready, p.updated)) / p.replicas)
          : 100;
        return (
          <Box key={p.cluster} mb={1} aria-label={`Progress in ${p.cluster}`}>
            <Typography variant="body2">
              <strong>{p.cluster}</strong>: {p.updated}/{p.replicas} updated ·{' '}
              {p.ready} ready · {p.available} available
              {p.old > 0 ? ` · ${p.old} old` : ''}
              {p.done ? ' · done' : ''}
            </Typography>
            <LinearProgress
              variant="determinate"
              value={value}
              color={p.done ? 'primary' : 'secondary'}
            />
            {p.message && !p.done && (
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
                    color="error"
                  >
                    {w.reason} on {w.object.replace(/^Pod\//, '')}
                    {w.count > 1 ? ` (×${w.count})` : ''}: {w.message}
                  </Typography>
                ))}
          </Box>
        );
      })}
    </>
  );
}
