import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { InfoCard, Link } from '@backstage/core-components';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import {
  K2MiddlewareInstance,
  K2MiddlewareInstanceState,
} from '@internal/plugin-k2-middleware-store-common';
import {
  EnvironmentSwitcher,
  FilterSelect,
  Loaded,
  useEnvironmentParam,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2MiddlewareStoreApiRef } from '../../api/K2MiddlewareStoreApi';
import { useMiddlewareT } from '../../translation';
import {
  environmentTitle,
  IDLE_REFRESH_MS,
  isMoving,
  MOVING_REFRESH_MS,
  who,
} from '../format';
import { InstanceDrawer } from '../InstanceDrawer';
import { InstancesTable } from '../InstancesTable';
import { useInstanceParam } from '../useInstanceParam';
import { K2MiddlewareEnvironmentPolicyList } from './types';

const STATES: K2MiddlewareInstanceState[] = [
  'awaiting-approval',
  'creating',
  'ready',
  'degraded',
  'updating',
  'deleting',
  'deleted',
  'expired',
  'restoring',
  'rejected',
  'failed',
];

/**
 * Instances across services, narrowed by owning team (`?team=`), environment
 * (`?environment=`) and state (`?state=`); each row opens its drawer
 * (`?instance=<id>`) and names its service with a link to the service's Middleware
 * tab. Read again every few seconds while one of them moves.
 */
export function InstancesView(props: {
  environments: Loaded<K2MiddlewareEnvironmentPolicyList>;
}) {
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const catalog = useApi(catalogApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const [params, setParams] = useSearchParams();
  const [environment, setEnvironment] = useEnvironmentParam();
  const [instanceId, setInstanceId] = useInstanceParam();
  const team = params.get('team') ?? '';
  const state = (params.get('state') ?? '') as K2MiddlewareInstanceState | '';
  const [moving, setMoving] = useState(false);
  const groups = useLoad(async () => {
    const { items } = await catalog.getEntities({
      filter: { kind: 'Group' },
      fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title'],
    });
    return items
      .map(g => ({
        value: stringifyEntityRef(g),
        label: g.metadata.title ?? g.metadata.name,
      }))
      .sort((a, b) => a.label.localeCompare(b.label));
  }, [catalog]);
  const instances = useLoad(
    async () => {
      const list = await api.getInstances({
        ...(team ? { owner: team } : {}),
        ...(environment ? { environment } : {}),
        ...(state ? { state } : {}),
      });
      setMoving(list.items.some(isMoving));
      return list;
    },
    [api, team, environment, state],
    { intervalMs: moving ? MOVING_REFRESH_MS : IDLE_REFRESH_MS },
  );
  const set = (name: string, value: string) =>
    setParams(
      p => {
        const next = new URLSearchParams(p);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  const policies = props.environments.value?.items ?? [];
  const serviceLink = (instance: K2MiddlewareInstance) => {
    const ref = parseEntityRef(instance.service);
    const page = entityRoute?.({
      kind: ref.kind.toLocaleLowerCase('en-US'),
      namespace: ref.namespace,
      name: ref.name,
    });
    const name = who(instance.service);
    return page ? (
      <Link
        to={`${page}/middleware?instance=${encodeURIComponent(instance.id)}`}
        onClick={e => e.stopPropagation()}
      >
        {name}
      </Link>
    ) : (
      name
    );
  };
  return (
    <InfoCard title={t('page.instancesTitle')}>
      <Box mb={2} display="flex" flexWrap="wrap" style={{ gap: 16 }}>
        <FilterSelect
          label={t('page.team')}
          value={groups.value ? team : ''}
          allLabel={t('page.allTeams')}
          options={groups.value ?? []}
          onChange={value => set('team', value)}
        />
        <EnvironmentSwitcher
          environments={policies.map(e => ({
            name: e.name,
            title: e.title ?? e.name,
          }))}
          value={props.environments.value ? environment : ''}
          allLabel={t('page.allEnvironments')}
          onChange={setEnvironment}
        />
        <FilterSelect
          label={t('page.stateFilter')}
          value={state}
          allLabel={t('page.allStates')}
          options={STATES.map(s => ({ value: s, label: t(`state.${s}`) }))}
          onChange={value => set('state', value)}
        />
      </Box>
      <ViewState
        value={props.environments.error ? undefined : instances.value}
        error={props.environments.error ?? instances.error}
        isEmpty={v => v.items.length === 0}
        emptyTitle={t('page.instancesEmpty')}
        emptyDescription={t('page.instancesEmptyHint')}
        inline
      >
        {list => (
          <InstancesTable
            label={t('page.instancesTitle')}
            instances={list.items}
            environmentTitle={name => environmentTitle(policies, name)}
            service={serviceLink}
            selected={instanceId}
            onOpen={setInstanceId}
          />
        )}
      </ViewState>
      <InstanceDrawer
        instanceId={props.environments.value ? instanceId : undefined}
        environments={policies}
        onClose={() => setInstanceId(undefined)}
        onChanged={instances.reload}
      />
    </InfoCard>
  );
}
