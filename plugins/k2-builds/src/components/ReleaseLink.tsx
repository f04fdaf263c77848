import { Link } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import { useLocation } from 'react-router-dom';
import { K2Build } from '@internal/plugin-k2-builds-common';
import { useBuildsT } from '../translation';

/**
 * The release that followed a build, a link to that environment's history on the
 * Deploy tab (the Builds tab's sibling on the service page); while the build has not
 * ended, where it will release if it succeeds.
 */
export function ReleaseLink(props: {
  build: Pick<K2Build, 'release' | 'releaseTo' | 'status'>;
  environmentTitle(name: string): string;
}) {
  const t = useBuildsT();
  const { pathname } = useLocation();
  const { release, releaseTo, status } = props.build;
  if (release) {
    const history = `${pathname.replace(
      /\/builds(\/.*)?$/,
      '/deploy/history',
    )}?environment=${encodeURIComponent(release.environment)}`;
    return (
      <Link to={history} onClick={e => e.stopPropagation()}>
        {t('history.releaseLink', {
          number: String(release.number),
          environment: props.environmentTitle(release.environment),
        })}
      </Link>
    );
  }
  if (releaseTo && (status === 'queued' || status === 'running')) {
    return (
      <Typography variant="body2" color="textSecondary" component="span">
        {t('history.releaseAfter', {
          environment: props.environmentTitle(releaseTo),
        })}
      </Typography>
    );
  }
  return <>—</>;
}
