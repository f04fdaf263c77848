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
import {
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';
import { k2AppTranslationRef } from '../translations/translation';

type AppT = TranslationFunction<typeof k2AppTranslationRef.T>;

function share(target: K2ServiceTarget, weight: number) {
  const total = target.clusters.reduce((sum, c) => sum + c.weight, 0);
  return Math.round((weight / total) * 100);
}

const targetColumns = (tr: AppT): TableColumn<K2ServiceTarget>[] => [
  {
    title: tr('environments.environment'),
    render: t => (
      <>
        <Typography variant="body2">
          <strong>{t.environment.title}</strong> ({t.environment.name})
        </Typography>
        {t.environment.approval.required ? (
          <Chip
            size="small"
            label={tr('environments.approval', {
              group: humanizeEntityRef(
                parseEntityRef(t.environment.approval.approverGroup!),
                { defaultKind: 'group' },
              ),
            })}
          />
        ) : (
          <Chip
            size="small"
            variant="outlined"
            label={tr('environments.selfService')}
          />
        )}
        {t.domain && (
          <Typography variant="caption" display="block" noWrap>
            {t.domain}
          </Typography>
        )}
      </>
    ),
  },
  {
    title: tr('environments.clusters'),
    render: t =>
      t.clusters.map(c => (
        <Typography variant="body2" key={c.name} noWrap>
          {c.name}
          {t.clusters.length > 1 ? ` — ${share(t, c.weight)}%` : ''}
        </Typography>
      )),
  },
  { title: tr('environments.namespace'), field: 'namespace' },
  {
    title: tr('environments.replicas'),
    render: t => {
      const { cpu, memory } = t.environment.defaults.resources;
      return tr('environments.replicasValue', {
        replicas: String(t.replicas),
        cpu: String(cpu),
        memory: String(memory),
      });
    },
  },
];

/** Where a service runs and how it is released, from its annotations and the K2 config. */
export function K2EnvironmentsCard() {
  const { t: tr } = useTranslationRef(k2AppTranslationRef);
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
        title={tr('environments.invalidConfig')}
        error={result.error}
      />
    );
  }
  const { spec } = result;
  return (
    <InfoCard
      title={tr('environments.title')}
      subheader={tr('environments.subheader')}
    >
      {spec.problems.length > 0 && (
        <WarningPanel
          defaultExpanded
          title={tr('environments.problems', {
            count: spec.problems.length,
          })}
        >
          {/* Children, not `message`: the panel sets its message in a <p>. */}
          <ul>
            {spec.problems.map(problem => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </WarningPanel>
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
        columns={targetColumns(tr)}
        data={spec.targets}
        emptyContent={
          <Typography style={{ padding: 16 }}>
            {tr('environments.empty')}
          </Typography>
        }
      />
      <StructuredMetadataTable
        dense
        metadata={{
          [tr('environments.language')]:
            spec.language ?? tr('environments.languageUnset'),
          [tr('environments.image')]:
            spec.image ?? tr('environments.imageUnset'),
          [tr('environments.port')]: spec.port,
          [tr('environments.healthCheck')]: spec.healthPath,
        }}
      />
    </InfoCard>
  );
}
