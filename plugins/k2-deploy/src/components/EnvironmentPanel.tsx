import { useState } from 'react';
import { InfoCard, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  k2ReleaseApprovePermission,
  K2EnvironmentRuntime,
  K2Release,
  K2ServiceTarget,
} from '@internal/plugin-k2-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { ActionDialog } from './ActionDialog';
import { EntityRef } from './EntityRef';
import { ErrorText } from './ErrorText';
import { ago, imageTag, isActive } from './format';
import { HistoryTable } from './HistoryTable';
import { ReleaseDialog } from './ReleaseDialog';
import { ReleaseProgress } from './ReleaseProgress';
import { ReleaseStatus } from './ReleaseStatus';
import { ScaleDialog } from './ScaleDialog';
import { useLiveRefresh } from './useLiveRefresh';

export interface Abilities {
  release: boolean;
  scale: boolean;
  restart: boolean;
}

type Open =
  | { kind: 'release' }
  | { kind: 'scale' }
  | { kind: 'restart' }
  | { kind: 'rollback'; release: K2Release }
  | { kind: 'reject'; release: K2Release }
  | { kind: 'withdraw'; release: K2Release };

function RuntimeSummary({ runtime }: { runtime?: K2EnvironmentRuntime }) {
  if (!runtime) return null;
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 8 }} mt={1}>
      {runtime.clusters.map(c => {
        const ready = c.pods.filter(p => p.ready).length;
        return (
          <Tooltip
            key={c.cluster}
            title={
              c.health.stale
                ? `Last known data: ${c.health.error ?? c.health.status}`
                : c.warnings[0]?.message ?? `${c.health.status}`
            }
          >
            <Chip
              size="small"
              variant="outlined"
              color={
                c.health.stale || c.warnings.length ? 'secondary' : 'default'
              }
              label={`${c.cluster}: ${ready}/${c.pods.length} pods ready${
                c.health.stale ? ' (stale)' : ''
              }${c.warnings.length ? ` · ${c.warnings.length} warnings` : ''}`}
            />
          </Tooltip>
        );
      })}
    </Box>
  );
}

/** One environment of the service: what runs, what is rolling out, its history and actions. */
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
  const api = useApi(k2DeployApiRef);
  const [open, setOpen] = useState<Open>();
  const [older, setOlder] = useState<K2Release[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>();
  const [approveError, setApproveError] = useState<Error>();

  const history = useLiveRefresh(
    () =>
      api.getReleases(service, { environment: environment.name, limit: 20 }),
    {
      service,
      environment: environment.name,
      intervalMs: page => (page?.items.some(isActive) ? 1000 : 5000),
    },
    [service.namespace, service.name, environment.name],
  );
  const page = history.value;
  const releases = [...(page?.items ?? []), ...older];
  // A release waiting for approval does not block scale or restart; one in flight
  // (applying, rolling out) blocks every action until it ends.
  const waiting = releases.find(r => r.status === 'pending-approval');
  const inFlight = releases.find(r => isActive(r) && r !== waiting);
  const current = releases.find(r => r.status === 'succeeded');
  // Whether this user approves the waiting release: the policy decides, per release.
  const approval = usePermission({
    permission: k2ReleaseApprovePermission,
    resourceRef: waiting?.id,
  });
  const nextCursor =
    olderCursor === undefined ? page?.nextCursor : olderCursor ?? undefined;

  const after = async (action: Promise<unknown>) => {
    await action;
    setOpen(undefined);
    history.refresh();
    props.onChange();
  };
  /** What stands in the way of an action: one in flight, or (for releases) one waiting. */
  const blocker = (kind: 'release' | 'scale' | 'restart') =>
    inFlight ?? (kind === 'release' ? waiting : undefined);
  const why = (kind: 'release' | 'scale' | 'restart') => {
    if (!can[kind])
      return 'Only the service’s owners (and platform admins) may do this';
    const b = blocker(kind);
    if (!b) return '';
    return b === waiting
      ? `Release #${b.number} is waiting for approval`
      : `Release #${b.number} is in flight`;
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
          current ? (
            <>
              {`Running #${current.number}: ${imageTag(current.spec.image)} × ${
                current.spec.replicas
              }${
                current.spec.autoscaling
                  ? ` (autoscale ${current.spec.autoscaling.minReplicas}–${current.spec.autoscaling.maxReplicas})`
                  : ''
              } · released by `}
              <EntityRef entityRef={current.createdBy} />{' '}
              {ago(current.finishedAt)}
            </>
          ) : (
            `Namespace ${target.namespace} · ${target.clusters
              .map(c => c.name)
              .join(', ')}`
          )
        }
      >
        <Box
          display="flex"
          style={{ gap: 8 }}
          mb={2}
          role="group"
          aria-label={`Actions in ${environment.title}`}
        >
          {(
            [
              ['release', 'Release', can.release],
              ['scale', 'Scale', can.scale && Boolean(current)],
              ['restart', 'Restart', can.restart && Boolean(current)],
            ] as const
          ).map(([kind, label, allowed]) => (
            <Tooltip
              key={kind}
              title={why(kind) || (allowed ? '' : 'Release first')}
            >
              <span>
                <Button
                  variant={kind === 'release' ? 'contained' : 'outlined'}
                  color="primary"
                  disabled={!allowed || Boolean(blocker(kind))}
                  onClick={() => setOpen({ kind })}
                >
                  {label}
                </Button>
              </span>
            </Tooltip>
          ))}
        </Box>

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
                  <Typography variant="subtitle2">
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
                        <Button
                          variant="contained"
                          color="primary"
                          disabled={Boolean(inFlight)}
                          onClick={() => {
                            setApproveError(undefined);
                            // Approval has no dialog; a refusal is shown here.
                            after(api.approve(active.id)).catch(
                              setApproveError,
                            );
                          }}
                        >
                          Approve
                        </Button>
                        <Button
                          variant="outlined"
                          onClick={() =>
                            setOpen({ kind: 'reject', release: active })
                          }
                        >
                          Reject
                        </Button>
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

        <RuntimeSummary runtime={props.runtime} />

        <Box mt={2}>
          {history.error && !page ? (
            <ResponseErrorPanel error={history.error} />
          ) : (
            <HistoryTable
              environment={environment.title}
              releases={releases}
              total={page?.total ?? 0}
              canRollback={can.release && !blocker('release')}
              busy={Boolean(open)}
              hasMore={Boolean(nextCursor)}
              onMore={async () => {
                const more = await api.getReleases(service, {
                  environment: environment.name,
                  limit: 50,
                  before: nextCursor,
                });
                setOlder(o => [...o, ...more.items]);
                setOlderCursor(more.nextCursor ?? null);
              }}
              onRollback={release => setOpen({ kind: 'rollback', release })}
            />
          )}
        </Box>

        {open?.kind === 'release' && (
          <ReleaseDialog
            environment={{
              name: environment.name,
              title: environment.title,
              approval: environment.approval.required,
            }}
            current={current}
            runningImage={
              props.runtime?.clusters.flatMap(c => c.workloads)[0]?.images[0]
            }
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
        {open?.kind === 'rollback' && (
          <ActionDialog
            title={`Roll back ${environment.title} to #${open.release.number}?`}
            confirm="Roll back"
            onClose={() => setOpen(undefined)}
            onConfirm={() => after(api.rollback(open.release.id))}
          >
            A new release of #{open.release.number}'s spec (
            {imageTag(open.release.spec.image)} × {open.release.spec.replicas}),
            rolled out like any release
            {environment.approval.required ? ', after approval' : ''}.
          </ActionDialog>
        )}
        {open?.kind === 'reject' && (
          <ActionDialog
            title={`Reject release #${open.release.number}?`}
            confirm="Reject"
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
