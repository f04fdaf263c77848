import { ReactNode, Suspense } from 'react';
import {
  Link,
  Route,
  Routes,
  useLocation,
  useResolvedPath,
} from 'react-router-dom';
import { Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { k2ReactTranslationRef } from '../translation';

/** One sub-view of a tab: `path` relative to the tab ('' for the first, its overview). */
export interface SubView {
  path: string;
  title: string;
  element: ReactNode;
}

/**
 * A tab's sub-views (Overview, Instances, History, …) as routes nested under the
 * tab's own path, with a row of links: each has a URL a link can point at (e.g.
 * `/catalog/default/component/x/deploy/history?environment=prod`), the browser's back
 * button moves between them, and an unknown path shows the first. The tab must be
 * mounted on a splat route (`deploy/*`), as entity content is. A view may be
 * `React.lazy`: the row of links stays while its code loads.
 */
export function SubViews(props: { views: SubView[]; label?: string }) {
  const { views } = props;
  const { t } = useTranslationRef(k2ReactTranslationRef);
  const base = useResolvedPath('.').pathname.replace(/\/$/, '');
  const location = useLocation();
  const first = location.pathname
    .slice(base.length)
    .replace(/^\/+/, '')
    .split('/')[0];
  const active = Math.max(
    0,
    views.findIndex(v => v.path === first),
  );
  return (
    <>
      <Box mb={2} borderBottom={1} borderColor="divider">
        <Tabs
          value={active}
          indicatorColor="primary"
          textColor="primary"
          aria-label={props.label ?? t('subViews')}
          variant="scrollable"
          scrollButtons="auto"
        >
          {views.map(v => (
            <Tab
              key={v.path}
              label={v.title}
              component={Link}
              to={v.path ? `${base}/${v.path}` : base || '/'}
            />
          ))}
        </Tabs>
      </Box>
      <Suspense fallback={<Progress />}>
        <Routes>
          {views.map(v =>
            v.path ? (
              <Route key={v.path} path={`${v.path}/*`} element={v.element} />
            ) : (
              <Route key="" index element={v.element} />
            ),
          )}
          <Route path="*" element={views[0]?.element} />
        </Routes>
      </Suspense>
    </>
  );
}
