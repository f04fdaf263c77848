import { useId, useState } from 'react';
import { StatusPending } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { k2TrafficSiteApprovePermission } from '@internal/plugin-k2-common';
import {
  ActionButton,
  ActionDialog,
  DetailDrawer,
  LineDiff,
  Mono,
  RelativeTime,
  ViewState,
} from '@internal/plugin-k2-react';
import { K2TrafficSiteChange } from '@internal/plugin-k2-traffic-common';
import Box from '@material-ui/core/Box';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { k2TrafficApiRef } from '../api/K2TrafficApi';
import { useTrafficT } from '../translation';
import { siteLines } from './siteDocument';
import { useLoad } from './useLoad';
import { K2TrafficService, TrafficEnvironment } from './types';

const useStyles = makeStyles({
  number: { textAlign: 'right', whiteSpace: 'nowrap' },
  actions: { display: 'flex', gap: 8 },
});

/** An entity ref as the tables show it: `alice` for `user:default/alice`. */
export const who = (ref: string) => ref.replace(/^user:(default\/)?/, '');

type Dialog = 'approve' | 'reject' | 'withdraw';

/**
 * The change waiting for approval, as the first row of the versions: who asked, when
 * and why. Review opens a drawer with its site against the published version (the
 * same site-field `LineDiff` as the publish preview) and the same actions as the row.
 * Approve and Reject, after a confirmation, for those the policy lets decide this
 * change (approvers of the environment and platform admins, never its requester),
 * disabled with the reason for everyone else; Withdraw, after a confirmation, only
 * for the signed-in user who asked for it.
 */
export function WaitingRow(props: {
  service: K2TrafficService;
  environment: TrafficEnvironment;
  change: K2TrafficSiteChange;
  /** The published version's number, when the site has one. */
  current?: number;
  onDecided(): void;
}) {
  const t = useTrafficT();
  const classes = useStyles();
  const api = useApi(k2TrafficApiRef);
  const identity = useApi(identityApiRef);
  const { change, environment } = props;
  const decide = usePermission({
    permission: k2TrafficSiteApprovePermission,
    resourceRef: String(change.id),
  });
  const me = useLoad(
    async () => (await identity.getBackstageIdentity()).userEntityRef,
    [identity],
  );
  const [dialog, setDialog] = useState<Dialog>();
  const [reviewing, setReviewing] = useState(false);
  const [reason, setReason] = useState('');
  const reasonId = useId();
  const id = String(change.id);
  const by = who(change.requestedBy);
  const next = String((props.current ?? 0) + 1);
  // Disabled without a reason while the policy answers; with one if it refuses.
  let refusal: string | undefined;
  if (decide.loading) refusal = '';
  else if (!decide.allowed) {
    refusal = t('refused.approver', { environment: environment.title });
  }
  const requester = me.value === change.requestedBy;
  const done = () => {
    setDialog(undefined);
    setReviewing(false);
    props.onDecided();
  };

  const actions = (
    <div className={classes.actions}>
      <ActionButton
        size="small"
        variant="outlined"
        disabledReason={refusal}
        onClick={() => setDialog('approve')}
      >
        {t('versions.approve')}
      </ActionButton>
      <ActionButton
        size="small"
        destructive
        disabledReason={refusal}
        onClick={() => setDialog('reject')}
      >
        {t('versions.reject')}
      </ActionButton>
      {requester && (
        <ActionButton
          size="small"
          variant="outlined"
          onClick={() => setDialog('withdraw')}
        >
          {t('versions.withdraw')}
        </ActionButton>
      )}
    </div>
  );

  return (
    <TableRow aria-label={t('versions.waitingRow', { id })} selected>
      <TableCell padding="checkbox" />
      <TableCell className={classes.number}>
        <StatusPending>{t('versions.waiting')}</StatusPending>
      </TableCell>
      <TableCell>
        <Mono>{by}</Mono>
      </TableCell>
      <TableCell>
        <RelativeTime value={change.requestedAt} />
      </TableCell>
      <TableCell>
        {change.message}
        {change.rollbackOf !== undefined && (
          <Typography variant="caption" display="block">
            {t('versions.rollbackOf', { number: String(change.rollbackOf) })}
          </Typography>
        )}
      </TableCell>
      <TableCell>
        <Mono title={change.contentHash}>
          {change.contentHash.replace(/^sha256:/, '').slice(0, 12)}
        </Mono>
      </TableCell>
      <TableCell>
        <div className={classes.actions}>
          <ActionButton
            size="small"
            variant="outlined"
            onClick={() => setReviewing(true)}
          >
            {t('versions.review')}
          </ActionButton>
          {actions}
        </div>
        <DetailDrawer
          open={reviewing}
          title={
            props.current === undefined
              ? t('versions.reviewTitleFirst', { id })
              : t('versions.reviewTitle', {
                  id,
                  number: String(props.current),
                })
          }
          subtitle={t('versions.reviewSubtitle', {
            by,
            message: change.message,
          })}
          closeLabel={t('versions.close')}
          onClose={() => setReviewing(false)}
        >
          {reviewing && (
            <ChangeReview
              service={props.service}
              environment={environment}
              change={change}
              current={props.current}
            />
          )}
          <Box mt={2}>{actions}</Box>
        </DetailDrawer>
        {dialog === 'approve' && (
          <ActionDialog
            title={t('versions.approveTitle', {
              id,
              environment: environment.title,
            })}
            confirm={t('versions.approve')}
            busyLabel={t('versions.approveBusy')}
            onClose={() => setDialog(undefined)}
            onConfirm={async () => {
              await api.approve(props.service, environment.name, change.id);
              done();
            }}
          >
            <Typography variant="body2">
              {t('versions.approveBody', {
                by,
                message: change.message,
                next,
              })}
            </Typography>
          </ActionDialog>
        )}
        {dialog === 'reject' && (
          <ActionDialog
            title={t('versions.rejectTitle', {
              id,
              environment: environment.title,
            })}
            confirm={t('versions.reject')}
            busyLabel={t('versions.rejectBusy')}
            onClose={() => setDialog(undefined)}
            onConfirm={async () => {
              await api.reject(
                props.service,
                environment.name,
                change.id,
                reason.trim() ? { reason: reason.trim() } : {},
              );
              done();
            }}
          >
            <Typography variant="body2" paragraph>
              {t('versions.rejectBody', { by })}
            </Typography>
            <TextField
              id={reasonId}
              label={t('versions.reason')}
              value={reason}
              onChange={e => setReason(e.target.value)}
              fullWidth
              inputProps={{ maxLength: 500 }}
            />
          </ActionDialog>
        )}
        {dialog === 'withdraw' && (
          <ActionDialog
            title={t('versions.withdrawTitle', {
              id,
              environment: environment.title,
            })}
            confirm={t('versions.withdraw')}
            busyLabel={t('versions.withdrawBusy')}
            onClose={() => setDialog(undefined)}
            onConfirm={async () => {
              await api.withdraw(
                props.service,
                environment.name,
                change.id,
                reason.trim() ? { reason: reason.trim() } : {},
              );
              done();
            }}
          >
            <Typography variant="body2" paragraph>
              {t('versions.withdrawBody')}
            </Typography>
            <TextField
              id={reasonId}
              label={t('versions.reason')}
              value={reason}
              onChange={e => setReason(e.target.value)}
              fullWidth
              inputProps={{ maxLength: 500 }}
            />
          </ActionDialog>
        )}
      </TableCell>
    </TableRow>
  );
}

/**
 * The waiting change's site against the published version's, as site fields. The
 * change has no rendered config yet (an approval renders it with the members of that
 * moment), so the drawer says where the rendered diff is once it is published.
 */
function ChangeReview(props: {
  service: K2TrafficService;
  environment: TrafficEnvironment;
  change: K2TrafficSiteChange;
  current?: number;
}) {
  const t = useTrafficT();
  const api = useApi(k2TrafficApiRef);
  const { service, environment, change, current } = props;
  const live = useLoad(
    async () => ({
      version:
        current === undefined
          ? undefined
          : await api.getVersion(service, environment.name, current),
    }),
    [api, service, environment.name, current],
  );
  return (
    <ViewState
      value={live.value}
      error={live.error}
      isEmpty={() => false}
      emptyTitle=""
    >
      {({ version }) => {
        const older = siteLines(version?.site);
        const newer = siteLines(change.site);
        const unchanged =
          version !== undefined &&
          older.length === newer.length &&
          older.every((line, i) => line.text === newer[i].text);
        return (
          <>
            {unchanged ? (
              <Typography variant="body2" paragraph>
                {t('versions.reviewNoChange', {
                  number: String(version.number),
                })}
              </Typography>
            ) : (
              <LineDiff
                older={older}
                newer={newer}
                olderLabel={
                  version
                    ? t('versions.reviewLive', {
                        number: String(version.number),
                      })
                    : t('versions.reviewNone')
                }
                newerLabel={t('versions.reviewChange', {
                  id: String(change.id),
                })}
                label={t('versions.reviewLabel')}
              />
            )}
            <Typography variant="caption" color="textSecondary" component="p">
              {t('versions.reviewRendered')}
            </Typography>
          </>
        );
      }}
    </ViewState>
  );
}
