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
import { EntityRef } from './EntityRef';
import { imageTag, readyCounts } from './format';
import { clusterHealth, HealthStatus } from './health';
import { deployMessages } from './messages';
import { ReleaseDialog } from './ReleaseDialog';
import { ReleaseProgress } from './ReleaseProgress';
import { ReleaseStatus } from './ReleaseStatus';
import { ScaleDialog } from './ScaleDialog';
import { useEnvironmentReleases } from './useEnvironmentReleases';

export interface Abilities {
  release: boolean;
  scale: boolean;
  restart: boolean;
}

type Open =
  | { kind: 'release' }
  | { kind: 'scale' }
  | { kind: 'restart' }
  | { kind: 'adopt' }
  | { kind: 'reject'; release: K2Release }
  | { kind: 'withdraw'; release: K2Release };

const REFUSED = deployMessages.refused;
const nowrap = { whiteSpace: 'nowrap' } as const;

/** Per cluster: the image it runs, ready of desired replicas, and its health. */
function ClusterTable({
  environment,
  runtime,
}: {
  environment: string;
  runtime?: K2EnvironmentRuntime;
}) {
  const m = deployMessages.overview;
  if (!runtime) return null;
  return (
    <Table size="small" aria-label={m.clustersOf(environment)}>
      <TableHead>
        <TableRow>
          <TableCell style={nowrap}>{m.cluster}</TableCell>
          <TableCell style={nowrap}>{m.image}</TableCell>
          <TableCell style={nowrap} align="right">
            {m.replicas}
          </TableCell>
          <TableCell style={nowrap}>{m.health}</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {runtime.clusters.map(c => {
          const { ready, desired } = readyCounts(c);
          const image = c.workloads[0]?.images[0];
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
                    {m.noWorkload}
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
  const m = deployMessages.overview;
  const api = useApi(k2DeployApiRef);
  const [open, setOpen] = useState<Open>();
  const [approveError, setApproveError] = useState<Error>();
  const history = useEnvironmentReleases(service, environment.name);
  const { waiting, inFlight, current } = history;
  const newest = history.releases[0];
  // Whether this user approves the waiting release: the policy decides, per release.
  const approval = usePermission({
    permission: k2ReleaseApprovePermission,
    resourceRef: waiting?.id,
  });
  const runningImage = props.runtime?.clusters.flatMap(c => c.workloads)[0]
    ?.images[0];
  // Adoption is for an environment K2 never released to; one whose releases all
  // failed says what runs without offering it.
  const unreleased = history.page && history.total === 0 && runningImage;
  const noSuccess =
    history.page && history.total > 0 && !current && runningImage;

  const after = async (action: Promise<unknown>) => {
    await action;
    setOpen(undefined);
    history.refresh();
    props.onChange();
  };
  /** Why an action is not available now, or undefined when it is. */
  const why = (kind: 'release' | 'scale' | 'restart'): string | undefined => {
    if (!can[kind]) return REFUSED;
    const b = inFlight ?? (kind === 'release' ? waiting : undefined);
    if (b) {
      return b === waiting
        ? deployMessages.blockedBy.waiting(b.number)
        : deployMessages.blockedBy.inFlight(b.number);
    }
    if (kind !== 'release' && !current) {
      return unreleased
        ? deployMessages.blockedBy.adoptFirst
        : deployMessages.blockedBy.releaseFirst;
    }
    return undefined;
  };

  return (
    <section aria-label={`${environment.title} environment`}>
      <InfoCard
        title={
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            {environment.title}
            {environment.approval.required && (
              <Chip size="small" label="Approval required" />
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
        <Box mb={2} aria-label={m.whatRuns(environment.title)}>
          {current && (
            <Typography variant="body1" component="div">
              <strong>{m.running(current.number)}</strong>
              {': '}
              <Mono title={current.spec.image}>
                {imageTag(current.spec.image)}
              </Mono>
              {` × ${current.spec.replicas}`}
              {current.spec.autoscaling
                ? ` (autoscale ${current.spec.autoscaling.minReplicas}–${current.spec.autoscaling.maxReplicas})`
                : ''}
              <Typography
                variant="body2"
                color="textSecondary"
                component="span"
                display="block"
              >
                {m.releasedBy} <EntityRef entityRef={current.createdBy} />{' '}
                <RelativeTime value={current.finishedAt ?? current.createdAt} />
              </Typography>
            </Typography>
          )}
          {unreleased && (
            <>
              <Typography variant="body1">
                {m.notReleased(imageTag(runningImage))}
              </Typography>
              <Typography variant="body2" color="textSecondary">
                {m.notReleasedHint}
              </Typography>
            </>
          )}
          {noSuccess && (
            <Typography variant="body1">
              {m.runningWithoutSuccess(imageTag(runningImage))}
            </Typography>
          )}
          {history.page && !current && !runningImage && (
            <Typography variant="body2" color="textSecondary">
              {m.nothingRuns}
            </Typography>
          )}
          {history.error && !history.page && (
            <ErrorText error={history.error} />
          )}
        </Box>

        <Box
          display="flex"
          flexWrap="wrap"
          style={{ gap: 8 }}
          mb={2}
          role="group"
          aria-label={`Actions in ${environment.title}`}
        >
          <ActionButton
            variant="contained"
            disabledReason={why('release')}
            onClick={() => setOpen({ kind: 'release' })}
          >
            Release
          </ActionButton>
          {unreleased && (
            <ActionButton
              variant="outlined"
              disabledReason={can.release ? undefined : REFUSED}
              onClick={() => setOpen({ kind: 'adopt' })}
            >
              {deployMessages.adopt.action}
            </ActionButton>
          )}
          <ActionButton
            variant="outlined"
            disabledReason={why('scale')}
            onClick={() => setOpen({ kind: 'scale' })}
          >
            Scale
          </ActionButton>
          <ActionButton
            variant="outlined"
            disabledReason={why('restart')}
            onClick={() => setOpen({ kind: 'restart' })}
          >
            Restart
          </ActionButton>
          <Box flex={1} />
          <Button
            component={RouterLink}
            to={`history?environment=${encodeURIComponent(environment.name)}`}
            size="small"
          >
            {m.history} ({history.total})
          </Button>
        </Box>

        {newest &&
          (newest.status === 'failed' || newest.status === 'timed-out') && (
            <Box mb={2} aria-label={m.lastFailed}>
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
                    ? 'Release waiting for approval'
                    : 'Release in flight'
                }
              >
                <Box
                  display="flex"
                  alignItems="center"
                  style={{ gap: 8 }}
                  mb={1}
                >
                  <Typography variant="subtitle2" component="h3">
                    #{active.number} {imageTag(active.spec.image)} by{' '}
                    <EntityRef entityRef={active.createdBy} />
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
                              ? deployMessages.blockedBy.inFlight(
                                  inFlight.number,
                                )
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
                          Approve
                        </ActionButton>
                        <ActionButton
                          variant="outlined"
                          destructive
                          onClick={() =>
                            setOpen({ kind: 'reject', release: active })
                          }
                        >
                          Reject
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
                        Withdraw
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
                      Waiting for a member of{' '}
                      <EntityRef
                        entityRef={environment.approval.approverGroup}
                      />
                      .
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
            onClose={() => setOpen(undefined)}
            onSubmit={input => after(api.release(service, input))}
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
            title={`Restart ${environment.title}?`}
            confirm="Restart"
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.restart(service, environment.name))}
          >
            Every pod is replaced, one at a time, each new one ready before an
            old one stops. Nothing else changes.
          </ActionDialog>
        )}
        {open?.kind === 'adopt' && runningImage && (
          <ActionDialog
            title={deployMessages.adopt.title(environment.title)}
            confirm={deployMessages.adopt.confirm}
            busyLabel={deployMessages.adopt.busy}
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.adopt(service, environment.name))}
            preview={
              <ClusterTable
                environment={environment.title}
                runtime={props.runtime}
              />
            }
          >
            {deployMessages.adopt.body}
          </ActionDialog>
        )}
        {open?.kind === 'reject' && (
          <ActionDialog
            title={`Reject release #${open.release.number}?`}
            confirm="Reject"
            destructive
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.reject(open.release.id))}
          >
            Nothing is changed in the clusters; the release ends as rejected.
          </ActionDialog>
        )}
        {open?.kind === 'withdraw' && (
          <ActionDialog
            title={`Withdraw release #${open.release.number}?`}
            confirm="Withdraw"
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.cancel(open.release.id))}
          >
            It stops waiting for approval and ends as withdrawn; nothing is
            changed in the clusters.
          </ActionDialog>
        )}
      </InfoCard>
    </section>
  );
}
