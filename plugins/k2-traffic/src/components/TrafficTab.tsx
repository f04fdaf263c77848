import { useMemo } from 'react';
import {
  Content,
  ErrorPanel,
  Progress,
  WarningPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  k2TrafficSitePublishPermission,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { SubViews } from '@internal/plugin-k2-react';
import Grid from '@material-ui/core/Grid';
import { k2TrafficApiRef } from '../api/K2TrafficApi';
import { useTrafficT } from '../translation';
import { SitePanel } from './SitePanel';
import { SiteEditorView } from './SiteEditorView';
import { VersionsView } from './VersionsView';
import { useLoad } from './useLoad';
import { PublishRights, TrafficEnvironment } from './types';

/** How often the overview asks again what each Nginx host applied. */
const CLUSTERS_REFRESH_MS = 10_000;

/**
 * The Traffic tab, in sub-views routed under the tab's path: the Overview (per
 * environment, the published site, its upstreams and members, and what each Nginx host
 * of the cluster applied), Edit site (the form, then a publish preview against the
 * published version) and Versions (history, comparison, rollback).
 */
export function TrafficTab() {
  const t = useTrafficT();
  const { entity } = useEntity();
  const config = useApi(configApiRef);
  const api = useApi(k2TrafficApiRef);
  const resourceRef = stringifyEntityRef(entity);
  const service = useMemo(
    () => ({
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    }),
    [entity],
  );
  const parsed = useMemo(() => {
    try {
      const model = readEnvironmentModel(config);
      return { spec: readServiceSpec(entity, model) };
    } catch (error) {
      return { error: error as Error };
    }
  }, [entity, config]);

  const publish = usePermission({
    permission: k2TrafficSitePublishPermission,
    resourceRef,
  });
  const clusters = useLoad(() => api.getClusters(), [api], CLUSTERS_REFRESH_MS);

  if (parsed.error) {
    return <ErrorPanel title={t('tab.invalidConfig')} error={parsed.error} />;
  }
  if (publish.loading) return <Progress />;
  const { spec } = parsed;
  if (spec.targets.length === 0) {
    return (
      <WarningPanel
        title={t('tab.notReleased')}
        message={t('tab.notReleasedHint')}
      />
    );
  }
  const environments: TrafficEnvironment[] = spec.targets.map(target => ({
    name: target.environment.name,
    title: target.environment.title,
    approvalRequired: target.environment.approval.required,
  }));
  // Where changes need approval a publish waits for an approver (VersionsView).
  const rights = (): PublishRights =>
    publish.allowed ? {} : { refusal: t('refused.owners') };
  const views = [
    {
      path: '',
      title: t('views.overview'),
      element: (
        // A site's tables (upstreams, members with their pods, hosts) need the full
        // width below 1920 px: side by side they scroll or break words.
        <Grid container spacing={3}>
          {environments.map(environment => (
            <Grid
              item
              xs={12}
              xl={environments.length > 1 ? 6 : 12}
              key={environment.name}
            >
              <SitePanel
                service={service}
                environment={environment}
                clusters={clusters}
              />
            </Grid>
          ))}
        </Grid>
      ),
    },
    {
      path: 'site',
      title: t('views.edit'),
      element: (
        <SiteEditorView
          service={service}
          environments={environments}
          clusters={clusters}
          rights={rights}
          onPublished={clusters.refresh}
        />
      ),
    },
    {
      path: 'versions',
      title: t('views.versions'),
      element: (
        <VersionsView
          service={service}
          environments={environments}
          rights={rights}
          onPublished={clusters.refresh}
        />
      ),
    },
  ];
  return (
    <Content>
      <SubViews label={t('views.label')} views={views} />
    </Content>
  );
}
