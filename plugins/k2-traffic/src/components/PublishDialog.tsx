import { useId } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { ActionDialog, LineDiff } from '@internal/plugin-k2-react';
import {
  K2TrafficSite,
  K2TrafficSiteChange,
  K2TrafficSiteVersion,
} from '@internal/plugin-k2-traffic-common';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { k2TrafficApiRef } from '../api/K2TrafficApi';
import { useTrafficT } from '../translation';
import { refusedField, siteLines } from './siteDocument';
import { K2TrafficService, TrafficEnvironment } from './types';

/**
 * Publish the edited site: a message for the history and, before anything is sent,
 * the change against the published version as site fields (`LineDiff`), or "No
 * change". The backend renders and checks it with `nginx -t`; a refusal naming a field
 * goes back to that field of the form (`onFieldErrors`), any other refusal (Nginx's
 * own words) stays in the dialog with the message kept. Where changes need approval
 * the dialog says the publish will wait for an approver, and `onPublished` gets the
 * waiting change instead of a version.
 */
export function PublishDialog(props: {
  service: K2TrafficService;
  environment: TrafficEnvironment;
  cluster: string;
  current?: K2TrafficSiteVersion;
  site: K2TrafficSite;
  message: string;
  onMessage(message: string): void;
  onClose(): void;
  onFieldErrors(errors: Record<string, string>): void;
  onPublished(result: K2TrafficSiteVersion | K2TrafficSiteChange): void;
}) {
  const t = useTrafficT();
  const api = useApi(k2TrafficApiRef);
  const { current, environment } = props;
  const older = siteLines(current?.site);
  const newer = siteLines(props.site);
  const unchanged =
    current !== undefined &&
    older.length === newer.length &&
    older.every((line, i) => line.text === newer[i].text);
  const next = (current?.number ?? 0) + 1;
  const messageId = useId();

  return (
    <ActionDialog
      title={t('publish.title', { environment: environment.title })}
      confirm={t('publish.confirm')}
      busyLabel={t('publish.busy')}
      confirmDisabled={props.message.trim() === ''}
      maxWidth="lg"
      onClose={props.onClose}
      onConfirm={async () => {
        try {
          props.onPublished(
            await api.publish(props.service, environment.name, {
              site: props.site,
              message: props.message.trim(),
            }),
          );
        } catch (error) {
          const field = refusedField(error as Error);
          if (!field) throw error;
          props.onFieldErrors({ [field.path]: field.message });
        }
      }}
      preview={
        unchanged ? (
          <Typography variant="body2">
            {t('publish.noChange', { number: String(current!.number) })}
          </Typography>
        ) : (
          <>
            {!current && (
              <Typography variant="body2" gutterBottom>
                {t('publish.firstVersion')}
              </Typography>
            )}
            <LineDiff
              older={older}
              newer={newer}
              olderLabel={
                current
                  ? t('publish.live', { number: String(current.number) })
                  : t('publish.none')
              }
              newerLabel={t('publish.draft')}
              label={t('publish.diffLabel')}
            />
          </>
        )
      }
    >
      <Typography variant="body2" paragraph>
        {t('publish.body', {
          cluster: props.cluster,
          number: String(next),
        })}
      </Typography>
      {environment.approvalRequired && (
        <Typography variant="body2" paragraph>
          <strong>
            {t('publish.approvalNotice', { environment: environment.title })}
          </strong>
        </Typography>
      )}
      <TextField
        id={messageId}
        label={t('publish.message')}
        helperText={t('publish.messageHint')}
        value={props.message}
        onChange={e => props.onMessage(e.target.value)}
        required
        fullWidth
        inputProps={{ maxLength: 500 }}
      />
    </ActionDialog>
  );
}
