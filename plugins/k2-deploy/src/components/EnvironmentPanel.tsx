import { useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  k2ReleaseApprovePermission,
  K2EnvironmentRuntime,
  K2Release,
  K2ServiceTarget,
} from '@internal/plugin-k2-common';
import {
  ActionButton,
  ActionDialog,
  ErrorText,
  Mono,
  RelativeTime,
} from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { CanaryCard, useCanary } from './CanaryCard';
import { EntityRef } from './EntityRef';
import { imageTag, readyCounts } from './format';
import { clusterHealth, HealthStatus } from './health';
import { useDeployT } from '../translation';
import { ReleaseDialog } from './ReleaseDialog';
import { ReleaseProgress } from './ReleaseProgress';
import { ReleaseStatus } from './ReleaseStatus';
import { ScaleDialog } from './ScaleDialog';
import { useEnvironmentReleases } from './useEnvironmentReleases';

export interface Abilities {
  release: boolean;
  scale: boolean;
  restart: boolean;
  /** Start a canary where releases need approval (platform admins). */
  canaryWhereApproved?: boolean;
}

type Open =
  | { kind: 'release' }
  | { kind: 'scale' }
  | { kind: 'restart' }
  | { kind: 'adopt' }
  | { kind: 'reject'; release: K2Release }
  | { kind: 'withdraw'; release: K2Release };

const nowrap = { whiteSpace: 'nowrap' } as const;

/** Per cluster: the image it runs, ready of desired replicas, and its health. */
function ClusterTable({
  environment,
  runtime,
}: {
  environment: string;
  runtime?: K2EnvironmentRuntime;
}) {
  const t = useDeployT();
  if (!runtime) return null;
  return (
    <Table size="small" aria-label={t('overview.clustersOf', { environment })}>
      <TableHead>
        <TableRow>
          <TableCell style={nowrap}>{t('overview.cluster')}</TableCell>
          <TableCell style={nowrap}>{t('overview.image')}</TableCell>
          <TableCell style={nowrap} align="right">
            {t('overview.replicas')}
          </TableCell>
          <TableCell style={nowrap}>{t('overview.health')}</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {runtime.clusters.map(c => {
          const { ready, desired } = readyCounts(c);
          // The stable workload's image; a canary shows on its own card.
          const image = c.workloads.find(w => w.track !== 'canary')?.images[0];
          return (
            <TableRow key={c.cluster}>
              <TableCell>
                <Mono>{c.cluster}</Mono>
              </TableCell>
              <TableCell>
                {image ? (
                  <Mono title={image}>{imageTag(image)}</Mono>
                ) : (
                  <Typography variant="body2" color="textSecondary">
                    {t('overview.noWorkload')}
                  </Typography>
                )}
              </TableCell>
              <TableCell align="right" style={nowrap}>
                {ready}/{desired}
              </TableCell>
              <TableCell>
                <HealthStatus health={clusterHealth(c)} />
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}

/**
 * One environment on the Deploy overview: what runs (release, image, who and when;
 * or a workload K2 did not release, which owners may adopt), ready of desired replicas
 * and health per cluster, the release in flight or waiting for approval with its
 * progress, and the environment's actions. Its history is on the History view.
 */
export function EnvironmentPanel(props: {
  service: ServiceName;
  target: K2ServiceTarget;
  imageRepository?: string;
  runtime?: K2EnvironmentRuntime;
  can: Abilities;
  onChange(): void;
}) {
  const { service, target, can } = props;
  const environment = target.environment;
  const t = useDeployT();
  const REFUSED = t('refused');
  const api = useApi(k2DeployApiRef);
  const [open, setOpen] = useState<Open>();
  const [approveError, setApproveError] = useState<Error>();
  const history = useEnvironmentReleases(service, environment.name);
  const canary = useCanary(service, environment.name);
  const { waiting, inFlight, current } = history;
  const newest = history.releases[0];
  // Whether this user approves the waiting release: the policy decides, per release.
  const approval = usePermission({
    permission: k2ReleaseApprovePermission,
    resourceRef: waiting?.id,
  });
  const runningImage = props.runtime?.clusters
    .flatMap(c => c.workloads)
    .find(w => w.track !== 'canary')?.images[0];
  // Adoption is for an environment K2 never released to; one whose releases all
  // failed says what runs without offering it.
  const unreleased = history.page && history.total === 0 && runningImage;
  const noSuccess =
    history.page && history.total > 0 && !current && runningImage;

  const after = async (action: Promise<unknown>) => {
    await action;
    setOpen(undefined);
    history.refresh();
    canary.refresh();
    props.onChange();
  };
  /** Why this user cannot start a canary here now, or undefined when they can. */
  const canaryRefusal = (): string | undefined => {
    if (!can.release) return REFUSED;
    if (environment.approval.required && !can.canaryWhereApproved) {
      return t('releaseDialog.canaryAdminsOnly', {
        environment: environment.title,
      });
    }
    if (!current) return t('releaseDialog.canaryNeedsRelease');
    if (canary.value?.canary?.status === 'running') {
      return t('releaseDialog.canaryRunning');
    }
    return undefined;
  };
  /** Why an action is not available now, or undefined when it is. */
  const why = (kind: 'release' | 'scale' | 'restart'): string | undefined => {
    if (!can[kind]) return REFUSED;
    // Every action starts from the running release: not before it is known.
    if (!history.page) return t('blockedBy.loading');
    const b = inFlight ?? (kind === 'release' ? waiting : undefined);
    if (b) {
      return b === waiting
        ? t('blockedBy.waiting', { number: String(b.number) })
        : t('blockedBy.inFlight', { number: String(b.number) });
    }
    if (kind !== 'release' && !current) {
      return unreleased
        ? t('blockedBy.adoptFirst')
        : t('blockedBy.releaseFirst');
    }
    return undefined;
  };

  return (
    <section
      aria-label={t('overview.environment', { environment: environment.title })}
    >
      <InfoCard
        title={
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            {environment.title}
            {environment.approval.required && (
              <Chip size="small" label={t('overview.approvalRequired')} />
            )}
          </Box>
        }
        subheader={
          <Box component="span" display="block">
            <Mono>{target.namespace}</Mono>
            {' · '}
            {target.clusters.map(c => c.name).join(', ')}
          </Box>
        }
      >
        <Box
          mb={2}
          aria-label={t('overview.whatRuns', {
            environment: environment.title,
          })}
        >
          {current && (
            <Typography variant="body1" component="div">
              <strong>
                {t('overview.running', { number: String(current.number) })}
              </strong>
              {': '}
              <Mono title={current.spec.image}>
                {imageTag(current.spec.image)}
              </Mono>
              {` × ${current.spec.replicas}`}
              {current.spec.autoscaling
                ? t('history.autoscale', {
                    min: String(current.spec.autoscaling.minReplicas),
                    max: String(current.spec.autoscaling.maxReplicas),
                  })
                : ''}
              <Typography
                variant="body2"
                color="textSecondary"
                component="span"
                display="block"
              >
                {t('overview.releasedBy')}{' '}
                <EntityRef entityRef={current.createdBy} />{' '}
                <RelativeTime value={current.finishedAt ?? current.createdAt} />
              </Typography>
            </Typography>
          )}
          {unreleased && (
            <>
              <Typography variant="body1">
                {t('overview.notReleased', { version: imageTag(runningImage) })}
              </Typography>
              <Typography variant="body2" color="textSecondary">
                {t('overview.notReleasedHint')}
              </Typography>
            </>
          )}
          {noSuccess && (
            <Typography variant="body1">
              {t('overview.runningWithoutSuccess', {
                version: imageTag(runningImage),
              })}
            </Typography>
          )}
          {history.page && !current && !runningImage && (
            <Typography variant="body2" color="textSecondary">
              {t('overview.nothingRuns')}
            </Typography>
          )}
          {history.error && !history.page && (
            <ErrorText error={history.error} />
          )}
        </Box>

        <CanaryCard
          environment={{
            name: environment.name,
            title: environment.title,
            approval: environment.approval.required,
          }}
          state={canary}
          refusal={can.release ? undefined : REFUSED}
          onPromote={() => after(api.promoteCanary(service, environment.name))}
          onAbort={() => after(api.abortCanary(service, environment.name))}
        />

        <Box
          display="flex"
          flexWrap="wrap"
          style={{ gap: 8 }}
          mb={2}
          role="group"
          aria-label={t('overview.actions', { environment: environment.title })}
        >
          <ActionButton
            variant="contained"
            disabledReason={why('release')}
            onClick={() => setOpen({ kind: 'release' })}
          >
            {t('overview.release')}
          </ActionButton>
          {unreleased && (
            <ActionButton
              variant="outlined"
              disabledReason={can.release ? undefined : REFUSED}
              onClick={() => setOpen({ kind: 'adopt' })}
            >
              {t('adopt.action')}
            </ActionButton>
          )}
          <ActionButton
            variant="outlined"
            disabledReason={why('scale')}
            onClick={() => setOpen({ kind: 'scale' })}
          >
            {t('overview.scale')}
          </ActionButton>
          <ActionButton
            variant="outlined"
            disabledReason={why('restart')}
            onClick={() => setOpen({ kind: 'restart' })}
          >
            {t('overview.restart')}
          </ActionButton>
          <Box flex={1} />
          <Button
            component={RouterLink}
            to={`history?environment=${encodeURIComponent(environment.name)}`}
            size="small"
          >
            {t('overview.historyCount', { total: String(history.total) })}
          </Button>
        </Box>

        {newest &&
          (newest.status === 'failed' || newest.status === 'timed-out') && (
            <Box mb={2} aria-label={t('overview.lastFailed')}>
              <Box display="flex" alignItems="center" style={{ gap: 8 }}>
                <Typography variant="subtitle2">
                  #{newest.number} {imageTag(newest.spec.image)}
                </Typography>
                <ReleaseStatus status={newest.status} />
              </Box>
              {newest.reason && (
                <Typography variant="body2" color="textSecondary">
                  {newest.reason}
                </Typography>
              )}
            </Box>
          )}

        {[inFlight, waiting].map(
          active =>
            active && (
              <Box
                key={active.id}
                mb={2}
                p={2}
                border={1}
                borderColor="divider"
                borderRadius={4}
                aria-label={
                  active === waiting
                    ? t('overview.waitingRelease')
                    : t('overview.inFlightRelease')
                }
              >
                <Box
                  display="flex"
                  alignItems="center"
                  style={{ gap: 8 }}
                  mb={1}
                >
                  <Typography variant="subtitle2" component="h3">
                    {t('overview.activeRelease', {
                      number: String(active.number),
                      version: imageTag(active.spec.image),
                      who: <EntityRef entityRef={active.createdBy} />,
                    })}
                  </Typography>
                  <ReleaseStatus status={active.status} />
                </Box>
                {active.message && (
                  <Typography variant="body2" gutterBottom>
                    “{active.message}”
                  </Typography>
                )}
                <ReleaseProgress release={active} runtime={props.runtime} />
                {active === waiting && (approval.allowed || can.release) && (
                  <Box display="flex" style={{ gap: 8 }} mt={1}>
                    {approval.allowed && (
                      <>
                        <ActionButton
                          variant="contained"
                          disabledReason={
                            inFlight
                              ? t('blockedBy.inFlight', {
                                  number: String(inFlight.number),
                                })
                              : undefined
                          }
                          onClick={() => {
                            setApproveError(undefined);
                            // Approval has no dialog; a refusal is shown here.
                            after(api.approve(active.id)).catch(
                              setApproveError,
                            );
                          }}
                        >
                          {t('overview.approve')}
                        </ActionButton>
                        <ActionButton
                          variant="outlined"
                          destructive
                          onClick={() =>
                            setOpen({ kind: 'reject', release: active })
                          }
                        >
                          {t('overview.reject')}
                        </ActionButton>
                      </>
                    )}
                    {/* The requester and the owners: k2.release.create on the service. */}
                    {can.release && (
                      <Button
                        variant="outlined"
                        onClick={() =>
                          setOpen({ kind: 'withdraw', release: active })
                        }
                      >
                        {t('overview.withdraw')}
                      </Button>
                    )}
                  </Box>
                )}
                {active === waiting && approveError && (
                  <ErrorText error={approveError} />
                )}
                {active === waiting &&
                  !approval.allowed &&
                  !approval.loading && (
                    <Typography variant="caption" color="textSecondary">
                      {t('overview.waitingForApprover', {
                        group: (
                          <EntityRef
                            entityRef={environment.approval.approverGroup}
                          />
                        ),
                      })}
                    </Typography>
                  )}
              </Box>
            ),
        )}

        <ClusterTable environment={environment.title} runtime={props.runtime} />

        {open?.kind === 'release' && (
          <ReleaseDialog
            environment={{
              name: environment.name,
              title: environment.title,
              approval: environment.approval.required,
            }}
            current={current}
            runningImage={runningImage}
            imageRepository={props.imageRepository}
            listTags={() => api.getImageTags(service)}
            loadDefaults={() =>
              api.getReleaseDefaults(service, environment.name)
            }
            loadConfigFiles={() =>
              api.getConfigFiles(service, environment.name)
            }
            loadVolumeNames={() =>
              api.getVolumeNames(service, environment.name)
            }
            onPreview={input => api.previewRelease(service, input)}
            onClose={() => setOpen(undefined)}
            onSubmit={input => after(api.release(service, input))}
            canary={{
              refusal: canaryRefusal(),
              onStart: input =>
                after(api.startCanary(service, environment.name, input)),
            }}
          />
        )}
        {open?.kind === 'scale' && current && (
          <ScaleDialog
            environment={environment.title}
            replicas={current.spec.replicas}
            autoscaling={current.spec.autoscaling}
            recommend={() => api.getRecommendation(service, environment.name)}
            onClose={() => setOpen(undefined)}
            onScale={replicas =>
              after(api.scale(service, environment.name, replicas))
            }
            onAutoscale={a =>
              after(api.setAutoscaling(service, environment.name, a))
            }
          />
        )}
        {open?.kind === 'restart' && (
          <ActionDialog
            title={t('overview.restartTitle', {
              environment: environment.title,
            })}
            confirm={t('overview.restart')}
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.restart(service, environment.name))}
          >
            {t('overview.restartBody')}
          </ActionDialog>
        )}
        {open?.kind === 'adopt' && runningImage && (
          <ActionDialog
            title={t('adopt.title', { environment: environment.title })}
            confirm={t('adopt.confirm')}
            busyLabel={t('adopt.busy')}
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.adopt(service, environment.name))}
            preview={
              <ClusterTable
                environment={environment.title}
                runtime={props.runtime}
              />
            }
          >
            {t('adopt.body')}
          </ActionDialog>
        )}
        {open?.kind === 'reject' && (
          <ActionDialog
            title={t('overview.rejectTitle', {
              number: String(open.release.number),
            })}
            confirm={t('overview.reject')}
            destructive
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.reject(open.release.id))}
          >
            {t('overview.rejectBody')}
          </ActionDialog>
        )}
        {open?.kind === 'withdraw' && (
          <ActionDialog
            title={t('overview.withdrawTitle', {
              number: String(open.release.number),
            })}
            confirm={t('overview.withdraw')}
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.cancel(open.release.id))}
          >
            {t('overview.withdrawBody')}
          </ActionDialog>
        )}
      </InfoCard>
    </section>
  );
}
