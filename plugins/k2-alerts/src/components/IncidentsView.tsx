import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import {
  EnvironmentSwitcher,
  ErrorText,
  FilterSelect,
  useEnvironmentParam,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import {
  K2AlertSeverity,
  K2Incident,
  k2AlertsApiRef,
} from '../api/K2AlertsApi';
import { useAlertsT } from '../translation';
import { IncidentDrawer } from './IncidentDrawer';
import { IncidentsTable } from './IncidentsTable';
import { SEVERITIES } from './SeverityChip';
import { AlertsScope, environmentTitle } from './types';

/** How often the lists are fetched again while shown. */
export const INCIDENTS_REFRESH_MS = 15_000;
/** Resolved incidents per page. */
const RESOLVED_PAGE = 20;

/**
 * The service's incidents: the open ones first (all of them), then the resolved ones
 * a page at a time, both narrowed by environment and severity (`?environment=`,
 * `?severity=`). A row opens the incident in a drawer (`?incident=<id>`), so a link
 * shows the same incident; a message's acknowledge link adds `&acknowledge=1`, and the
 * drawer asks its reader to acknowledge.
 */
export function IncidentsView(props: { scope: AlertsScope }) {
  const { service, environments } = props.scope;
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const [environment, setEnvironment] = useEnvironmentParam();
  const [params, setParams] = useSearchParams();
  const severity = (params.get('severity') ?? '') as K2AlertSeverity | '';
  const incidentId = params.get('incident') ?? undefined;
  // A message's acknowledge link (`&acknowledge=1`) asks to acknowledge the incident.
  const acknowledgeAsked = params.get('acknowledge') === '1';
  const [more, setMore] = useState<{ busy: boolean; error?: Error }>({
    busy: false,
  });
  const [older, setOlder] = useState<{
    key: string;
    items: K2Incident[];
    nextCursor?: string;
  }>();
  const filter = {
    ...(environment ? { environment } : {}),
    ...(severity ? { severity } : {}),
  };
  const key = `${environment}/${severity}`;
  const open = useLoad(
    () => api.getIncidents(service, { ...filter, status: 'open' }),
    [api, service, key],
    { intervalMs: INCIDENTS_REFRESH_MS },
  );
  const resolved = useLoad(
    () =>
      api.getIncidents(service, {
        ...filter,
        status: 'resolved',
        limit: RESOLVED_PAGE,
      }),
    [api, service, key],
    { intervalMs: INCIDENTS_REFRESH_MS },
  );
  const extra = older?.key === key ? older : undefined;
  const nextCursor = extra ? extra.nextCursor : resolved.value?.nextCursor;
  const setParam = (name: string, value?: string) =>
    setParams(
      p => {
        const next = new URLSearchParams(p);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: name !== 'incident' },
    );
  const titleOf = (name: string) => environmentTitle(environments, name);

  return (
    <>
      <Box mb={2} display="flex" flexWrap="wrap" style={{ gap: 16 }}>
        <EnvironmentSwitcher
          environments={environments}
          value={environment}
          onChange={setEnvironment}
          allLabel={t('environments.all')}
        />
        <FilterSelect
          label={t('severity.label')}
          value={severity}
          allLabel={t('severity.all')}
          options={SEVERITIES.map(s => ({
            value: s,
            label: t(`severity.${s}`),
          }))}
          onChange={value => setParam('severity', value)}
        />
      </Box>
      <InfoCard title={t('incidents.open')}>
        <ViewState
          value={open.value}
          error={open.error}
          isEmpty={v => v.items.length === 0}
          emptyTitle={t('incidents.noOpen')}
          emptyDescription={t('incidents.noOpenHint')}
          inline
        >
          {list => (
            <IncidentsTable
              label={t('incidents.open')}
              incidents={list.items}
              environmentTitle={titleOf}
              selected={incidentId}
              onOpen={incident => setParam('incident', incident.id)}
              onChanged={() => {
                open.reload();
                resolved.reload();
              }}
            />
          )}
        </ViewState>
      </InfoCard>
      <Box mt={3}>
        <InfoCard title={t('incidents.resolved')}>
          <ViewState
            value={resolved.value}
            error={resolved.error}
            isEmpty={v => v.items.length === 0}
            emptyTitle={t('incidents.noResolved')}
            inline
          >
            {list => (
              <>
                <IncidentsTable
                  label={t('incidents.resolved')}
                  incidents={[
                    ...list.items,
                    // A refresh may have moved an older page's first rows onto
                    // the first page: each incident is listed once.
                    ...(extra?.items ?? []).filter(
                      i => !list.items.some(first => first.id === i.id),
                    ),
                  ]}
                  environmentTitle={titleOf}
                  selected={incidentId}
                  onOpen={incident => setParam('incident', incident.id)}
                />
                {nextCursor && (
                  <Box mt={1}>
                    <Button
                      disabled={more.busy}
                      onClick={async () => {
                        setMore({ busy: true });
                        try {
                          const page = await api.getIncidents(service, {
                            ...filter,
                            status: 'resolved',
                            limit: RESOLVED_PAGE,
                            cursor: nextCursor,
                          });
                          setOlder({
                            key,
                            items: [...(extra?.items ?? []), ...page.items],
                            nextCursor: page.nextCursor,
                          });
                          setMore({ busy: false });
                        } catch (error) {
                          setMore({ busy: false, error: error as Error });
                        }
                      }}
                    >
                      {t('incidents.more')}
                    </Button>
                    {more.error && <ErrorText error={more.error} />}
                  </Box>
                )}
              </>
            )}
          </ViewState>
        </InfoCard>
      </Box>
      <IncidentDrawer
        incidentId={incidentId}
        acknowledgeAsked={acknowledgeAsked}
        environmentTitle={titleOf}
        onClose={() =>
          setParams(p => {
            const next = new URLSearchParams(p);
            next.delete('incident');
            next.delete('acknowledge');
            return next;
          })
        }
      />
    </>
  );
}
