import { useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  configFormatErrorOf,
  K2_CONFIG_FORMATS,
  K2ConfigFormat,
  K2ConfigFormatError,
} from '@internal/plugin-k2-config-common';
import { ActionDialog } from '@internal/plugin-k2-react';
import { k2ConfigApiRef } from '../api/K2ConfigApi';
import { useConfigT } from '../translation';
import { ConfigEditor, useFormatCheck } from './editor/ConfigEditor';
import { ConfigScope } from './types';

/** A config file's name: a label value, and the data key of its ConfigMap. */
const FILE_NAME = /^[A-Za-z0-9]([-._A-Za-z0-9]*[A-Za-z0-9])?$/;
const FILE_NAME_MAX = 63;

/** The format a name's extension suggests, until the user picks one. */
function formatOf(name: string): K2ConfigFormat {
  const extension = /\.([A-Za-z]+)$/.exec(name)?.[1]?.toLowerCase();
  switch (extension) {
    case 'yaml':
    case 'yml':
      return 'yaml';
    case 'json':
      return 'json';
    case 'properties':
      return 'properties';
    case 'xml':
      return 'xml';
    case 'ini':
    case 'cfg':
    case 'conf':
      return 'ini';
    default:
      return 'text';
  }
}

/**
 * Creates a config file with its first version: name (the rules said under the field
 * as it is typed), format (suggested by the name's extension), sensitive (a Secret,
 * fixed once created), default mount path, an optional description, and the initial
 * content in the code editor with its format check. Create stays disabled while any of it is wrong; a format
 * error the server finds is marked on its line.
 */
export function CreateFileDialog(props: {
  scope: ConfigScope;
  onClose(): void;
  onCreated(name: string): void;
}) {
  const { service, environment } = props.scope;
  const t = useConfigT();
  const api = useApi(k2ConfigApiRef);
  const nameId = useId();
  const formatId = useId();
  const mountPathId = useId();
  const messageId = useId();
  const descriptionId = useId();
  const [name, setName] = useState('');
  const [chosenFormat, setChosenFormat] = useState<K2ConfigFormat>();
  const [sensitive, setSensitive] = useState(false);
  const [mountPath, setMountPath] = useState<string>();
  const [content, setContent] = useState('');
  const [message, setMessage] = useState('');
  const [description, setDescription] = useState('');
  const [serverProblem, setServerProblem] = useState<{
    content: string;
    problem: K2ConfigFormatError;
  }>();
  const format = chosenFormat ?? formatOf(name);
  const check = useFormatCheck(format, content);
  const problem =
    serverProblem?.content === content ? serverProblem.problem : check.problem;
  // An empty file is not yet an error to point at (JSON and XML reject it): Create
  // stays disabled, and the editor marks nothing until something is typed.
  const shown = content === '' ? undefined : problem;
  const path = mountPath ?? (name ? `/app/config/${name}` : '');

  let nameError: string | undefined;
  if (name.length > FILE_NAME_MAX) {
    nameError = t('create.nameTooLong', { max: String(FILE_NAME_MAX) });
  } else if (name && !FILE_NAME.test(name)) nameError = t('create.nameRule');
  const pathError =
    path && !path.startsWith('/') ? t('create.mountPathRule') : undefined;
  const ready =
    FILE_NAME.test(name) &&
    !nameError &&
    path !== '' &&
    !pathError &&
    !problem &&
    !check.checking;

  return (
    <ActionDialog
      title={t('create.title', { environment: environment.title })}
      confirm={t('create.confirm')}
      busyLabel={t('create.busy')}
      confirmDisabled={!ready}
      maxWidth="md"
      onClose={props.onClose}
      onConfirm={async () => {
        try {
          const file = await api.createFile(service, environment.name, {
            name,
            format,
            sensitive,
            mountPath: path,
            content,
            ...(description.trim() ? { description: description.trim() } : {}),
            ...(message.trim() ? { message: message.trim() } : {}),
          });
          props.onCreated(file.name);
        } catch (error) {
          const refused = configFormatErrorOf(error);
          if (refused) setServerProblem({ content, problem: refused });
          throw error;
        }
      }}
    >
      <Typography variant="body2" paragraph>
        {t('create.explain', { environment: environment.title })}
      </Typography>
      <Box display="flex" style={{ gap: 16 }} flexWrap="wrap">
        <TextField
          label={t('create.name')}
          id={nameId}
          value={name}
          onChange={e => setName(e.target.value)}
          error={Boolean(nameError)}
          helperText={nameError ?? t('create.nameHelp')}
          required
          InputLabelProps={{ shrink: true }}
          style={{ flex: 2, minWidth: 240 }}
        />
        <TextField
          select
          label={t('create.format')}
          id={formatId}
          value={format}
          onChange={e => setChosenFormat(e.target.value as K2ConfigFormat)}
          helperText={chosenFormat ? undefined : t('create.formatFromName')}
          style={{ flex: 1, minWidth: 160 }}
        >
          {K2_CONFIG_FORMATS.map(f => (
            <MenuItem key={f} value={f}>
              {t(`formats.${f}`)}
            </MenuItem>
          ))}
        </TextField>
      </Box>
      <TextField
        label={t('create.mountPath')}
        id={mountPathId}
        value={path}
        onChange={e => setMountPath(e.target.value)}
        error={Boolean(pathError)}
        helperText={pathError ?? t('create.mountPathHelp')}
        InputLabelProps={{ shrink: true }}
        required
        fullWidth
        margin="normal"
      />
      <TextField
        id={descriptionId}
        label={t('create.description')}
        value={description}
        onChange={e => setDescription(e.target.value)}
        helperText={t('create.descriptionHelp')}
        fullWidth
        margin="normal"
      />
      <FormControlLabel
        control={
          <Checkbox
            checked={sensitive}
            onChange={e => setSensitive(e.target.checked)}
          />
        }
        label={t('create.sensitive')}
      />
      <Typography variant="body2" color="textSecondary" paragraph>
        {t('create.sensitiveHelp')}
      </Typography>
      <ConfigEditor
        value={content}
        format={format}
        label={t('editor.label', { file: name || t('create.newFile') })}
        problem={shown}
        onChange={setContent}
      />
      <TextField
        label={t('editor.message')}
        id={messageId}
        value={message}
        onChange={e => setMessage(e.target.value)}
        placeholder={t('create.messagePlaceholder')}
        fullWidth
        margin="normal"
      />
    </ActionDialog>
  );
}
