import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  Content,
  Header,
  InfoCard,
  Link,
  Page,
} from '@backstage/core-components';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  configApiRef,
  identityApiRef,
  useApi,
  useRouteRef,
} from '@backstage/frontend-plugin-api';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { readEnvironmentModel } from '@internal/plugin-k2-common';
import { FilterSelect, useLoad, ViewState } from '@internal/plugin-k2-react';
import { k2AlertsApiRef } from '../api/K2AlertsApi';
import { useAlertsT } from '../translation';
import { ClusterChecksSection } from './cluster/ClusterChecksSection';
import { entityName } from './format';
import { IncidentsTable } from './IncidentsTable';
import { INCIDENTS_REFRESH_MS } from './IncidentsView';
import { StatsPanel } from './stats/StatsPanel';

/**
 * The team Alerts overview: the open (or resolved) incidents of every service a team
 * owns in the catalog, each linking to its service's Alerts tab with the incident
 * open. The team is in the URL (`?team=group:default/payments-team`) and defaults to
 * the signed-in user's first group; the picker lists every group in the catalog.
 */
export function AlertsPage() {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const catalog = useApi(catalogApiRef);
  const identity = useApi(identityApiRef);
  const config = useApi(configApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const [params, setParams] = useSearchParams();
  const status = params.get('status') === 'resolved' ? 'resolved' : 'open';
  const titles = useMemo(() => {
    try {
      return new Map(
        readEnvironmentModel(config).environments.map(e => [e.name, e.title]),
      );
    } catch {
      return new Map<string, string>();
    }
  }, [config]);
  const groups = useLoad(async () => {
    const [own, all] = await Promise.all([
      identity.getBackstageIdentity(),
      catalog.getEntities({
        filter: { kind: 'Group' },
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.title',
        ],
      }),
    ]);
    const mine = own.ownershipEntityRefs.filter(ref =>
      ref.startsWith('group:'),
    );
    const options = all.items
      .map(g => ({
        value: stringifyEntityRef(g),
        label: g.metadata.title ?? g.metadata.name,
      }))
      .sort((a, b) => a.label.localeCompare(b.label));
    return { mine, options };
  }, [identity, catalog]);
  const team = params.get('team') ?? groups.value?.mine[0] ?? '';
  const teamLabel =
    groups.value?.options.find(o => o.value === team)?.label ??
    (team ? entityName(team) : '');
  const incidents = useLoad(
    async () => {
      if (!team) return undefined;
      const ref = parseEntityRef(team);
      return api.getTeamIncidents(
        { namespace: ref.namespace, name: ref.name },
        { status },
      );
    },
    [api, team, status],
    { intervalMs: INCIDENTS_REFRESH_MS },
  );
  const set = (name: string, value: string) =>
    setParams(
      p => {
        const next = new URLSearchParams(p);
        next.set(name, value);
        return next;
      },
      { replace: true },
    );
  const serviceLink = (entityRef: string, incidentId: string) => {
    const ref = parseEntityRef(entityRef);
    const page = entityRoute?.({
      kind: ref.kind.toLocaleLowerCase('en-US'),
      namespace: ref.namespace,
      name: ref.name,
    });
    return page
      ? `${page}/alerts?incident=${encodeURIComponent(incidentId)}`
      : undefined;
  };
  let emptyTitle: string = t('page.emptyResolved', { team: teamLabel });
  if (incidents.value?.services.length === 0) {
    emptyTitle = t('page.noServices', { team: teamLabel });
  } else if (status === 'open') {
    emptyTitle = t('page.empty', { team: teamLabel });
  }
  const heading =
    status === 'open'
      ? t('page.heading', { team: teamLabel })
      : t('page.headingResolved', { team: teamLabel });

  return (
    <Page themeId="tool">
      <Header title={t('page.title')} subtitle={t('page.subtitle')} />
      <Content>
        <Box mb={2} display="flex" flexWrap="wrap" style={{ gap: 16 }}>
          <FilterSelect
            label={t('page.team')}
            value={groups.value ? team : ''}
            options={
              groups.value &&
              team &&
              !groups.value.options.some(o => o.value === team)
                ? [...groups.value.options, { value: team, label: teamLabel }]
                : groups.value?.options ?? []
            }
            onChange={value => set('team', value)}
          />
          <FilterSelect
            label={t('status.label')}
            value={status}
            options={[
              { value: 'open', label: t('status.open') },
              { value: 'resolved', label: t('status.resolved') },
            ]}
            onChange={value => set('status', value)}
          />
          {team && (
            <Box alignSelf="center">
              <Link to={`settings?team=${encodeURIComponent(team)}`}>
                {t('teamSettings.open')}
              </Link>
            </Box>
          )}
        </Box>
        {groups.value && !team ? (
          <InfoCard title={t('page.noTeam')}>
            <Typography variant="body2">{t('page.noTeamHint')}</Typography>
          </InfoCard>
        ) : (
          <InfoCard
            title={heading}
            subheader={
              incidents.value &&
              t('page.services', { count: incidents.value.services.length })
            }
          >
            <ViewState
              value={groups.error ? undefined : incidents.value}
              error={groups.error ?? incidents.error}
              isEmpty={v => v.items.length === 0}
              emptyTitle={emptyTitle}
              emptyDescription={t('page.emptyHint')}
              inline
            >
              {list => (
                <IncidentsTable
                  label={heading}
                  incidents={list.items}
                  environmentTitle={name => titles.get(name) ?? name}
                  service={incident => {
                    const to = serviceLink(incident.entityRef, incident.id);
                    const name = entityName(incident.entityRef);
                    return to ? <Link to={to}>{name}</Link> : name;
                  }}
                />
              )}
            </ViewState>
          </InfoCard>
        )}
        {team && (
          <Box mt={2}>
            <StatsPanel
              title={t('stats.teamHeading', { team: teamLabel })}
              load={days => {
                const ref = parseEntityRef(team);
                return api.getTeamStats(
                  { namespace: ref.namespace, name: ref.name },
                  days,
                );
              }}
              deps={[api, team]}
              service={entityName}
            />
          </Box>
        )}
        <ClusterChecksSection />
      </Content>
    </Page>
  );
}
