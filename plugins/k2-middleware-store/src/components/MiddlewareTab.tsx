import { useMemo, useState } from 'react';
import {
  Content,
  ErrorPanel,
  InfoCard,
  Link,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  configApiRef,
  useApi,
  useRouteRef,
} from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import {
  k2MiddlewareManagePermission,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { ActionButton, useLoad, ViewState } from '@internal/plugin-k2-react';
import { k2MiddlewareStoreApiRef } from '../api/K2MiddlewareStoreApi';
import { middlewarePageRouteRef } from '../routes';
import { useMiddlewareT } from '../translation';
import { CreateInstanceDialog } from './CreateInstanceDialog';
import {
  environmentTitle,
  IDLE_REFRESH_MS,
  isMoving,
  MOVING_REFRESH_MS,
  who,
} from './format';
import { InstanceDrawer } from './InstanceDrawer';
import { InstancesTable } from './InstancesTable';
import { useInstanceParam } from './useInstanceParam';

/**
 * The Middleware tab of a service: its instances in every environment (and those
 * bound to it), each opening in a drawer (`?instance=<id>`, so a link or a reminder
 * shows the same one); Create middleware for this service. Read again every few
 * seconds while an instance is creating, updating, deleting or restoring.
 */
export function MiddlewareTab() {
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const config = useApi(configApiRef);
  const { entity } = useEntity();
  const storeLink = useRouteRef(middlewarePageRouteRef);
  const ref = stringifyEntityRef(entity);
  const service = useMemo(
    () => ({
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    }),
    [entity],
  );
  const spec = useMemo(() => {
    try {
      return { value: readServiceSpec(entity, readEnvironmentModel(config)) };
    } catch (error) {
      return { error: error as Error };
    }
  }, [entity, config]);
  const manage = usePermission({
    permission: k2MiddlewareManagePermission,
    resourceRef: ref,
  });
  const [instanceId, setInstanceId] = useInstanceParam();
  const [creating, setCreating] = useState(false);
  const [moving, setMoving] = useState(false);
  const environments = useLoad(() => api.getEnvironments(), [api]);
  const templates = useLoad(() => api.getTemplates(), [api]);
  const instances = useLoad(
    async () => {
      const list = await api.getServiceInstances(service);
      setMoving(list.items.some(isMoving));
      return list;
    },
    [api, service],
    { intervalMs: moving ? MOVING_REFRESH_MS : IDLE_REFRESH_MS },
  );

  if (spec.error) {
    return <ErrorPanel title={t('tab.invalidConfig')} error={spec.error} />;
  }
  const title = t('tab.title', { service: entity.metadata.name });
  const policies = environments.value?.items ?? [];
  let createRefusal: string | undefined;
  if (manage.loading || !environments.value || !templates.value) {
    createRefusal = '';
  } else if (!manage.allowed) createRefusal = t('refused.owners');
  const targetEnvironments = spec.value.targets.map(
    target => target.environment.name,
  );
  return (
    <Content>
      <InfoCard title={title}>
        <Box mb={2} display="flex" alignItems="center" style={{ gap: 16 }}>
          <ActionButton
            variant="contained"
            disabledReason={createRefusal}
            onClick={() => setCreating(true)}
          >
            {t('tab.create')}
          </ActionButton>
          {storeLink && <Link to={storeLink()}>{t('tab.store')}</Link>}
        </Box>
        <ViewState
          value={environments.error ? undefined : instances.value}
          error={environments.error ?? instances.error}
          isEmpty={v => v.items.length === 0}
          emptyTitle={t('tab.empty')}
          emptyDescription={t('tab.emptyHint')}
          inline
        >
          {list => (
            <InstancesTable
              label={title}
              instances={list.items}
              environmentTitle={name => environmentTitle(policies, name)}
              boundTo={ref}
              selected={instanceId}
              onOpen={setInstanceId}
            />
          )}
        </ViewState>
      </InfoCard>
      <InstanceDrawer
        instanceId={environments.value ? instanceId : undefined}
        environments={policies}
        bindTarget={ref}
        onClose={() => setInstanceId(undefined)}
        onChanged={instances.reload}
      />
      {creating && environments.value && templates.value && (
        <CreateInstanceDialog
          templates={templates.value.items}
          targets={[
            {
              ref,
              title: who(ref),
              environments: targetEnvironments,
            },
          ]}
          environments={policies}
          onClose={() => setCreating(false)}
          onCreated={created => {
            setCreating(false);
            instances.reload();
            setInstanceId(created.id);
          }}
        />
      )}
    </Content>
  );
}
