import { lazy, useMemo } from 'react';
import {
  Content,
  ErrorPanel,
  Progress,
  WarningPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  K2ServiceRuntime,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { SubViews } from '@internal/plugin-k2-react';
import Grid from '@material-ui/core/Grid';
import { k2DeployApiRef } from '../api/K2DeployApi';
import { EnvironmentPanel } from './EnvironmentPanel';
import { useDeployT } from '../translation';
import { useLiveRefresh } from './useLiveRefresh';
import { useDeployPermissions } from './useDeployPermissions';

// The overview is what the tab opens on, so it comes with the tab; the other sub-views
// (and the tables library History and Activity use, about 450 KB of the 600 KB the tab
// used to load) load when first opened. Not prefetched: on a busy machine fetching them
// competed with the overview's own calls.
const InstancesSection = lazy(() =>
  import('./InstancesSection').then(m => ({
    default: m.InstancesSection,
  })),
);
const HistoryView = lazy(() =>
  import('./HistoryView').then(m => ({
    default: m.HistoryView,
  })),
);
const EventsView = lazy(() =>
  import('./EventsView').then(m => ({
    default: m.EventsView,
  })),
);
const ActivityLog = lazy(() =>
  import('./ActivityLog').then(m => ({
    default: m.ActivityLog,
  })),
);

/**
 * The Deploy tab, in sub-views routed under the tab's path: the Overview (per
 * environment, what runs and what rolls out, with release, scale, restart, adoption
 * and approval), Instances (live, in a side drawer, and historical), History
 * (releases, comparison, rollback), Events and Activity. `firstRuntime`, when given,
 * is the service's runtime already asked for (see {@link DeployTabEntry}): the tab
 * reads it instead of asking again on its first load.
 */
export function DeployTab(props: { firstRuntime?: Promise<K2ServiceRuntime> }) {
  const { firstRuntime } = props;
  const t = useDeployT();
  const { entity } = useEntity();
  const config = useApi(configApiRef);
  const api = useApi(k2DeployApiRef);
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
      return { model, spec: readServiceSpec(entity, model) };
    } catch (error) {
      return { error: error as Error };
    }
  }, [entity, config]);

  const { release, canaryWhereApproved, scale, restart, manage } =
    useDeployPermissions(resourceRef);
  const runtime = useLiveRefresh(
    () => api.getRuntime(service),
    {
      service,
      intervalMs: () => 5000,
      // Opening the tab again shows the last runtime at once, then the fresh one.
      rememberAs: `runtime:${service.namespace}/${service.name}`,
      first: firstRuntime,
    },
    [service.namespace, service.name],
  );

  if (parsed.error) {
    return <ErrorPanel title={t('tab.invalidConfig')} error={parsed.error} />;
  }
  if (release.loading || scale.loading || restart.loading || manage.loading) {
    return <Progress />;
  }
  const { spec } = parsed;
  // What the browser can tell from the annotations, and what only the backend knows
  // (e.g. another service claiming the same workload).
  const problems = [
    ...new Set([...spec.problems, ...(runtime.value?.problems ?? [])]),
  ];
  if (spec.targets.length === 0) {
    return (
      <WarningPanel
        title={t('tab.notReleased')}
        message={t('tab.notReleasedHint')}
      />
    );
  }
  return (
    <Content>
      {problems.length > 0 && (
        <WarningPanel
          title={t('tab.problems', { count: problems.length })}
          message={problems.join(' · ')}
        />
      )}
      <SubViews
        label={t('views.label')}
        views={[
          {
            path: '',
            title: t('views.overview'),
            element: (
              <Grid container spacing={3}>
                {spec.targets.map(target => (
                  <Grid
                    item
                    xs={12}
                    lg={spec.targets.length > 1 ? 6 : 12}
                    key={target.environment.name}
                  >
                    <EnvironmentPanel
                      service={service}
                      target={target}
                      imageRepository={spec.image}
                      runtime={runtime.value?.environments.find(
                        e => e.name === target.environment.name,
                      )}
                      can={{
                        release: release.allowed,
                        scale: scale.allowed,
                        restart: restart.allowed,
                        canaryWhereApproved: canaryWhereApproved.allowed,
                      }}
                      onChange={runtime.refresh}
                    />
                  </Grid>
                ))}
              </Grid>
            ),
          },
          {
            path: 'instances',
            title: t('views.instances'),
            element: (
              <InstancesSection
                service={service}
                targets={spec.targets}
                runtime={runtime.value}
                runtimeError={runtime.error}
                canManage={manage.allowed}
                onChange={runtime.refresh}
              />
            ),
          },
          {
            path: 'history',
            title: t('views.history'),
            element: (
              <HistoryView
                service={service}
                targets={spec.targets}
                canRelease={release.allowed}
                onChange={runtime.refresh}
              />
            ),
          },
          {
            path: 'events',
            title: t('views.events'),
            element: <EventsView service={service} targets={spec.targets} />,
          },
          {
            path: 'activity',
            title: t('views.activity'),
            element: <ActivityLog service={service} />,
          },
        ]}
      />
    </Content>
  );
}
