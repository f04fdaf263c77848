import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { formatBytes } from '@internal/plugin-k2-common';
import { K2StorageVolumeCluster } from '@internal/plugin-k2-storage-common';
import { useStorageT } from '../translation';

/**
 * Used bytes of a volume against its capacity, as the kubelets report them: a bar and
 * "1.2 GiB of 5 GiB" (the most any cluster reports); "not mounted" when no release
 * mounts the volume (the kubelets report only mounted volumes), else "unknown" with why.
 */
export function UsageBar(props: {
  clusters: K2StorageVolumeCluster[];
  mounted: boolean;
}) {
  const t = useStorageT();
  const known = props.clusters.filter(
    c => c.usedBytes !== undefined && c.capacityBytes,
  );
  if (known.length === 0 && !props.mounted) {
    return (
      <Tooltip title={t('volumes.usedUnknownHint')}>
        <Typography variant="body2" color="textSecondary">
          {t('volumes.usedNotMounted')}
        </Typography>
      </Tooltip>
    );
  }
  if (known.length === 0) {
    return (
      <Tooltip title={t('volumes.usedUnknownHint')}>
        <Typography variant="body2" color="textSecondary">
          {t('volumes.usedUnknown')}
        </Typography>
      </Tooltip>
    );
  }
  const top = known.reduce((a, b) =>
    a.usedBytes! / a.capacityBytes! >= b.usedBytes! / b.capacityBytes! ? a : b,
  );
  const share = Math.min(100, (100 * top.usedBytes!) / top.capacityBytes!);
  const text = t('volumes.usedOf', {
    used: formatBytes(top.usedBytes!),
    capacity: formatBytes(top.capacityBytes!),
  });
  return (
    <Box minWidth={120}>
      <LinearProgress
        variant="determinate"
        value={share}
        aria-label={text}
        color={share >= 90 ? 'secondary' : 'primary'}
      />
      <Typography variant="caption" noWrap>
        {text}
      </Typography>
    </Box>
  );
}
