import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Content, InfoCard, Progress } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  isBuildFinished,
  K2Build,
  K2BuildsService,
} from '@internal/plugin-k2-builds-common';
import {
  k2BuildLogsReadPermission,
  k2BuildRunPermission,
  readEnvironmentModel,
} from '@internal/plugin-k2-common';
import { ActionButton, useLoad, ViewState } from '@internal/plugin-k2-react';
import { k2BuildsApiRef } from '../api/K2BuildsApi';
import { useBuildsT } from '../translation';
import { BuildDialog } from './BuildDialog';
import { BuildDrawer } from './BuildDrawer';
import { BuildsTable } from './BuildsTable';
import { SettingsCard } from './SettingsCard';
import { usePolling } from './usePolling';
import { BuildsScope, settingsRefusal } from './types';

/** Builds per page of the history. */
export const BUILDS_PAGE = 20;

/**
 * While a build on the page shown is queued or running (and the browser shows the
 * page), the history is read this often: the Builds backend announces nothing, so its
 * status, duration and digest change on screen by reading again.
 */
export const HISTORY_REFRESH_MS = 3000;

/**
 * The Builds tab: what a build of the service uses (and why it cannot build, when it
 * cannot), Build for owners, and the history a page at a time; a build opens in a
 * drawer (`?build=N`, so a link or a reload opens it again) with its log followed live.
 */
export function BuildsTab() {
  const t = useBuildsT();
  const { entity } = useEntity();
  const config = useApi(configApiRef);
  const api = useApi(k2BuildsApiRef);
  const resourceRef = stringifyEntityRef(entity);
  const service: K2BuildsService = useMemo(
    () => ({
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    }),
    [entity],
  );
  const titles = useMemo(() => {
    try {
      return new Map(
        readEnvironmentModel(config).environments.map(e => [e.name, e.title]),
      );
    } catch {
      // Titles are a nicety here: a broken model shows environments by name.
      return new Map<string, string>();
    }
  }, [config]);
  const run = usePermission({ permission: k2BuildRunPermission, resourceRef });
  const logs = usePermission({
    permission: k2BuildLogsReadPermission,
    resourceRef,
  });
  const scope: BuildsScope = {
    service,
    environmentTitle: name => titles.get(name) ?? name,
    runRefusal: run.allowed ? undefined : t('refused.owners'),
    logsRefusal: logs.allowed ? undefined : t('refused.logs'),
  };

  const [params, setParams] = useSearchParams();
  const selected = Number(params.get('build')) || undefined;
  const open = useCallback(
    (number: number | undefined) =>
      setParams(p => {
        const next = new URLSearchParams(p);
        if (number) next.set('build', String(number));
        else next.delete('build');
        return next;
      }),
    [setParams],
  );

  // The `before` of each page older than the first, for Newer and Older.
  const [cursors, setCursors] = useState<number[]>([]);
  const before = cursors[cursors.length - 1];
  const [live, setLive] = useState(false);
  const settings = useLoad(() => api.getBuildSettings(service), [api, service]);
  const history = useLoad(async () => {
    const page = await api.getBuilds(service, {
      limit: BUILDS_PAGE,
      ...(before ? { before } : {}),
    });
    setLive(page.items.some(b => !isBuildFinished(b.status)));
    return page;
  }, [api, service, before]);
  usePolling(history.reload, HISTORY_REFRESH_MS, live);
  const [dialog, setDialog] = useState(false);

  const buildRefusal =
    scope.runRefusal ??
    (settings.value
      ? settingsRefusal(settings.value, {
          problems: t('refused.problems'),
          unavailable: reason => t('refused.unavailable', { reason }),
        })
      : '');
  const buildButton = (
    <ActionButton
      variant="contained"
      disabledReason={buildRefusal}
      onClick={() => setDialog(true)}
    >
      {t('build.button')}
    </ActionButton>
  );
  if (run.loading || logs.loading) return <Progress />;
  return (
    <Content>
      <Box mb={3}>
        <ViewState
          value={settings.value}
          error={settings.error}
          isEmpty={() => false}
          emptyTitle=""
        >
          {value => (
            <SettingsCard scope={scope} settings={value} action={buildButton} />
          )}
        </ViewState>
      </Box>
      <InfoCard title={t('history.title')}>
        <ViewState
          value={history.value}
          error={history.error}
          isEmpty={v => v.items.length === 0 && cursors.length === 0}
          emptyTitle={t('history.empty')}
          emptyDescription={t('history.emptyHint')}
          inline
        >
          {page => (
            <>
              <BuildsTable
                builds={page.items}
                selected={selected}
                onOpen={open}
                environmentTitle={scope.environmentTitle}
              />
              <Box mt={1} display="flex" alignItems="center" style={{ gap: 8 }}>
                <Button
                  disabled={cursors.length === 0}
                  onClick={() => setCursors(c => c.slice(0, -1))}
                >
                  {t('history.newer')}
                </Button>
                <Typography variant="body2" color="textSecondary">
                  {t('history.page', { page: String(cursors.length + 1) })}
                  {' · '}
                  {t('history.total', { count: page.total })}
                </Typography>
                <Button
                  disabled={!page.nextBefore}
                  onClick={() => setCursors(c => [...c, page.nextBefore!])}
                >
                  {t('history.older')}
                </Button>
              </Box>
            </>
          )}
        </ViewState>
      </InfoCard>
      {dialog && settings.value && (
        <BuildDialog
          scope={scope}
          settings={settings.value}
          onClose={() => setDialog(false)}
          onStarted={(build: K2Build) => {
            setDialog(false);
            setCursors([]);
            history.reload();
            open(build.number);
          }}
        />
      )}
      {selected && (
        <BuildDrawer
          key={selected}
          scope={scope}
          number={selected}
          onClose={() => open(undefined)}
          onChanged={history.reload}
        />
      )}
    </Content>
  );
}
