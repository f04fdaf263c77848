import { useState } from 'react';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  k2MiddlewareApprovePermission,
  k2MiddlewareConnectionReadPermission,
  k2MiddlewareManagePermission,
} from '@internal/plugin-k2-common';
import {
  K2MiddlewareEnvironmentPolicy,
  K2MiddlewareInstance,
} from '@internal/plugin-k2-middleware-store-common';
import {
  ActionButton,
  DetailDrawer,
  Mono,
  RelativeTime,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2MiddlewareStoreApiRef } from '../api/K2MiddlewareStoreApi';
import { useMiddlewareT } from '../translation';
import { ConnectionSection } from './ConnectionSection';
import {
  BindDialog,
  DecisionDialog,
  DeleteDialog,
  RenewDialog,
  ResizeDialog,
  RestoreDialog,
  UpgradeDialog,
} from './dialogs';
import {
  IDLE_REFRESH_MS,
  isGone,
  isMoving,
  isRestorable,
  MOVING_REFRESH_MS,
  useFormatDate,
  who,
} from './format';
import { StateChip } from './StateChip';
import { Section } from './Section';
import { useLocalizedTemplate } from './templateText';

const useStyles = makeStyles(theme => ({
  facts: { '& th': { whiteSpace: 'nowrap', width: '30%' } },
  head: { '& th': { whiteSpace: 'nowrap' } },
  actions: { display: 'flex', flexWrap: 'wrap', gap: theme.spacing(1) },
}));

type Open =
  | 'renew'
  | 'resize'
  | 'upgrade'
  | 'bind'
  | 'unbind'
  | 'delete'
  | 'restore'
  | 'approve'
  | 'reject';

/** States an instance runs in (its workload exists). */
const RUNNING = ['creating', 'ready', 'degraded', 'updating', 'failed'];

/**
 * One instance in a drawer (`?instance=<id>`): its state and replicas, where it runs,
 * its parameters, expiry, connection, bindings, backup, approval and lifecycle events,
 * with the actions its state allows. Read again every few seconds while it moves
 * (creating, updating, deleting, restoring), so the state follows without a reload.
 * Actions are shown disabled with the reason when the permission framework says no;
 * Approve and Reject are not offered to the instance's requester at all.
 *
 * @param bindTarget - the service Bind and Unbind act for (the tab's service, or on
 *   the App Store page the instance's own)
 */
export function InstanceDrawer(props: {
  instanceId?: string;
  environments: K2MiddlewareEnvironmentPolicy[];
  bindTarget?: string;
  onClose(): void;
  onChanged(): void;
}) {
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const { instanceId } = props;
  const [refreshMs, setRefreshMs] = useState(IDLE_REFRESH_MS);
  const loaded = useLoad(
    async () => {
      if (!instanceId) return undefined;
      const instance = await api.getInstance(instanceId);
      setRefreshMs(isMoving(instance) ? MOVING_REFRESH_MS : IDLE_REFRESH_MS);
      return instance;
    },
    [api, instanceId],
    { intervalMs: instanceId ? refreshMs : 0 },
  );
  const instance = loaded.value;
  const gone =
    loaded.error &&
    (loaded.error as { statusCode?: number }).statusCode === 404;
  return (
    <DetailDrawer
      open={Boolean(instanceId)}
      title={instance?.name ?? instanceId ?? ''}
      subtitle={
        instance &&
        t('drawer.subtitle', {
          product: instance.product,
          version: instance.version,
          service: who(instance.service),
          environment:
            props.environments.find(e => e.name === instance.environment)
              ?.title ?? instance.environment,
        })
      }
      closeLabel={t('drawer.close')}
      onClose={props.onClose}
    >
      {gone ? (
        <Typography variant="body2">{t('drawer.gone')}</Typography>
      ) : (
        <ViewState
          value={instance}
          error={loaded.error}
          isEmpty={() => false}
          emptyTitle=""
        >
          {value => (
            <InstanceDetail
              instance={value}
              environments={props.environments}
              bindTarget={props.bindTarget ?? value.service}
              onChanged={() => {
                loaded.reload();
                props.onChanged();
              }}
            />
          )}
        </ViewState>
      )}
    </DetailDrawer>
  );
}

function InstanceDetail(props: {
  instance: K2MiddlewareInstance;
  environments: K2MiddlewareEnvironmentPolicy[];
  bindTarget: string;
  onChanged(): void;
}) {
  const { instance, bindTarget } = props;
  const t = useMiddlewareT();
  const classes = useStyles();
  const date = useFormatDate();
  const api = useApi(k2MiddlewareStoreApiRef);
  const identity = useApi(identityApiRef);
  const [open, setOpen] = useState<Open>();
  const environment: K2MiddlewareEnvironmentPolicy = props.environments.find(
    e => e.name === instance.environment,
  ) ?? {
    name: instance.environment,
    approvalRequired: false,
    storageClasses: [],
  };
  const envTitle = environment.title ?? environment.name;
  const template = useLoad(
    () => api.getTemplate(instance.template),
    [api, instance.template],
  );
  const localized = useLocalizedTemplate(template.value);
  const me = useLoad(
    async () => (await identity.getBackstageIdentity()).userEntityRef,
    [identity],
  );
  const manage = usePermission({
    permission: k2MiddlewareManagePermission,
    resourceRef: instance.service,
  });
  const connection = usePermission({
    permission: k2MiddlewareConnectionReadPermission,
    resourceRef: instance.service,
  });
  const approve = usePermission({
    permission: k2MiddlewareApprovePermission,
    resourceRef: instance.id,
  });
  const refusal = (p: { loading: boolean; allowed: boolean }, why: string) => {
    if (p.loading) return '';
    return p.allowed ? undefined : why;
  };
  const manageRefusal = refusal(manage, t('refused.owners'));
  /** Why a change to what runs is not possible now, or undefined. */
  const busy = isMoving(instance)
    ? t('refused.busy', { state: t(`state.${instance.state}`) })
    : undefined;
  const running = RUNNING.includes(instance.state);
  const bound = instance.bindings.includes(bindTarget);
  const requester =
    (instance.approval?.requestedBy ?? instance.createdBy) === me.value;
  const upgradesTo = template.value?.upgradesTo ?? [];
  const done = () => {
    setOpen(undefined);
    props.onChanged();
  };
  const dialogProps = {
    instance,
    environment,
    onClose: () => setOpen(undefined),
    onDone: done,
  };
  const parameters = Object.entries(instance.parameters);

  return (
    <>
      <Section title={t('drawer.status')}>
        <Table size="small" className={classes.facts}>
          <TableBody>
            <TableRow>
              <TableCell component="th" scope="row">
                {t('drawer.status')}
              </TableCell>
              <TableCell>
                <StateChip instance={instance} />
              </TableCell>
            </TableRow>
            {instance.replicas && running && (
              <TableRow>
                <TableCell component="th" scope="row">
                  {t('drawer.replicas')}
                </TableCell>
                <TableCell>
                  {instance.replicas.ready}/{instance.replicas.desired}
                </TableCell>
              </TableRow>
            )}
            <TableRow>
              <TableCell component="th" scope="row">
                {t('drawer.cluster')}
              </TableCell>
              <TableCell>
                <Mono>{instance.cluster}</Mono>
              </TableCell>
            </TableRow>
            <TableRow>
              <TableCell component="th" scope="row">
                {t('drawer.namespace')}
              </TableCell>
              <TableCell>
                <Mono>{instance.namespace}</Mono>
              </TableCell>
            </TableRow>
            <TableRow>
              <TableCell component="th" scope="row">
                {t('drawer.template')}
              </TableCell>
              <TableCell>
                <Mono>{instance.template}</Mono>
              </TableCell>
            </TableRow>
            {instance.secretName && (
              <TableRow>
                <TableCell component="th" scope="row">
                  {t('drawer.secret')}
                </TableCell>
                <TableCell>
                  <Mono>{instance.secretName}</Mono>
                </TableCell>
              </TableRow>
            )}
            <TableRow>
              <TableCell component="th" scope="row">
                {t('drawer.catalog')}
              </TableCell>
              <TableCell>
                <Mono>{instance.entityRef}</Mono>
              </TableCell>
            </TableRow>
            <TableRow>
              <TableCell component="th" scope="row">
                {t('drawer.createdBy')}
              </TableCell>
              <TableCell>
                <Mono>{who(instance.createdBy)}</Mono>{' '}
                <RelativeTime value={instance.createdAt} />
              </TableCell>
            </TableRow>
          </TableBody>
        </Table>
      </Section>

      {instance.approval && (
        <Section title={t('drawer.approval')}>
          <Typography variant="body2">
            {t('drawer.requestedBy', {
              user: who(instance.approval.requestedBy),
              time: <RelativeTime value={instance.approval.requestedAt} />,
            })}
          </Typography>
          {instance.approval.reason && (
            <Typography variant="body2">
              {t('drawer.requestReason', { reason: instance.approval.reason })}
            </Typography>
          )}
          {instance.approval.decision && instance.approval.decidedBy && (
            <Typography variant="body2">
              {t('drawer.decided', {
                decision: t(`drawer.decision.${instance.approval.decision}`),
                user: who(instance.approval.decidedBy),
                time: <RelativeTime value={instance.approval.decidedAt} />,
              })}
            </Typography>
          )}
          {instance.approval.comment && (
            <Typography variant="body2">
              {t('drawer.comment', { comment: instance.approval.comment })}
            </Typography>
          )}
          {instance.state === 'awaiting-approval' && me.value && (
            <Box mt={1}>
              {requester ? (
                <Typography variant="body2" color="textSecondary">
                  {t('drawer.waitingForOthers', { environment: envTitle })}
                </Typography>
              ) : (
                <div className={classes.actions}>
                  <ActionButton
                    variant="contained"
                    disabledReason={refusal(
                      approve,
                      t('refused.approver', { environment: envTitle }),
                    )}
                    onClick={() => setOpen('approve')}
                  >
                    {t('actions.approve')}
                  </ActionButton>
                  <ActionButton
                    variant="outlined"
                    destructive
                    disabledReason={refusal(
                      approve,
                      t('refused.approver', { environment: envTitle }),
                    )}
                    onClick={() => setOpen('reject')}
                  >
                    {t('actions.reject')}
                  </ActionButton>
                </div>
              )}
            </Box>
          )}
        </Section>
      )}

      {!isGone(instance) &&
        instance.state !== 'rejected' &&
        instance.state !== 'awaiting-approval' && (
          <Section title={t('drawer.expiry')}>
            <Box display="flex" alignItems="center" style={{ gap: 16 }}>
              <Typography variant="body2">
                {instance.expiresAt
                  ? t('drawer.expiresAt', { date: date(instance.expiresAt) })
                  : t('drawer.neverExpires')}
                {instance.renewals
                  ? ` · ${t('drawer.renewals', { count: instance.renewals })}`
                  : ''}
              </Typography>
              {instance.expiresAt && (
                <ActionButton
                  size="small"
                  variant="outlined"
                  disabledReason={manageRefusal ?? busy}
                  onClick={() => setOpen('renew')}
                >
                  {t('actions.renew')}
                </ActionButton>
              )}
            </Box>
          </Section>
        )}

      <Section title={t('drawer.parameters')}>
        {parameters.length === 0 ? (
          <Typography variant="body2" color="textSecondary">
            {t('drawer.noParameters')}
          </Typography>
        ) : (
          <Table
            size="small"
            className={classes.facts}
            aria-label={t('drawer.parameters')}
          >
            <TableBody>
              {parameters.map(([key, value]) => (
                <TableRow key={key}>
                  <TableCell component="th" scope="row">
                    <Mono>{key}</Mono>
                  </TableCell>
                  <TableCell>
                    <Mono>
                      {typeof value === 'string'
                        ? value
                        : JSON.stringify(value)}
                    </Mono>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>

      <Section title={t('connection.title')}>
        <ConnectionSection
          instance={instance}
          running={running}
          refusal={refusal(connection, t('refused.connection'))}
        />
      </Section>

      <Section title={t('drawer.bindings')}>
        <Typography variant="body2" paragraph>
          {instance.bindings.length === 0
            ? t('drawer.notBound')
            : instance.bindings.map(who).join(', ')}
        </Typography>
        {running && (
          <ActionButton
            size="small"
            variant="outlined"
            disabledReason={manageRefusal}
            onClick={() => setOpen(bound ? 'unbind' : 'bind')}
          >
            {bound
              ? t('actions.unbind', { service: who(bindTarget) })
              : t('actions.bind', { service: who(bindTarget) })}
          </ActionButton>
        )}
      </Section>

      {instance.backup && (
        <Section title={t('drawer.backup')}>
          <Typography variant="body2">
            {t('drawer.backupSaved', {
              date: date(instance.backup.savedAt),
              reason: t(`drawer.backupReason.${instance.backup.reason}`),
              until: date(instance.backup.restorableUntil),
              volumes: instance.backup.volumes.join(', '),
            })}
          </Typography>
          {instance.backup.dump && (
            <Typography variant="body2">
              {t('drawer.dump', {
                job: instance.backup.dump.job,
                state: t(`drawer.dumpState.${instance.backup.dump.state}`),
              })}
            </Typography>
          )}
        </Section>
      )}

      <Section title={t('drawer.actions')}>
        <div className={classes.actions}>
          {running && (
            <>
              <ActionButton
                variant="outlined"
                disabledReason={manageRefusal ?? busy}
                onClick={() => setOpen('resize')}
              >
                {t('actions.resize')}
              </ActionButton>
              {upgradesTo.length > 0 && (
                <ActionButton
                  variant="outlined"
                  disabledReason={manageRefusal ?? busy}
                  onClick={() => setOpen('upgrade')}
                >
                  {t('actions.upgrade')}
                </ActionButton>
              )}
              <ActionButton
                variant="outlined"
                destructive
                disabledReason={
                  manageRefusal ??
                  busy ??
                  (instance.bindings.length > 0
                    ? t('refused.bound', {
                        services: instance.bindings.map(who).join(', '),
                      })
                    : undefined)
                }
                onClick={() => setOpen('delete')}
              >
                {t('actions.delete')}
              </ActionButton>
            </>
          )}
          {isGone(instance) && (
            <ActionButton
              variant="contained"
              disabledReason={
                manageRefusal ??
                (isRestorable(instance)
                  ? undefined
                  : t('refused.notRestorable', {
                      date: instance.backup
                        ? date(instance.backup.restorableUntil)
                        : '—',
                    }))
              }
              onClick={() => setOpen('restore')}
            >
              {t('actions.restore')}
            </ActionButton>
          )}
        </div>
      </Section>

      <Section title={t('drawer.events')}>
        {!instance.events?.length ? (
          <Typography variant="body2" color="textSecondary">
            {t('drawer.eventsEmpty')}
          </Typography>
        ) : (
          <Box overflow="auto">
            <Table size="small" aria-label={t('drawer.events')}>
              <TableHead className={classes.head}>
                <TableRow>
                  <TableCell>{t('drawer.at')}</TableCell>
                  <TableCell>{t('drawer.event')}</TableCell>
                  <TableCell>{t('drawer.actor')}</TableCell>
                  <TableCell>{t('drawer.summary')}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {[...instance.events].reverse().map((event, i) => (
                  <TableRow key={`${event.at}-${i}`}>
                    <TableCell>
                      <RelativeTime value={event.at} />
                    </TableCell>
                    <TableCell>
                      <Mono>{event.type}</Mono>
                    </TableCell>
                    <TableCell>
                      {event.actor ? <Mono>{who(event.actor)}</Mono> : '—'}
                    </TableCell>
                    <TableCell>{event.summary}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Box>
        )}
      </Section>

      {open === 'renew' && <RenewDialog {...dialogProps} />}
      {open === 'resize' && (
        <ResizeDialog {...dialogProps} template={localized} />
      )}
      {open === 'upgrade' && (
        <UpgradeDialog {...dialogProps} upgradesTo={upgradesTo} />
      )}
      {(open === 'bind' || open === 'unbind') && (
        <BindDialog
          {...dialogProps}
          service={bindTarget}
          unbind={open === 'unbind'}
          envVars={template.value?.connection.map(c => c.name) ?? []}
        />
      )}
      {open === 'delete' && (
        <DeleteDialog {...dialogProps} dump={template.value?.backup ?? false} />
      )}
      {open === 'restore' && <RestoreDialog {...dialogProps} />}
      {(open === 'approve' || open === 'reject') && (
        <DecisionDialog {...dialogProps} decision={open} />
      )}
    </>
  );
}
