import { ReactNode, useId, useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import { ErrorText } from './ErrorText';

/**
 * A dialog around an action that changes what runs: asks first, shows progress while the
 * server answers, and keeps the dialog open with the server's refusal inline.
 */
export function ActionDialog(props: {
  title: string;
  children: ReactNode;
  confirm: string;
  /** Shown on the button while the action runs. */
  busyLabel?: string;
  confirmDisabled?: boolean;
  maxWidth?: 'sm' | 'md';
  onClose(): void;
  onConfirm(): Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  // Names the dialog after its title, so screen readers announce what it is about.
  const titleId = useId();
  return (
    <Dialog
      open
      aria-labelledby={titleId}
      onClose={busy ? undefined : props.onClose}
      fullWidth={Boolean(props.maxWidth)}
      maxWidth={props.maxWidth ?? 'sm'}
    >
      <DialogTitle id={titleId}>{props.title}</DialogTitle>
      <DialogContent>
        {props.children}
        {error && <ErrorText error={error} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          disabled={busy || props.confirmDisabled}
          onClick={async () => {
            setBusy(true);
            setError(undefined);
            try {
              await props.onConfirm();
            } catch (e) {
              setError(e as Error);
              setBusy(false);
            }
          }}
        >
          {busy && props.busyLabel ? props.busyLabel : props.confirm}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
