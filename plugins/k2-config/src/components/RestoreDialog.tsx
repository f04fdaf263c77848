import { useId, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  K2ConfigFile,
  K2ConfigVersion,
} from '@internal/plugin-k2-config-common';
import {
  ActionDialog,
  ErrorText,
  LineDiff,
  textLines,
} from '@internal/plugin-k2-react';
import { k2ConfigApiRef } from '../api/K2ConfigApi';
import { useConfigT } from '../translation';
import { ConfigScope } from './types';

/**
 * Restores an older version: previews what changes against the latest (`LineDiff`),
 * then saves that version's content again as a new version with an optional message.
 * The new version has the older one's hash and object, written to the clusters again.
 */
export function RestoreDialog(props: {
  scope: ConfigScope;
  file: K2ConfigFile;
  version: K2ConfigVersion;
  onClose(): void;
  onRestored(number: number): void;
}) {
  const { service, environment } = props.scope;
  const { file, version } = props;
  const t = useConfigT();
  const api = useApi(k2ConfigApiRef);
  const messageId = useId();
  const [message, setMessage] = useState('');
  const number = String(version.number);
  const latest = String(file.latest.number);
  const diff = useAsync(
    () =>
      api.compareVersions(
        service,
        environment.name,
        file.name,
        file.latest.number,
        version.number,
      ),
    [api, service, environment.name, file.name],
  );
  let preview;
  if (diff.error) preview = <ErrorText error={diff.error} />;
  else if (!diff.value) preview = <Progress />;
  else {
    preview = (
      <LineDiff
        older={textLines(diff.value.from.content)}
        newer={textLines(diff.value.to.content)}
        olderLabel={t('restore.latest', { number: latest })}
        newerLabel={t('restore.restored', { number })}
        label={t('restore.diffLabel', { number, latest })}
      />
    );
  }
  return (
    <ActionDialog
      title={t('restore.title', { file: file.name, number })}
      confirm={t('restore.confirm', { number })}
      busyLabel={t('restore.busy')}
      maxWidth="lg"
      preview={preview}
      onClose={props.onClose}
      onConfirm={async () => {
        const restored = await api.restoreVersion(
          service,
          environment.name,
          file.name,
          version.number,
          message.trim() ? { message: message.trim() } : {},
        );
        props.onRestored(restored.number);
      }}
    >
      <Typography variant="body2" paragraph>
        {t('restore.explain', {
          number,
          next: String(file.latest.number + 1),
          environment: environment.title,
        })}
      </Typography>
      <TextField
        label={t('editor.message')}
        id={messageId}
        value={message}
        onChange={e => setMessage(e.target.value)}
        placeholder={t('restore.messagePlaceholder', { number })}
        fullWidth
      />
    </ActionDialog>
  );
}
