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
import { usePermission } from '@backstage/plugin-permission-react';
import {
  k2AlertRuleManagePermission,
  k2AlertTemplateManagePermission,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { SubViews } from '@internal/plugin-k2-react';
import { useAlertsT } from '../translation';
import { IncidentsView } from './IncidentsView';
import { AlertsScope } from './types';

// Incidents are what the tab opens on; Rules (with its dialog and CodeMirror) and
// History load when first opened.
const RulesView = lazy(() =>
  import('./RulesView').then(m => ({ default: m.RulesView })),
);
const HistoryView = lazy(() =>
  import('./HistoryView').then(m => ({ default: m.HistoryView })),
);
const SilencesView = lazy(() =>
  import('./silences/SilencesView').then(m => ({ default: m.SilencesView })),
);
const StatsView = lazy(() =>
  import('./stats/StatsView').then(m => ({ default: m.StatsView })),
);

/**
 * The Alerts tab, in sub-views routed under the tab's path: Incidents (open first,
 * each with its alerts in a drawer), Rules (per environment, from templates, with a
 * live preview) and History (every alert state change, filtered). Everyone signed in
 * reads; the service's owners (and platform admins) manage its rules; only platform
 * admins write rules in PromQL.
 */
export function AlertsTab() {
  const t = useAlertsT();
  const { entity } = useEntity();
  const config = useApi(configApiRef);
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
      return { spec: readServiceSpec(entity, readEnvironmentModel(config)) };
    } catch (error) {
      return { error: error as Error };
    }
  }, [entity, config]);
  const manage = usePermission({
    permission: k2AlertRuleManagePermission,
    resourceRef,
  });
  const promql = usePermission({ permission: k2AlertTemplateManagePermission });

  if (parsed.error) {
    return <ErrorPanel title={t('tab.invalidConfig')} error={parsed.error} />;
  }
  if (manage.loading || promql.loading) return <Progress />;
  const environments = parsed.spec.targets.map(target => ({
    name: target.environment.name,
    title: target.environment.title,
  }));
  if (environments.length === 0) {
    return (
      <WarningPanel
        title={t('tab.notReleased')}
        message={t('tab.notReleasedHint')}
      />
    );
  }
  const scope: AlertsScope = {
    service,
    environments,
    rights: {
      manageRefusal: manage.allowed ? undefined : t('refused.owners'),
      promqlRefusal: promql.allowed ? undefined : t('refused.promql'),
    },
  };
  return (
    <Content>
      <SubViews
        label={t('views.label')}
        views={[
          {
            path: '',
            title: t('views.incidents'),
            element: <IncidentsView scope={scope} />,
          },
          {
            path: 'rules',
            title: t('views.rules'),
            element: <RulesView scope={scope} />,
          },
          {
            path: 'history',
            title: t('views.history'),
            element: <HistoryView scope={scope} />,
          },
          {
            path: 'silences',
            title: t('views.silences'),
            element: <SilencesView scope={scope} />,
          },
          {
            path: 'stats',
            title: t('views.stats'),
            element: <StatsView scope={scope} />,
          },
        ]}
      />
    </Content>
  );
}
