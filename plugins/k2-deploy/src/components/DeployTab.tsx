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
  k2InstanceManagePermission,
  k2ReleaseCreatePermission,
  k2ServiceRestartPermission,
  k2ServiceScalePermission,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import Grid from '@material-ui/core/Grid';
import { k2DeployApiRef } from '../api/K2DeployApi';
import { ActivityLog } from './ActivityLog';
import { EnvironmentPanel } from './EnvironmentPanel';
import { InstancesSection } from './InstancesSection';
import { useLiveRefresh } from './useLiveRefresh';

/**
 * The Deploy tab: per environment, what runs and what rolls out, with release,
 * scale, restart, rollback and approval; the instances (live and historical, logs,
 * events, usage, per-instance actions); then the service's activity log.
 */
export function DeployTab() {
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

  const release = usePermission({
    permission: k2ReleaseCreatePermission,
    resourceRef,
  });
  const scale = usePermission({
    permission: k2ServiceScalePermission,
    resourceRef,
  });
  const restart = usePermission({
    permission: k2ServiceRestartPermission,
    resourceRef,
  });
  const manage = usePermission({
    permission: k2InstanceManagePermission,
    resourceRef,
  });
  const runtime = useLiveRefresh(
    () => api.getRuntime(service),
    { service, intervalMs: () => 5000 },
    [service.namespace, service.name],
  );

  if (parsed.error) {
    return (
      <ErrorPanel title="K2 configuration is invalid" error={parsed.error} />
    );
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
        title="This service is not released by K2 yet"
        message="Name its environments in the k2.io/environments annotation of catalog-info.yaml, e.g. k2.io/environments: test,prod."
      />
    );
  }
  return (
    <Content>
      {problems.length > 0 && (
        <WarningPanel
          title={`${problems.length} problem(s) in this service's K2 annotations`}
          message={problems.join(' · ')}
        />
      )}
      <Grid container spacing={3}>
        {spec.targets.map(target => {
          return (
            <Grid item xs={12} key={target.environment.name}>
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
                }}
                onChange={runtime.refresh}
              />
            </Grid>
          );
        })}
        <Grid item xs={12}>
          <InstancesSection
            service={service}
            targets={spec.targets}
            runtime={runtime.value}
            runtimeError={runtime.error}
            canManage={manage.allowed}
            onChange={runtime.refresh}
          />
        </Grid>
        <Grid item xs={12}>
          <ActivityLog service={service} />
        </Grid>
      </Grid>
    </Content>
  );
}
