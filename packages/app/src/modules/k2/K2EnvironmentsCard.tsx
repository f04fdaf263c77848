import { useMemo } from 'react';
import {
  ErrorPanel,
  InfoCard,
  StructuredMetadataTable,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { humanizeEntityRef, useEntity } from '@backstage/plugin-catalog-react';
import {
  K2ServiceTarget,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';

function share(target: K2ServiceTarget, weight: number) {
  const total = target.clusters.reduce((sum, c) => sum + c.weight, 0);
  return Math.round((weight / total) * 100);
}

const columns: TableColumn<K2ServiceTarget>[] = [
  {
    title: 'Environment',
    render: t => (
      <>
        <Typography variant="body2">
          <strong>{t.environment.title}</strong> ({t.environment.name})
        </Typography>
        {t.environment.approval.required ? (
          <Chip
            size="small"
            label={`Approval: ${humanizeEntityRef(
              parseEntityRef(t.environment.approval.approverGroup!),
              { defaultKind: 'group' },
            )}`}
          />
        ) : (
          <Chip size="small" variant="outlined" label="Self-service" />
        )}
        {t.domain && (
          <Typography variant="caption" display="block">
            {t.domain}
          </Typography>
        )}
      </>
    ),
  },
  {
    title: 'Clusters',
    render: t =>
      t.clusters.map(c => (
        <Typography variant="body2" key={c.name} noWrap>
          {c.name}
          {t.clusters.length > 1 ? ` — ${share(t, c.weight)}%` : ''}
        </Typography>
      )),
  },
  { title: 'Namespace', field: 'namespace' },
  {
    title: 'Replicas × limit',
    render: t => {
      const { cpu, memory } = t.environment.defaults.resources;
      return `${t.replicas} × ${cpu} CPU · ${memory}`;
    },
  },
];

/** Where a service runs and how it is released, from its annotations and the K2 config. */
export function K2EnvironmentsCard() {
  const { entity } = useEntity();
  const config = useApi(configApiRef);
  const result = useMemo(() => {
    try {
      return { spec: readServiceSpec(entity, readEnvironmentModel(config)) };
    } catch (error) {
      return { error: error as Error };
    }
  }, [entity, config]);

  if (result.error) {
    return (
      <ErrorPanel
        defaultExpanded
        title="K2 configuration is invalid"
        error={result.error}
      />
    );
  }
  const { spec } = result;
  return (
    <InfoCard
      title="K2 environments"
      subheader="Where this service runs and how it is released"
    >
      {spec.problems.length > 0 && (
        <WarningPanel
          defaultExpanded
          title={`${spec.problems.length} problem(s) in this service's K2 annotations`}
          message={
            <ul>
              {spec.problems.map(problem => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          }
        />
      )}
      <Table<K2ServiceTarget>
        // Not draggable: material-table wraps each sortable header in a drag handle
        // with role="button", two nested controls screen readers cannot tell apart.
        options={{
          paging: false,
          search: false,
          toolbar: false,
          padding: 'dense',
          draggable: false,
        }}
        columns={columns}
        data={spec.targets}
        emptyContent={
          <Typography style={{ padding: 16 }}>
            This service names no known environment in k2.io/environments.
          </Typography>
        }
      />
      <StructuredMetadataTable
        dense
        metadata={{
          Language: spec.language ?? 'not set (k2.io/language)',
          Image: spec.image ?? 'not set (k2.io/image)',
          Port: spec.port,
          'Health check': spec.healthPath,
        }}
      />
    </InfoCard>
  );
}
