import { useState } from 'react';
import { ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { K2Release, K2ServiceTarget } from '@internal/plugin-k2-common';
import {
  ActionDialog,
  EnvironmentSwitcher,
  useEnvironmentParam,
} from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { imageTag } from './format';
import { HistoryTable } from './HistoryTable';
import { useDeployT } from '../translation';
import { useEnvironmentReleases } from './useEnvironmentReleases';

/** One environment's history, with rollback (a new release of an older spec). */
function EnvironmentHistory(props: {
  service: ServiceName;
  target: K2ServiceTarget;
  canRelease: boolean;
  onChange(): void;
}) {
  const { service, target } = props;
  const environment = target.environment;
  const t = useDeployT();
  const api = useApi(k2DeployApiRef);
  const [rollback, setRollback] = useState<K2Release>();
  const history = useEnvironmentReleases(service, environment.name);
  const blocker = history.inFlight ?? history.waiting;

  if (history.error && !history.page) {
    return <ResponseErrorPanel error={history.error} />;
  }
  let rollbackDisabledReason: string | undefined;
  if (!props.canRelease) rollbackDisabledReason = t('refused');
  else if (blocker) {
    rollbackDisabledReason =
      blocker === history.waiting
        ? t('blockedBy.waiting', { number: String(blocker.number) })
        : t('blockedBy.inFlight', { number: String(blocker.number) });
  }
  return (
    <section
      aria-label={t('history.label', { environment: environment.title })}
    >
      <HistoryTable
        environment={environment.title}
        releases={history.releases}
        total={history.total}
        currentId={history.current?.id}
        rollbackDisabledReason={rollbackDisabledReason}
        busy={Boolean(rollback)}
        hasMore={history.hasMore}
        onMore={history.loadOlder}
        onRollback={setRollback}
      />
      {rollback && (
        <ActionDialog
          title={t('history.rollbackTitle', {
            environment: environment.title,
            number: String(rollback.number),
          })}
          confirm={t('history.rollback')}
          onClose={() => setRollback(undefined)}
          onConfirm={async () => {
            await api.rollback(rollback.id);
            setRollback(undefined);
            history.refresh();
            props.onChange();
          }}
        >
          {t(
            environment.approval.required
              ? 'history.rollbackBodyApproval'
              : 'history.rollbackBody',
            {
              number: String(rollback.number),
              version: imageTag(rollback.spec.image),
              replicas: String(rollback.spec.replicas),
            },
          )}
        </ActionDialog>
      )}
    </section>
  );
}

/**
 * The History view: one environment's releases at a time (chosen in the URL,
 * `?environment=prod`, so a link can point at it), with comparison and rollback.
 */
export function HistoryView(props: {
  service: ServiceName;
  targets: K2ServiceTarget[];
  canRelease: boolean;
  onChange(): void;
}) {
  const [chosen, setChosen] = useEnvironmentParam();
  const target =
    props.targets.find(t => t.environment.name === chosen) ?? props.targets[0];
  return (
    <>
      <Box mb={2}>
        <EnvironmentSwitcher
          environments={props.targets.map(t => t.environment)}
          value={target.environment.name}
          onChange={setChosen}
        />
      </Box>
      <EnvironmentHistory
        key={target.environment.name}
        service={props.service}
        target={target}
        canRelease={props.canRelease}
        onChange={props.onChange}
      />
    </>
  );
}
