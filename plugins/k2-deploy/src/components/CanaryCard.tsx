import { useState } from 'react';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { K2Canary } from '@internal/plugin-k2-common';
import {
  ActionButton,
  ActionDialog,
  ErrorText,
  Mono,
  RelativeTime,
} from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { useDeployT } from '../translation';
import { EntityRef } from './EntityRef';
import { imageTag } from './format';
import { useLiveRefresh } from './useLiveRefresh';

/**
 * An environment's canary, live: the running one, else the newest that ended (or none),
 * re-read when the backend announces a change to the service's pods or releases.
 */
export function useCanary(service: ServiceName, environment: string) {
  const api = useApi(k2DeployApiRef);
  return useLiveRefresh(
    () => api.getCanary(service, environment),
    {
      service,
      environment,
      intervalMs: state =>
        state?.canary?.status === 'running' ? 2000 : 10_000,
    },
    [service.namespace, service.name, environment],
  );
}

const nowrap = { whiteSpace: 'nowrap' } as const;

/**
 * The canary running in an environment, on its overview card: its image, ready of
 * total canary pods per cluster, who started it and when, the promotion under way,
 * and Promote and Abort, each confirmed in a dialog. Nothing is drawn once it ended
 * (History shows the release a promotion made); while the first answer is awaited a
 * progress bar, and a read that fails says so.
 */
export function CanaryCard(props: {
  environment: { name: string; title: string; approval: boolean };
  state: { value?: { canary?: K2Canary }; error?: Error };
  /** Why Promote and Abort are not available to this user, when they are not. */
  refusal?: string;
  onPromote(): Promise<void>;
  onAbort(): Promise<void>;
}) {
  const t = useDeployT();
  const { environment, state } = props;
  const [open, setOpen] = useState<'promote' | 'abort'>();
  if (!state.value) {
    return state.error ? (
      <ErrorText
        error={
          new Error(t('canary.loadFailed', { message: state.error.message }))
        }
      />
    ) : (
      <Progress />
    );
  }
  const canary = state.value.canary;
  if (canary?.status !== 'running') return null;
  const version = imageTag(canary.image);
  const close = () => setOpen(undefined);
  return (
    <Box
      component="section"
      mb={2}
      p={2}
      border={1}
      borderColor="secondary.main"
      borderRadius={4}
      aria-label={t('canary.label', { environment: environment.title })}
    >
      <Box display="flex" alignItems="center" style={{ gap: 8 }} mb={1}>
        <Typography variant="subtitle2" component="h3">
          {t('canary.title', {
            version: <Mono title={canary.image}>{version}</Mono>,
          })}
        </Typography>
        <Chip size="small" color="secondary" label={t('instances.canary')} />
      </Box>
      <Typography variant="body2" color="textSecondary" component="div">
        {t('canary.besides', {
          number: String(canary.baseRelease.number),
          who: <EntityRef entityRef={canary.startedBy} />,
        })}{' '}
        <RelativeTime value={canary.startedAt} />
      </Typography>
      {canary.message && (
        <Typography variant="body2" gutterBottom>
          {canary.message}
        </Typography>
      )}
      <Table
        size="small"
        aria-label={t('canary.podsOf', { environment: environment.title })}
      >
        <TableHead>
          <TableRow>
            <TableCell style={nowrap}>{t('overview.cluster')}</TableCell>
            <TableCell style={nowrap} align="right">
              {t('canary.ready')}
            </TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {canary.clusters.map(c => (
            <TableRow key={c.cluster}>
              <TableCell>
                <Mono>{c.cluster}</Mono>
              </TableCell>
              <TableCell align="right" style={nowrap}>
                {c.ready}/{c.replicas}
                {c.total !== c.replicas ? ` (${c.total})` : ''}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Box display="flex" style={{ gap: 8 }} mt={1}>
        <ActionButton
          variant="contained"
          disabledReason={
            props.refusal ??
            (canary.promotion
              ? t('canary.promoting', {
                  number: String(canary.promotion.number),
                })
              : undefined)
          }
          onClick={() => setOpen('promote')}
        >
          {t('canary.promote')}
        </ActionButton>
        <ActionButton
          variant="outlined"
          destructive
          disabledReason={props.refusal}
          onClick={() => setOpen('abort')}
        >
          {t('canary.abort')}
        </ActionButton>
      </Box>
      {open === 'promote' && (
        <ActionDialog
          title={t('canary.promoteTitle', { environment: environment.title })}
          confirm={t('canary.promote')}
          onClose={close}
          onConfirm={async () => {
            await props.onPromote();
            close();
          }}
        >
          <Typography variant="body2" gutterBottom>
            {t('canary.promoteBody', { version })}
          </Typography>
          {environment.approval && (
            <Typography variant="body2" color="textSecondary">
              {t('canary.promoteApproval', {
                environment: environment.title,
              })}
            </Typography>
          )}
        </ActionDialog>
      )}
      {open === 'abort' && (
        <ActionDialog
          title={t('canary.abortTitle', { environment: environment.title })}
          confirm={t('canary.abort')}
          busyLabel={t('canary.aborting')}
          destructive
          onClose={close}
          onConfirm={async () => {
            await props.onAbort();
            close();
          }}
        >
          {t('canary.abortBody', { version })}
        </ActionDialog>
      )}
    </Box>
  );
}
