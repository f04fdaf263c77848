import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
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
  k2ConfigSensitiveReadPermission,
  k2ConfigWritePermission,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { useEnvironmentParam } from '@internal/plugin-k2-react';
import { useConfigT } from '../translation';
import { FilesView } from './FilesView';
import { FileView } from './FileView';
import { ConfigEnvironment, ConfigRights } from './types';

/**
 * The Config tab: one environment's config files (`?environment=test`), and one
 * file's editor and versions when `?file=application.yaml` names it, so a link or a
 * reload shows the same file. Everyone signed in reads; owners (and platform admins)
 * create, save, restore and delete, and read sensitive files' contents.
 */
export function ConfigTab() {
  const t = useConfigT();
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
  const write = usePermission({
    permission: k2ConfigWritePermission,
    resourceRef,
  });
  const sensitive = usePermission({
    permission: k2ConfigSensitiveReadPermission,
    resourceRef,
  });
  const [param, setParam] = useEnvironmentParam();
  const [params, setParams] = useSearchParams();
  const file = params.get('file') ?? undefined;

  if (parsed.error) {
    return <ErrorPanel title={t('tab.invalidConfig')} error={parsed.error} />;
  }
  if (write.loading || sensitive.loading) return <Progress />;
  const environments: ConfigEnvironment[] = parsed.spec.targets.map(target => ({
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
  const environment =
    environments.find(e => e.name === param) ?? environments[0];
  const rights: ConfigRights = {
    writeRefusal: write.allowed ? undefined : t('refused.owners'),
    readSensitive: sensitive.allowed,
  };
  const open = (name?: string) =>
    setParams(p => {
      const next = new URLSearchParams(p);
      next.set('environment', environment.name);
      if (name) next.set('file', name);
      else next.delete('file');
      return next;
    });
  const scope = { service, environment, rights };
  return (
    <Content>
      {file ? (
        <FileView
          key={`${environment.name}/${file}`}
          scope={scope}
          file={file}
          onBack={() => open(undefined)}
        />
      ) : (
        <FilesView
          scope={scope}
          environments={environments}
          onEnvironment={setParam}
          onOpen={open}
        />
      )}
    </Content>
  );
}
