import { useEffect, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog, useLoad } from '@internal/plugin-k2-react';
import { K2AlertsService, k2AlertsApiRef } from '../../api/K2AlertsApi';
import { AlertsT, useAlertsT } from '../../translation';
import {
  CHANNEL_TYPES,
  ChannelForm,
  ChannelType,
  newKey,
} from './settingsForm';

/** How long the preview waits after the last keystroke before asking the backend. */
const PREVIEW_DELAY_MS = 500;

/** The subject the backend uses when an email channel has none. */
const DEFAULT_SUBJECT = '[{{ severity }}] {{ title }} ({{ event }})';

/** The body a webhook without a payload template gets. */
const PAYLOAD_FALLBACK = '{"text": "<message>"}';

const ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

const TYPE_LABELS: Record<
  string,
  | 'teamSettings.types.notifications'
  | 'teamSettings.types.webhook'
  | 'teamSettings.types.email'
> = {
  notifications: 'teamSettings.types.notifications',
  webhook: 'teamSettings.types.webhook',
  email: 'teamSettings.types.email',
};

/** A channel type's name in the user's language (a type without words: as named). */
export function channelTypeLabel(t: AlertsT, type: ChannelType): string {
  const key = TYPE_LABELS[type];
  return key ? t(key) : type;
}

/** The message preview's refusal, put on the field it is about. */
function previewErrorOn(
  error: Error | undefined,
  payload: string,
): { template?: string; payload?: string; subject?: string } {
  if (!error) return {};
  const body = (error as { body?: { error?: { message?: string } } }).body;
  const message = body?.error?.message ?? error.message;
  if (payload.trim() && /payload/i.test(message)) return { payload: message };
  if (/subject/i.test(message)) return { subject: message };
  return { template: message };
}

const prettyJson = (body: string) => {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
};

function PreviewText(props: { label: string; children: string }) {
  return (
    <Box
      component="pre"
      aria-label={props.label}
      bgcolor="background.default"
      p={1}
      mt={0.5}
      mb={1}
      style={{
        whiteSpace: 'pre-wrap',
        wordBreak: 'break-word',
        fontFamily: 'monospace',
      }}
    >
      {props.children}
    </Box>
  );
}

/**
 * Adds or edits one channel of the form: its name and type (when new), a webhook's URL
 * (a stored one only as the backend's masked hint, with Replace), the message template
 * and a webhook's payload template, with a live preview rendered by the backend half a
 * second after the last change. Apply changes the form only; Save settings stores it.
 */
export function ChannelDialog(props: {
  team: K2AlertsService;
  channel?: ChannelForm;
  takenIds: string[];
  onApply(channel: ChannelForm): void;
  onClose(): void;
}) {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const editing = props.channel;
  const [id, setId] = useState(editing?.id ?? '');
  const [type, setType] = useState<ChannelType>(
    editing?.type ?? 'notifications',
  );
  const [template, setTemplate] = useState(
    editing?.template ??
      '[{{ severity }}] {{ title }} — {{ service }} ({{ environment }}), {{ event }}. {{ link }}',
  );
  const [payload, setPayload] = useState(editing?.payload ?? '');
  const [subject, setSubject] = useState(editing?.subject ?? '');
  const [replacing, setReplacing] = useState(
    Boolean(editing?.url) || !editing?.urlHint,
  );
  const [url, setUrl] = useState(editing?.url ?? '');
  const isWebhook = type === 'webhook';
  const isEmail = type === 'email';

  const [debounced, setDebounced] = useState({
    template,
    payload: isWebhook ? payload : '',
    subject: isEmail ? subject : '',
  });
  useEffect(() => {
    const timer = setTimeout(
      () =>
        setDebounced({
          template,
          payload: isWebhook ? payload : '',
          subject: isEmail ? subject : '',
        }),
      PREVIEW_DELAY_MS,
    );
    return () => clearTimeout(timer);
  }, [template, payload, subject, isWebhook, isEmail]);
  const preview = useLoad(
    async () => {
      if (!debounced.template.trim()) return undefined;
      return api.previewTeamMessage(props.team, {
        template: debounced.template,
        ...(debounced.payload.trim() ? { payload: debounced.payload } : {}),
        ...(debounced.subject.trim() ? { subject: debounced.subject } : {}),
      });
    },
    [api, props.team.namespace, props.team.name, debounced],
    { keepOnChange: true },
  );
  const previewErrors = previewErrorOn(preview.error, debounced.payload);

  const idError = (() => {
    if (editing) return undefined;
    if (!ID.test(id)) return id ? t('teamSettings.channel.idHint') : undefined;
    return props.takenIds.includes(id)
      ? t('teamSettings.channel.idTaken', { id })
      : undefined;
  })();
  const urlError =
    isWebhook && replacing && url && !/^https?:\/\/\S+$/.test(url.trim())
      ? t('teamSettings.channel.urlInvalid')
      : undefined;
  const valid =
    (editing !== undefined || (ID.test(id) && !idError)) &&
    template.trim() !== '' &&
    !urlError &&
    (!isWebhook || !replacing || url.trim() !== '');

  const mono = { style: { fontFamily: 'monospace' } };
  return (
    <ActionDialog
      title={
        editing
          ? t('teamSettings.channel.editTitle', { id: editing.id })
          : t('teamSettings.channel.addTitle')
      }
      confirm={t('teamSettings.channel.apply')}
      confirmDisabled={!valid}
      maxWidth="md"
      onClose={props.onClose}
      onConfirm={async () => {
        props.onApply({
          key: editing?.key ?? newKey(),
          id: editing?.id ?? id,
          type,
          enabled: editing?.enabled ?? true,
          template,
          payload: isWebhook ? payload : '',
          subject: isEmail ? subject : '',
          problem: editing?.type === type ? editing.problem : undefined,
          urlHint: isWebhook ? editing?.urlHint : undefined,
          url: isWebhook && replacing ? url.trim() : '',
        });
      }}
    >
      <Typography variant="body2" color="textSecondary" paragraph>
        {t('teamSettings.channel.applyHint')}
      </Typography>
      {!editing && (
        <Box display="flex" style={{ gap: 16 }}>
          <TextField
            id="k2-channel-id"
            label={t('teamSettings.channel.id')}
            value={id}
            onChange={e => setId(e.target.value)}
            error={Boolean(idError)}
            helperText={idError ?? t('teamSettings.channel.idHint')}
            required
            margin="dense"
            style={{ flex: 1 }}
          />
          <TextField
            select
            label={t('teamSettings.channel.type')}
            value={type}
            onChange={e => setType(e.target.value as ChannelType)}
            margin="dense"
            style={{ flex: 1 }}
            id="k2-channel-type"
          >
            {CHANNEL_TYPES.map(option => (
              <MenuItem key={option} value={option}>
                {channelTypeLabel(t, option)}
              </MenuItem>
            ))}
          </TextField>
        </Box>
      )}
      {isWebhook && !replacing && (
        <Box display="flex" alignItems="center" mt={1} style={{ gap: 16 }}>
          <Typography variant="body2" style={{ flex: 1 }}>
            {t('teamSettings.channel.urlStored', { hint: editing!.urlHint! })}
          </Typography>
          <Button variant="outlined" onClick={() => setReplacing(true)}>
            {t('teamSettings.channel.replace')}
          </Button>
        </Box>
      )}
      {isWebhook && replacing && (
        <Box display="flex" alignItems="flex-start" style={{ gap: 16 }}>
          <TextField
            id="k2-channel-url"
            label={t('teamSettings.channel.url')}
            value={url}
            onChange={e => setUrl(e.target.value)}
            error={Boolean(urlError)}
            helperText={urlError ?? t('teamSettings.channel.urlHint')}
            required
            fullWidth
            margin="dense"
            type="url"
            autoComplete="off"
          />
          {editing?.urlHint && (
            <Box mt={2}>
              <Button
                onClick={() => {
                  setReplacing(false);
                  setUrl('');
                }}
              >
                {t('teamSettings.channel.keep')}
              </Button>
            </Box>
          )}
        </Box>
      )}
      {isEmail && (
        <TextField
          id="k2-channel-subject"
          label={t('teamSettings.channel.subject')}
          value={subject}
          onChange={e => setSubject(e.target.value)}
          error={Boolean(previewErrors.subject)}
          helperText={
            previewErrors.subject ??
            t('teamSettings.channel.subjectHint', {
              example: <code>{DEFAULT_SUBJECT}</code>,
            })
          }
          fullWidth
          margin="dense"
          placeholder={DEFAULT_SUBJECT}
          inputProps={mono}
        />
      )}
      <TextField
        id="k2-channel-template"
        label={t('teamSettings.channel.template')}
        value={template}
        onChange={e => setTemplate(e.target.value)}
        error={!template.trim() || Boolean(previewErrors.template)}
        helperText={
          previewErrors.template ??
          (template.trim()
            ? t('teamSettings.channel.templateHint', {
                example: <code>{'{{ field }}'}</code>,
              })
            : t('teamSettings.channel.templateRequired'))
        }
        required
        fullWidth
        multiline
        minRows={2}
        margin="dense"
        inputProps={mono}
      />
      {isWebhook && (
        <TextField
          id="k2-channel-payload"
          label={t('teamSettings.channel.payload')}
          value={payload}
          onChange={e => setPayload(e.target.value)}
          error={Boolean(previewErrors.payload)}
          helperText={
            previewErrors.payload ??
            t('teamSettings.channel.payloadHint', {
              example: <code>{'{{ message }}'}</code>,
              fallback: <code>{PAYLOAD_FALLBACK}</code>,
            })
          }
          fullWidth
          multiline
          minRows={3}
          margin="dense"
          placeholder='{"msgtype": "text", "text": {"content": "{{ message }} {{ link }}"}}'
          inputProps={mono}
        />
      )}
      <Box
        component="section"
        aria-label={t('teamSettings.channel.preview')}
        mt={2}
      >
        <Typography variant="subtitle2">
          {t('teamSettings.channel.preview')}
          {preview.loading && (
            <Typography
              component="span"
              variant="caption"
              color="textSecondary"
            >
              {` ${t('teamSettings.channel.previewing')}`}
            </Typography>
          )}
        </Typography>
        <Typography variant="caption" color="textSecondary">
          {t('teamSettings.channel.previewHint')}
        </Typography>
        {preview.value && (
          <>
            {preview.value.subject && (
              <>
                <Typography variant="body2" component="h3">
                  {t('teamSettings.channel.previewSubject')}
                </Typography>
                <PreviewText label={t('teamSettings.channel.previewSubject')}>
                  {preview.value.subject}
                </PreviewText>
              </>
            )}
            <Typography variant="body2" component="h3">
              {t('teamSettings.channel.previewText')}
            </Typography>
            <PreviewText label={t('teamSettings.channel.previewText')}>
              {preview.value.text}
            </PreviewText>
            {preview.value.body && (
              <>
                <Typography variant="body2" component="h3">
                  {t('teamSettings.channel.previewBody')}
                </Typography>
                <PreviewText label={t('teamSettings.channel.previewBody')}>
                  {prettyJson(preview.value.body)}
                </PreviewText>
              </>
            )}
          </>
        )}
      </Box>
    </ActionDialog>
  );
}
