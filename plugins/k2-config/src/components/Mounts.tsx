import Typography from '@material-ui/core/Typography';
import { K2ConfigReleaseRef } from '@internal/plugin-k2-config-common';
import { useConfigT } from '../translation';

/**
 * Which releases of the environment mount a version: "mounted by release #7 in Test
 * (running)", one line each, the running release first. Says so when nothing mounts
 * it, and that it is not known when the Config backend could not ask Deploy.
 */
export function Mounts(props: {
  releases?: K2ConfigReleaseRef[];
  environment: string;
}) {
  const t = useConfigT();
  if (!props.releases) {
    return (
      <Typography variant="body2" color="textSecondary">
        {t('mounts.unknown')}
      </Typography>
    );
  }
  if (props.releases.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        {t('mounts.none')}
      </Typography>
    );
  }
  const releases = [...props.releases].sort(
    (a, b) => Number(b.current) - Number(a.current) || b.number - a.number,
  );
  return (
    <>
      {releases.map(release => (
        <Typography variant="body2" key={release.id} noWrap>
          {t(release.current ? 'mounts.current' : 'mounts.retained', {
            number: String(release.number),
            environment: props.environment,
          })}
        </Typography>
      ))}
    </>
  );
}
