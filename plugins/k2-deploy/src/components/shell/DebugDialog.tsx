import { useState } from 'react';
import { K2ShellPolicy } from '@internal/plugin-k2-deploy-common';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog } from '@internal/plugin-k2-react';
import { useDeployT } from '../../translation';

/**
 * Asks which approved debug image to start and which container's processes it shares,
 * then starts it (`onStart` resolves once it runs; a refusal stays in the dialog).
 */
export function DebugDialog(props: {
  pod: string;
  containers: string[];
  /** The container the user picked Debug… on; the first one otherwise. */
  target?: string;
  images: K2ShellPolicy['debugImages'];
  onStart(input: { image: string; target: string }): Promise<void>;
  onClose(): void;
}) {
  const t = useDeployT();
  const [image, setImage] = useState(props.images[0]?.name ?? '');
  const [target, setTarget] = useState(
    props.target ?? props.containers[0] ?? '',
  );
  return (
    <ActionDialog
      title={t('shell.debugDialog.title', { pod: props.pod })}
      confirm={t('shell.debugDialog.confirm')}
      busyLabel={t('shell.debugDialog.busy')}
      confirmDisabled={!image || !target}
      maxWidth="sm"
      onClose={props.onClose}
      onConfirm={() => props.onStart({ image, target })}
    >
      <Typography variant="body2">{t('shell.debugDialog.body')}</Typography>
      <TextField
        id="k2-debug-image"
        select
        label={t('shell.debugDialog.image')}
        value={image}
        onChange={e => setImage(e.target.value)}
        helperText={
          props.images.find(i => i.name === image)?.description ?? undefined
        }
        fullWidth
        margin="normal"
      >
        {props.images.map(i => (
          <MenuItem key={i.name} value={i.name}>
            {i.name} ({i.image})
          </MenuItem>
        ))}
      </TextField>
      <TextField
        id="k2-debug-target"
        select
        label={t('shell.debugDialog.target')}
        value={target}
        onChange={e => setTarget(e.target.value)}
        helperText={t('shell.debugDialog.targetHint')}
        fullWidth
        margin="normal"
      >
        {props.containers.map(c => (
          <MenuItem key={c} value={c}>
            {c}
          </MenuItem>
        ))}
      </TextField>
    </ActionDialog>
  );
}
