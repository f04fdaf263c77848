import { ReactNode, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Tab from '@material-ui/core/Tab';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Tabs from '@material-ui/core/Tabs';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { isBuildFinished, K2Build } from '@internal/plugin-k2-builds-common';
import { K2ApiError } from '@internal/plugin-k2-common';
import {
  ActionButton,
  ActionDialog,
  DetailDrawer,
  Mono,
  RelativeTime,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2BuildsApiRef } from '../api/K2BuildsApi';
import { useBuildsT } from '../translation';
import { BuildLog } from './BuildLog';
import { TriggeredBy } from './BuildsTable';
import { BuildStatus } from './BuildStatus';
import { CopyButton } from './CopyButton';
import { DockerfileView } from './DockerfileView';
import { buildSeconds, formatDuration } from './format';
import { ReleaseLink } from './ReleaseLink';
import { BuildsScope } from './types';
import { usePolling } from './usePolling';

/**
 * While a build has not ended (and the browser shows the page), the drawer reads it
 * this often (its status, digest).
 */
export const BUILD_REFRESH_MS = 3000;

const useStyles = makeStyles(theme => ({
  label: {
    whiteSpace: 'nowrap',
    width: '1%',
    color: theme.palette.text.secondary,
    paddingLeft: 0,
    verticalAlign: 'top',
  },
}));

/**
 * One build in the drawer (`?build=N`): status and reason, ref and commit, image and
 * digest, the Dockerfile's origin, who started it, when it was queued, started and
 * ended, the release that followed; Cancel (after confirmation) while it is queued
 * or running; then its log, followed live while it runs, and the Dockerfile it used.
 * Logs and Dockerfiles are the owners' (and platform admins'): anyone else reads why
 * they are hidden, and they are never fetched.
 */
export function BuildDrawer(props: {
  scope: BuildsScope;
  number: number;
  onClose(): void;
  /** The build changed here (cancelled, or seen to end): the list reads it again. */
  onChanged(): void;
}) {
  const { scope, number } = props;
  const { service } = scope;
  const t = useBuildsT();
  const api = useApi(k2BuildsApiRef);
  const [tab, setTab] = useState<'log' | 'dockerfile'>('log');
  const [cancelling, setCancelling] = useState(false);
  const loaded = useLoad(
    () =>
      api.getBuild(service, number).catch(error => {
        if (error instanceof K2ApiError && error.statusCode === 404) {
          return null;
        }
        throw error;
      }),
    [api, service, number],
  );
  const fresh = loaded.value;
  const running = fresh ? !isBuildFinished(fresh.status) : false;
  const { reload } = loaded;
  usePolling(reload, BUILD_REFRESH_MS, running);

  // The log's end or a cancel: read the build again, and the list too.
  const changed = () => {
    reload();
    props.onChanged();
  };

  return (
    <DetailDrawer
      open
      title={t('drawer.title', { number: String(number) })}
      subtitle={fresh ? <BuildStatus status={fresh.status} /> : undefined}
      closeLabel={t('drawer.close')}
      onClose={props.onClose}
    >
      <ViewState
        value={fresh}
        error={loaded.error}
        isEmpty={v => v === null}
        emptyTitle={t('drawer.missing', { number: String(number) })}
        inline
      >
        {value => {
          const build = value!;
          // The drawer's paper is a flex column: nothing in it may shrink to scroll.
          return (
            <Box flexShrink={0}>
              <Box display="flex" justifyContent="flex-end" mb={1}>
                {running && (
                  <ActionButton
                    variant="outlined"
                    destructive
                    disabledReason={scope.runRefusal}
                    onClick={() => setCancelling(true)}
                  >
                    {t('drawer.cancel')}
                  </ActionButton>
                )}
              </Box>
              <BuildSummary build={build} scope={scope} />
              {scope.logsRefusal ? (
                <Typography variant="body2" color="textSecondary">
                  {scope.logsRefusal}
                </Typography>
              ) : (
                <>
                  <Tabs
                    value={tab}
                    onChange={(_e, next) => setTab(next)}
                    indicatorColor="primary"
                  >
                    <Tab value="log" label={t('drawer.log')} />
                    <Tab value="dockerfile" label={t('drawer.dockerfile')} />
                  </Tabs>
                  <Box mt={1} hidden={tab !== 'log'}>
                    <BuildLog
                      service={service}
                      build={build}
                      onBuild={changed}
                    />
                  </Box>
                  {tab === 'dockerfile' && (
                    <Box mt={1}>
                      <DockerfileView
                        service={service}
                        number={number}
                        status={build.status}
                      />
                    </Box>
                  )}
                </>
              )}
              {cancelling && (
                <ActionDialog
                  title={t('cancel.title', { number: String(number) })}
                  confirm={t('cancel.confirm')}
                  busyLabel={t('cancel.busy')}
                  destructive
                  onClose={() => setCancelling(false)}
                  onConfirm={async () => {
                    await api.cancelBuild(service, number);
                    setCancelling(false);
                    changed();
                  }}
                >
                  <Typography variant="body2">{t('cancel.explain')}</Typography>
                </ActionDialog>
              )}
            </Box>
          );
        }}
      </ViewState>
    </DetailDrawer>
  );
}

/** What a build is: its facts, one per row, each label a row header. */
function BuildSummary(props: { build: K2Build; scope: BuildsScope }) {
  const { build, scope } = props;
  const t = useBuildsT();
  const classes = useStyles();
  const seconds = buildSeconds(build);
  const rows: Array<[string, ReactNode] | false> = [
    Boolean(build.reason) && [
      t('drawer.reason'),
      <Typography variant="body2" color="error" component="span">
        {build.reason}
      </Typography>,
    ],
    [t('drawer.ref'), <Mono>{build.ref}</Mono>],
    [
      t('drawer.commit'),
      build.commit ? (
        <>
          <Mono>{build.commit}</Mono>
          {build.commitMessage && (
            <Typography variant="body2" color="textSecondary">
              {build.commitMessage}
            </Typography>
          )}
        </>
      ) : (
        t('history.noCommit')
      ),
    ],
    [t('drawer.image'), <Mono>{build.image}</Mono>],
    Boolean(build.imageDigest) && [
      t('drawer.digest'),
      <>
        <Mono>{build.imageDigest}</Mono>
        <CopyButton
          text={build.imageDigest!}
          label={`${t('history.copyDigest')} ${build.imageDigest}`}
        />
      </>,
    ],
    Boolean(build.dockerfileSource) && [
      t('drawer.dockerfile'),
      t(
        build.dockerfileSource === 'repository'
          ? 'drawer.repository'
          : 'drawer.generated',
      ),
    ],
    [t('drawer.trigger'), <TriggeredBy build={build} t={t} />],
    [t('drawer.runner'), t(`runners.${build.runner}`)],
    [t('drawer.queuedAt'), <RelativeTime value={build.createdAt} />],
    Boolean(build.startedAt) && [
      t('drawer.startedAt'),
      <RelativeTime value={build.startedAt} />,
    ],
    Boolean(build.finishedAt) && [
      t('drawer.finishedAt'),
      <RelativeTime value={build.finishedAt} />,
    ],
    seconds !== undefined && [t('drawer.duration'), formatDuration(seconds, t)],
    Boolean(
      build.release || (build.releaseTo && !isBuildFinished(build.status)),
    ) && [
      t('drawer.release'),
      <ReleaseLink build={build} environmentTitle={scope.environmentTitle} />,
    ],
  ];
  return (
    <Box overflow="auto" mb={2}>
      <Table
        size="small"
        aria-label={t('drawer.title', { number: String(build.number) })}
      >
        <TableBody>
          {rows
            .filter((row): row is [string, ReactNode] => Boolean(row))
            .map(([label, value]) => (
              <TableRow key={label}>
                <TableCell component="th" scope="row" className={classes.label}>
                  {label}
                </TableCell>
                <TableCell>{value}</TableCell>
              </TableRow>
            ))}
        </TableBody>
      </Table>
    </Box>
  );
}
