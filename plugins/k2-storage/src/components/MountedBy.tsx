import { Link } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import { useLocation } from 'react-router-dom';
import { K2StorageVolume } from '@internal/plugin-k2-storage-common';
import { useStorageT } from '../translation';

/**
 * Which releases of the environment mount a volume, the running one first, each a link
 * to the environment's release history on the Deploy tab.
 */
export function MountedBy(props: {
  releases: K2StorageVolume['mountedBy'];
  environment: string;
}) {
  const t = useStorageT();
  const { pathname } = useLocation();
  if (props.releases.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        {t('mounts.none')}
      </Typography>
    );
  }
  // The Deploy tab is the Storage tab's sibling on the service page.
  const history = `${pathname.replace(
    /\/storage(\/.*)?$/,
    '/deploy/history',
  )}?environment=${encodeURIComponent(props.environment)}`;
  const releases = [...props.releases].sort(
    (a, b) => Number(b.current) - Number(a.current) || b.number - a.number,
  );
  return (
    <>
      {releases.map(release => (
        <Typography variant="body2" key={release.id} noWrap>
          <Link to={history}>
            {t(release.current ? 'mounts.current' : 'mounts.retained', {
              number: String(release.number),
            })}
          </Link>
        </Typography>
      ))}
    </>
  );
}
