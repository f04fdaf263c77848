import { useId, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  configFormatErrorOf,
  K2ConfigFile,
  K2ConfigFormatError,
} from '@internal/plugin-k2-config-common';
import { K2ApiError } from '@internal/plugin-k2-common';
import {
  ActionButton,
  ErrorText,
  RelativeTime,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2ConfigApiRef } from '../api/K2ConfigApi';
import { useConfigT } from '../translation';
import { ConfigEditor, useFormatCheck } from './editor/ConfigEditor';
import { StaleDialog } from './StaleDialog';
import { ConfigScope, who } from './types';

/** The version the editor started from, and its content. */
interface Base {
  number: number;
  content: string;
}

/**
 * The file's latest version in the code editor. Owners edit it and Save it with a
 * message as a new version; Save is disabled, with the reason, while the content is
 * unchanged or its format check finds an error (said under the editor, naming the
 * line). A save that finds someone else saved since (409) opens {@link StaleDialog};
 * a format error from the server is marked on its line. A sensitive file's content is
 * never fetched for someone who may not read it: the card says why it is hidden.
 */
export function EditorCard(props: {
  scope: ConfigScope;
  file: K2ConfigFile;
  /** After a save (with the new version's number) or a reload of the latest. */
  onSaved(number?: number): void;
}) {
  const { service, environment, rights } = props.scope;
  const { file } = props;
  const t = useConfigT();
  if (file.sensitive && !rights.readSensitive) {
    return (
      <Typography variant="body2" color="textSecondary">
        {t('editor.hidden')}
      </Typography>
    );
  }
  return (
    <LoadedEditor
      key={file.latest.number}
      service={service}
      environment={environment.name}
      file={file}
      writeRefusal={rights.writeRefusal}
      onSaved={props.onSaved}
    />
  );
}

function LoadedEditor(props: {
  service: ConfigScope['service'];
  environment: string;
  file: K2ConfigFile;
  writeRefusal?: string;
  onSaved(number?: number): void;
}) {
  const { service, environment, file } = props;
  const api = useApi(k2ConfigApiRef);
  const latest = useAsync(async (): Promise<Base> => {
    const answer = await api.getContent(
      service,
      environment,
      file.name,
      file.latest.number,
    );
    return { number: answer.version.number, content: answer.content };
  }, [api, service, environment, file.name, file.latest.number]);
  return (
    <ViewState
      value={latest.value}
      error={latest.error}
      isEmpty={() => false}
      emptyTitle=""
    >
      {base => (
        <Editing
          key={base.number}
          {...props}
          base={base}
          onReload={() => props.onSaved()}
        />
      )}
    </ViewState>
  );
}

function Editing(props: {
  service: ConfigScope['service'];
  environment: string;
  file: K2ConfigFile;
  base: Base;
  writeRefusal?: string;
  onSaved(number: number): void;
  onReload(): void;
}) {
  const { service, environment, file, base } = props;
  const t = useConfigT();
  const api = useApi(k2ConfigApiRef);
  const [text, setText] = useState(base.content);
  const [message, setMessage] = useState('');
  const messageId = useId();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Error>();
  const [serverProblem, setServerProblem] = useState<{
    content: string;
    problem: K2ConfigFormatError;
  }>();
  const [stale, setStale] = useState<K2ConfigFile>();
  const check = useFormatCheck(file.format, text);
  const problem =
    serverProblem?.content === text ? serverProblem.problem : check.problem;

  let refusal = props.writeRefusal;
  if (refusal === undefined) {
    if (saving) refusal = '';
    else if (text === base.content) refusal = t('editor.unchanged');
    else if (problem) {
      refusal = t('editor.fixFirst', { line: String(problem.line) });
    } else if (check.checking) refusal = '';
  }

  const save = async () => {
    setSaving(true);
    setError(undefined);
    try {
      const saved = await api.saveVersion(service, environment, file.name, {
        content: text,
        baseVersion: base.number,
        ...(message.trim() ? { message: message.trim() } : {}),
      });
      props.onSaved(saved.number);
    } catch (e) {
      const refused = configFormatErrorOf(e);
      if (refused) setServerProblem({ content: text, problem: refused });
      if (e instanceof K2ApiError && e.statusCode === 409) {
        const now = await api
          .getFile(service, environment, file.name)
          .catch(() => undefined);
        if (now && now.latest.number !== base.number) setStale(now);
        else setError(e);
      } else if (!refused) {
        setError(e as Error);
      }
    }
    setSaving(false);
  };

  return (
    <>
      <Typography variant="body2" color="textSecondary" gutterBottom>
        {t('editor.editing', {
          number: String(base.number),
          author: who(file.latest.author),
        })}{' '}
        <RelativeTime value={file.latest.createdAt} />
      </Typography>
      <ConfigEditor
        value={text}
        format={file.format}
        label={t('editor.label', { file: file.name })}
        problem={problem}
        onChange={props.writeRefusal === undefined ? setText : undefined}
      />
      <Box display="flex" alignItems="flex-start" mt={2} style={{ gap: 16 }}>
        <TextField
          label={t('editor.message')}
          id={messageId}
          value={message}
          onChange={e => setMessage(e.target.value)}
          placeholder={t('editor.messagePlaceholder')}
          disabled={props.writeRefusal !== undefined}
          size="small"
          style={{ flex: 1 }}
        />
        <ActionButton
          variant="contained"
          disabledReason={refusal}
          onClick={save}
        >
          {saving ? t('editor.saving') : t('editor.save')}
        </ActionButton>
      </Box>
      {refusal && (
        <Typography variant="body2" color="textSecondary">
          {refusal}
        </Typography>
      )}
      {error && <ErrorText error={error} />}
      {stale && (
        <StaleDialog
          service={service}
          environment={environment}
          file={stale}
          base={base.number}
          mine={text}
          onClose={() => setStale(undefined)}
          onReload={props.onReload}
        />
      )}
    </>
  );
}
