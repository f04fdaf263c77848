import { Content, Header, Page } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { SubViews, useLoad } from '@internal/plugin-k2-react';
import { k2MiddlewareStoreApiRef } from '../../api/K2MiddlewareStoreApi';
import { useMiddlewareT } from '../../translation';
import { InstancesView } from './InstancesView';
import { ProductsView } from './ProductsView';

/**
 * The App Store page (`/k2/middleware`): the products the store offers, a template's
 * details and Create in a drawer (`?template=redis-7`), and under `instances` every
 * team's instances, filtered by team, environment and state (`?instance=<id>` opens
 * one's drawer).
 */
export function StorePage() {
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const environments = useLoad(() => api.getEnvironments(), [api]);
  return (
    <Page themeId="tool">
      <Header title={t('page.title')} subtitle={t('page.subtitle')} />
      <Content>
        <SubViews
          views={[
            {
              path: '',
              title: t('page.products'),
              element: <ProductsView environments={environments} />,
            },
            {
              path: 'instances',
              title: t('page.instances'),
              element: <InstancesView environments={environments} />,
            },
          ]}
        />
      </Content>
    </Page>
  );
}
