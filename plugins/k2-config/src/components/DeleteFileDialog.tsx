import { useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog } from '@internal/plugin-k2-react';
import { k2ConfigApiRef } from '../api/K2ConfigApi';
import { useConfigT } from '../translation';
import { ConfigScope } from './types';

/**
 * Deletes a config file after its name is typed. The server refuses while any
 * current or retained release of the environment mounts one of its versions, and
 * names the release: the refusal shows in the dialog, which stays open.
 */
export function DeleteFileDialog(props: {
  scope: ConfigScope;
  file: string;
  onClose(): void;
  onDeleted(): void;
}) {
  const { service, environment } = props.scope;
  const t = useConfigT();
  const api = useApi(k2ConfigApiRef);
  const typedId = useId();
  const [typed, setTyped] = useState('');
  return (
    <ActionDialog
      title={t('delete.title', {
        file: props.file,
        environment: environment.title,
      })}
      confirm={t('delete.confirm')}
      busyLabel={t('delete.busy')}
      destructive
      confirmDisabled={typed !== props.file}
      onClose={props.onClose}
      onConfirm={async () => {
        await api.deleteFile(service, environment.name, props.file);
        props.onDeleted();
      }}
    >
      <Typography variant="body2" paragraph>
        {t('delete.explain', { environment: environment.title })}
      </Typography>
      <TextField
        label={t('delete.typeName', { file: props.file })}
        id={typedId}
        value={typed}
        onChange={e => setTyped(e.target.value)}
        fullWidth
      />
    </ActionDialog>
  );
}
