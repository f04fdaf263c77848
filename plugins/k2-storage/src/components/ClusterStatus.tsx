import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { K2StorageVolume } from '@internal/plugin-k2-storage-common';
import { Mono } from '@internal/plugin-k2-react';
import { useStorageT } from '../translation';

/**
 * A volume's state in each cluster: `test-1 Bound 5Gi` (the capacity the cluster
 * reports, which an expansion changes only once it is done), and under a Pending or expanding
 * claim the reason the cluster gives (its latest warning event or resize condition).
 */
export function ClusterStatus(props: { volume: K2StorageVolume }) {
  const t = useStorageT();
  return (
    <>
      {props.volume.clusters.map(c => (
        <Box key={c.cluster} mb={0.5}>
          <Typography variant="body2" noWrap>
            <Mono>{c.cluster}</Mono> {t(`phase.${c.phase}`)}
            {c.capacity && ` ${c.capacity}`}
            {c.expanding && (
              <>
                {' · '}
                {t('volumes.expandingTo', { size: props.volume.size })}
              </>
            )}
          </Typography>
          {c.reason && (
            <Typography variant="caption" color="textSecondary" component="p">
              {c.reason}
            </Typography>
          )}
        </Box>
      ))}
    </>
  );
}
