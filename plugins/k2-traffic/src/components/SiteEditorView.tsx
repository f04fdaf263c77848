import { useEffect, useMemo, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { InfoCard } from '@backstage/core-components';
import {
  ActionButton,
  EnvironmentSwitcher,
  useEnvironmentParam,
  ViewState,
} from '@internal/plugin-k2-react';
import {
  K2TrafficSite,
  K2TrafficSiteView,
  K2TrafficTemplateList,
} from '@internal/plugin-k2-traffic-common';
import Box from '@material-ui/core/Box';
import Alert from '@material-ui/lab/Alert';
import { k2TrafficApiRef } from '../api/K2TrafficApi';
import { useTrafficT } from '../translation';
import { PublishDialog } from './PublishDialog';
import { SiteForm } from './SiteForm';
import { emptySite } from './siteDocument';
import { useLoad } from './useLoad';
import {
  clusterOf,
  ClustersState,
  K2TrafficService,
  PublishRights,
  TrafficEnvironment,
} from './types';

/**
 * Edit site: one environment's site as a form, starting from the published version
 * (or a new site), then Publish… with a message and a preview of the change against
 * the published version. A refusal that names a field (`site.upstreams[0]…`) is shown
 * on that field; a refusal of the whole config (`nginx -t`) in the dialog.
 */
export function SiteEditorView(props: {
  service: K2TrafficService;
  environments: TrafficEnvironment[];
  clusters: ClustersState;
  rights(environment: TrafficEnvironment): PublishRights;
  onPublished(): void;
}) {
  const t = useTrafficT();
  const api = useApi(k2TrafficApiRef);
  const [param, setParam] = useEnvironmentParam();
  const environment =
    props.environments.find(e => e.name === param) ?? props.environments[0];
  const cluster = clusterOf(props.clusters.value, environment.name);
  const served = Boolean(cluster);
  const templates = useLoad(() => api.getTemplates(), [api]);
  const site = useLoad(
    () =>
      served
        ? api.getSite(props.service, environment.name)
        : Promise.resolve(undefined),
    [api, props.service, environment.name, served],
  );

  return (
    <>
      <Box mb={2}>
        <EnvironmentSwitcher
          environments={props.environments}
          value={environment.name}
          onChange={setParam}
        />
      </Box>
      {props.clusters.value && !cluster ? (
        <ViewState
          value={[]}
          isEmpty={() => true}
          emptyTitle={t('overview.noCluster', {
            environment: environment.title,
          })}
          emptyDescription={t('overview.noClusterHint')}
        >
          {() => null}
        </ViewState>
      ) : (
        <ViewState
          value={
            site.value && templates.value
              ? { view: site.value, templates: templates.value }
              : undefined
          }
          error={site.error ?? templates.error ?? props.clusters.error}
          isEmpty={() => false}
          emptyTitle=""
        >
          {({ view, templates: list }) => (
            <SiteEditor
              key={environment.name}
              service={props.service}
              environment={environment}
              view={view}
              templates={list}
              refusal={props.rights(environment).refusal}
              onPublished={() => {
                site.refresh();
                props.onPublished();
              }}
            />
          )}
        </ViewState>
      )}
    </>
  );
}

function SiteEditor(props: {
  service: K2TrafficService;
  environment: TrafficEnvironment;
  view: K2TrafficSiteView;
  templates: K2TrafficTemplateList;
  refusal?: string;
  onPublished(): void;
}) {
  const { view, environment } = props;
  const t = useTrafficT();
  const firstTemplate = props.templates.items[0]?.name ?? 'default';
  const published = view.current?.site;
  const initial = useMemo<K2TrafficSite>(
    () => published ?? emptySite(firstTemplate),
    [published, firstTemplate],
  );
  const [draft, setDraft] = useState<K2TrafficSite>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState('');
  const [publishing, setPublishing] = useState(false);
  // What the last publish did: a version published, or a change waiting for approval.
  const [outcome, setOutcome] = useState<string>();
  useEffect(() => setDraft(initial), [initial]);

  const change = (next: K2TrafficSite) => {
    setDraft(next);
    setOutcome(undefined);
  };
  const errorCount = Object.keys(errors).length;
  return (
    <InfoCard
      title={t('editor.title', { environment: environment.title })}
      subheader={
        view.current
          ? t('editor.startsFrom', { number: String(view.current.number) })
          : t('editor.startsEmpty')
      }
    >
      {outcome !== undefined && (
        <Box mb={2}>
          <Alert severity="success">{outcome}</Alert>
        </Box>
      )}
      {errorCount > 0 && (
        <Box mb={2}>
          <Alert severity="error">
            {t('editor.refused', { count: errorCount })}
          </Alert>
        </Box>
      )}
      <SiteForm
        site={draft}
        testDomain={view.testDomain}
        templates={props.templates}
        errors={errors}
        onChange={change}
      />
      <Box mt={3} display="flex" style={{ gap: 8 }}>
        <ActionButton
          variant="contained"
          disabledReason={props.refusal}
          onClick={() => setPublishing(true)}
        >
          {t('editor.publish')}
        </ActionButton>
        <ActionButton
          disabledReason={draft === initial ? '' : undefined}
          onClick={() => {
            setDraft(initial);
            setErrors({});
          }}
        >
          {t('editor.reset')}
        </ActionButton>
      </Box>
      {publishing && (
        <PublishDialog
          service={props.service}
          environment={environment}
          cluster={view.cluster}
          current={view.current}
          site={draft}
          message={message}
          onMessage={setMessage}
          onClose={() => setPublishing(false)}
          onFieldErrors={fieldErrors => {
            setErrors(fieldErrors);
            setPublishing(false);
          }}
          onPublished={result => {
            setErrors({});
            setMessage('');
            setPublishing(false);
            setOutcome(
              'number' in result
                ? t('publish.published', { number: String(result.number) })
                : t('publish.waiting', { id: String(result.id) }),
            );
            props.onPublished();
          }}
        />
      )}
    </InfoCard>
  );
}
