import { lazy, Suspense, useId, useState } from 'react';
import { Progress } from '@backstage/core-components';
import { K2ShellEndReason } from '@internal/plugin-k2-deploy-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import { DeployT, useDeployT } from '../../translation';
import type { ShellConnection } from './ShellTerminal';

// xterm.js and its styles arrive with the first terminal opened, in a chunk of their
// own: the Deploy tab does not load them for people who never open a shell.
const ShellTerminal = lazy(() => import('./ShellTerminal'));

/** `seconds` in the largest whole unit: "15 minutes", "2 hours", "90 seconds". */
export function shellDuration(t: DeployT, seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) {
    return t('shell.hours', { count: seconds / 3600 });
  }
  if (seconds >= 60 && seconds % 60 === 0) {
    return t('shell.minutes', { count: seconds / 60 });
  }
  return t('shell.seconds', { count: seconds });
}

/**
 * A terminal in a large dialog: on a shell, or on a debug container, of one container
 * of an instance. Says where it runs (environment, cluster, pod, container) and the
 * session's limits; closing it asks nothing and ends the session.
 */
export function ShellDialog(props: {
  title: string;
  environment: string;
  cluster: string;
  pod: string;
  container: string;
  idleTimeoutSeconds: number;
  maxDurationSeconds: number;
  connect(size: { cols: number; rows: number }): Promise<ShellConnection>;
  /** Offered when the container turns out to have no shell. */
  onDebug?(): void;
  onClose(): void;
}) {
  const t = useDeployT();
  const titleId = useId();
  const [ended, setEnded] = useState<K2ShellEndReason>();
  return (
    <Dialog
      open
      fullWidth
      maxWidth="lg"
      aria-labelledby={titleId}
      onClose={props.onClose}
      PaperProps={{ style: { height: '85vh' } }}
    >
      <DialogTitle id={titleId}>{props.title}</DialogTitle>
      <DialogContent style={{ display: 'flex', flexDirection: 'column' }}>
        <Typography variant="body2">
          {t('shell.where', {
            environment: props.environment,
            cluster: props.cluster,
            pod: props.pod,
            container: props.container,
          })}
        </Typography>
        <Typography variant="body2" color="textSecondary" gutterBottom>
          {t('shell.limits', {
            idle: shellDuration(t, props.idleTimeoutSeconds),
            max: shellDuration(t, props.maxDurationSeconds),
          })}
        </Typography>
        <Box flex={1} minHeight={0} mt={1}>
          <Suspense fallback={<Progress />}>
            <ShellTerminal
              label={t('shell.terminal', { container: props.container })}
              connect={props.connect}
              onEnded={setEnded}
            />
          </Suspense>
        </Box>
      </DialogContent>
      <DialogActions>
        {ended === 'no-shell' && props.onDebug && (
          <Button variant="outlined" color="primary" onClick={props.onDebug}>
            {t('shell.startDebug')}
          </Button>
        )}
        <Button onClick={props.onClose}>{t('shell.close')}</Button>
      </DialogActions>
    </Dialog>
  );
}
