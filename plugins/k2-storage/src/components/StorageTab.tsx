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
  k2VolumeManagePermission,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { useEnvironmentParam } from '@internal/plugin-k2-react';
import { useStorageT } from '../translation';
import { StorageEnvironment } from './types';
import { VolumesView } from './VolumesView';

/**
 * The Storage tab: one environment's volumes (`?environment=test`, so a link or a
 * reload shows the same one). Everyone signed in reads; owners (and platform admins)
 * create, expand and delete.
 */
export function StorageTab() {
  const t = useStorageT();
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
      const model = readEnvironmentModel(config);
      return { spec: readServiceSpec(entity, model) };
    } catch (error) {
      return { error: error as Error };
    }
  }, [entity, config]);
  const manage = usePermission({
    permission: k2VolumeManagePermission,
    resourceRef,
  });
  const [param, setParam] = useEnvironmentParam();

  if (parsed.error) {
    return <ErrorPanel title={t('tab.invalidConfig')} error={parsed.error} />;
  }
  if (manage.loading) return <Progress />;
  const environments: StorageEnvironment[] = parsed.spec.targets.map(
    target => ({
      name: target.environment.name,
      title: target.environment.title,
      namespace: target.namespace,
    }),
  );
  if (environments.length === 0) {
    return (
      <WarningPanel
        title={t('tab.notReleased')}
        message={t('tab.notReleasedHint')}
      />
    );
  }
  const environment =
    environments.find(e => e.name === param) ?? environments[0];
  return (
    <Content>
      <VolumesView
        key={environment.name}
        scope={{
          service,
          kubernetesId: parsed.spec.kubernetesId,
          environment,
          manageRefusal: manage.allowed ? undefined : t('refused.owners'),
        }}
        environments={environments}
        onEnvironment={setParam}
      />
    </Content>
  );
}
