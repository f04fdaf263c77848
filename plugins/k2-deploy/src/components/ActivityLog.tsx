import { Table, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { K2Activity } from '@internal/plugin-k2-common';
import Typography from '@material-ui/core/Typography';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { RelativeTime } from '@internal/plugin-k2-react';
import { EntityRef } from './EntityRef';
import { useLiveRefresh } from './useLiveRefresh';
import { ResponseErrorPanel } from '@backstage/core-components';

const columns: TableColumn<K2Activity>[] = [
  {
    title: 'When',
    cellStyle: { whiteSpace: 'nowrap' },
    render: a => <RelativeTime value={a.createdAt} />,
  },
  { title: 'Who', render: a => <EntityRef entityRef={a.actor} /> },
  { title: 'Environment', field: 'environment' },
  { title: 'Action', field: 'action', cellStyle: { whiteSpace: 'nowrap' } },
  {
    title: 'What happened',
    render: a => (
      <Typography
        variant="body2"
        color={a.result === 'failed' ? 'error' : 'textPrimary'}
      >
        {a.summary}
      </Typography>
    ),
  },
];

/** Every mutating action on the service, by anyone, with its result. */
export function ActivityLog({ service }: { service: ServiceName }) {
  const api = useApi(k2DeployApiRef);
  const { value, error } = useLiveRefresh(
    () => api.getActivity(service, { limit: 50 }),
    { service, intervalMs: () => 10_000 },
    [service.namespace, service.name],
  );
  if (error && !value) return <ResponseErrorPanel error={error} />;
  return (
    <Table<K2Activity>
      title="Activity"
      isLoading={!value}
      // Not draggable: material-table wraps each sortable header in a drag handle with
      // role="button", two nested controls that screen readers cannot tell apart.
      options={{
        paging: false,
        search: false,
        padding: 'dense',
        draggable: false,
      }}
      columns={columns}
      data={value?.items ?? []}
      emptyContent={
        <Typography style={{ padding: 16 }}>
          No releases, scaling or restarts yet.
        </Typography>
      }
    />
  );
}
