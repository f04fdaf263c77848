import { ReactNode, useId, useState } from 'react';
import Box from '@material-ui/core/Box';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import Button from '@material-ui/core/Button';
import { ActionButton } from './ActionButton';
import { ErrorText } from './ErrorText';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { k2ReactTranslationRef } from '../translation';

/**
 * A dialog around an action that changes what runs: says what will happen (and, with
 * `preview`, exactly what will change) before the user confirms; shows progress while
 * the server answers; keeps the dialog open with the server's refusal inline. A
 * `destructive` action's confirm button is in the theme's error colour.
 *
 * A dialog in steps (a form, then its preview) stays open when `onConfirm` resolves:
 * the parent moves to the next step by changing the props, and `back` returns to the
 * previous one, clearing any refusal shown.
 */
export function ActionDialog(props: {
  title: string;
  children: ReactNode;
  confirm: string;
  /** What will change, shown under the explanation (e.g. a diff against what runs). */
  preview?: ReactNode;
  /** Shown on the button while the action runs. */
  busyLabel?: string;
  /** Why the action cannot be confirmed yet (e.g. the name is not typed). */
  confirmDisabled?: boolean;
  destructive?: boolean;
  maxWidth?: 'sm' | 'md' | 'lg';
  /** A step back (e.g. from a preview to its form), shown before Cancel. */
  back?: { label: string; onClick(): void };
  onClose(): void;
  onConfirm(): Promise<void>;
}) {
  const { t } = useTranslationRef(k2ReactTranslationRef);
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
        {props.preview && (
          <Box mt={2} component="section" aria-label={t('preview')}>
            <Typography variant="subtitle2" component="h3" gutterBottom>
              {t('preview')}
            </Typography>
            {props.preview}
          </Box>
        )}
        {error && <ErrorText error={error} />}
      </DialogContent>
      <DialogActions>
        {props.back && (
          <Button
            onClick={() => {
              setError(undefined);
              props.back?.onClick();
            }}
            disabled={busy}
          >
            {props.back.label}
          </Button>
        )}
        <Button onClick={props.onClose} disabled={busy}>
          {t('cancel')}
        </Button>
        <ActionButton
          variant="contained"
          destructive={props.destructive}
          disabledReason={
            busy || props.confirmDisabled ? props.busyLabel ?? '' : undefined
          }
          onClick={async () => {
            setBusy(true);
            setError(undefined);
            try {
              await props.onConfirm();
            } catch (e) {
              setError(e as Error);
            }
            setBusy(false);
          }}
        >
          {busy && props.busyLabel ? props.busyLabel : props.confirm}
        </ActionButton>
      </DialogActions>
    </Dialog>
  );
}
