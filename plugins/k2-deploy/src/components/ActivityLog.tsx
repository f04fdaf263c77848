import { Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { K2Activity } from '@internal/plugin-k2-common';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { RelativeTime } from '@internal/plugin-k2-react';
import { EntityRef } from './EntityRef';
import { useLiveRefresh } from './useLiveRefresh';
import { ResponseErrorPanel } from '@backstage/core-components';
import { DeployT, useDeployT } from '../translation';
import { ShellSessions } from './shell/ShellSessions';

// The error colour's darker (lighter on a dark theme) shade: the main one on the
// paper is below the 4.5:1 contrast small text needs.
const useStyles = makeStyles(theme => ({
  failed: {
    color:
      theme.palette.type === 'dark'
        ? theme.palette.error.light
        : theme.palette.error.dark,
  },
}));

const activityColumns = (
  t: DeployT,
  failedClass: string,
): TableColumn<K2Activity>[] => [
  {
    title: t('activity.when'),
    cellStyle: { whiteSpace: 'nowrap' },
    render: a => <RelativeTime value={a.createdAt} />,
  },
  { title: t('activity.who'), render: a => <EntityRef entityRef={a.actor} /> },
  { title: t('activity.environment'), field: 'environment' },
  {
    title: t('activity.action'),
    field: 'action',
    cellStyle: { whiteSpace: 'nowrap' },
  },
  {
    title: t('activity.whatHappened'),
    render: a => (
      <Typography
        variant="body2"
        className={a.result === 'failed' ? failedClass : undefined}
      >
        {a.summary}
      </Typography>
    ),
  },
];

/**
 * Every mutating action on the service, by anyone, with its result; for platform
 * admins, the shell sessions into its instances below it.
 */
export function ActivityLog({ service }: { service: ServiceName }) {
  return (
    <>
      <ActivityTable service={service} />
      <ShellSessions service={service} />
    </>
  );
}

function ActivityTable({ service }: { service: ServiceName }) {
  const t = useDeployT();
  const api = useApi(k2DeployApiRef);
  const classes = useStyles();
  const { value, error } = useLiveRefresh(
    () => api.getActivity(service, { limit: 50 }),
    { service, intervalMs: () => 10_000 },
    [service.namespace, service.name],
  );
  if (error && !value) return <ResponseErrorPanel error={error} />;
  return (
    <Table<K2Activity>
      title={t('activity.title')}
      isLoading={!value}
      // Not draggable: material-table wraps each sortable header in a drag handle with
      // role="button", two nested controls that screen readers cannot tell apart.
      options={{
        paging: false,
        search: false,
        padding: 'dense',
        draggable: false,
        headerStyle: { whiteSpace: 'nowrap' },
      }}
      columns={activityColumns(t, classes.failed)}
      data={value?.items ?? []}
      emptyContent={
        <Typography style={{ padding: 16 }}>{t('activity.empty')}</Typography>
      }
    />
  );
}
