import { useApi } from '@backstage/frontend-plugin-api';
import { k2AlertsApiRef } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';
import { AlertsScope } from '../types';
import { StatsPanel } from './StatsPanel';

/** The service's incident statistics, the Statistics sub-view of the Alerts tab. */
export function StatsView(props: { scope: AlertsScope }) {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const { service } = props.scope;
  return (
    <StatsPanel
      title={t('stats.heading')}
      load={days => api.getServiceStats(service, days)}
      deps={[api, service]}
    />
  );
}
