import { useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog } from '@internal/plugin-k2-react';
import { k2StorageApiRef } from '../api/K2StorageApi';
import { useStorageT } from '../translation';
import { StorageScope } from './types';

/**
 * Deletes a volume after its name is typed. The server refuses while any current or
 * retained release of the environment mounts it, naming the release: the refusal
 * shows in the dialog, which stays open.
 */
export function DeleteVolumeDialog(props: {
  scope: StorageScope;
  volume: string;
  onClose(): void;
  onDeleted(): void;
}) {
  const { service, environment } = props.scope;
  const t = useStorageT();
  const api = useApi(k2StorageApiRef);
  const typedId = useId();
  const [typed, setTyped] = useState('');
  return (
    <ActionDialog
      title={t('delete.title', {
        volume: props.volume,
        environment: environment.title,
      })}
      confirm={t('delete.confirm')}
      busyLabel={t('delete.busy')}
      destructive
      confirmDisabled={typed !== props.volume}
      onClose={props.onClose}
      onConfirm={async () => {
        await api.deleteVolume(service, environment.name, props.volume);
        props.onDeleted();
      }}
    >
      <Typography variant="body2" paragraph>
        {t('delete.explain', { environment: environment.title })}
      </Typography>
      <TextField
        label={t('delete.typeName', { volume: props.volume })}
        id={typedId}
        value={typed}
        onChange={e => setTyped(e.target.value)}
        fullWidth
      />
    </ActionDialog>
  );
}
