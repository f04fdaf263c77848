import { useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { k2AlertIncidentUpdatePermission } from '@internal/plugin-k2-common';
import { ActionButton, ErrorText } from '@internal/plugin-k2-react';
import { K2Incident, k2AlertsApiRef } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';

/** A user ref as people read it: its name. */
const userName = (ref: string) => ref.replace(/^user:(default\/)?/, '');

/**
 * Acknowledge and Resolve for an open incident, shown to those the policy lets update
 * the service's incidents (owners and platform admins); who acknowledged or resolved it
 * by hand for everyone. `onChanged` reloads the incident.
 *
 * Opened from a message's acknowledge link (`acknowledgeAsked`), an incident nobody
 * acknowledged yet says so above the button, or why its reader may not acknowledge
 * it; following the link itself changes nothing.
 */
export function IncidentActions(props: {
  incident: K2Incident;
  acknowledgeAsked?: boolean;
  onChanged(): void;
}) {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const { incident } = props;
  const { allowed, loading } = usePermission({
    permission: k2AlertIncidentUpdatePermission,
    resourceRef: incident.entityRef,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const act = async (change: (id: string) => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await change(incident.id);
    } catch (e) {
      setError(e as Error);
    }
    setBusy(false);
    props.onChanged();
  };
  const open = incident.status === 'open';
  const asked =
    props.acknowledgeAsked && open && !incident.acknowledgedAt && !loading;
  return (
    <Box display="flex" alignItems="center" flexWrap="wrap" style={{ gap: 8 }}>
      {asked && (
        <Typography variant="body2" role="status" style={{ flexBasis: '100%' }}>
          {allowed
            ? t('incidents.acknowledgeAsked')
            : t('incidents.acknowledgeRefused')}
        </Typography>
      )}
      {incident.acknowledgedBy && (
        <Typography variant="body2">
          {t('incidents.acknowledgedBy', {
            user: userName(incident.acknowledgedBy),
          })}
        </Typography>
      )}
      {incident.resolvedBy && (
        <Typography variant="body2">
          {t('incidents.resolvedBy', { user: userName(incident.resolvedBy) })}
        </Typography>
      )}
      {open && allowed && !incident.acknowledgedAt && (
        <ActionButton
          variant="contained"
          disabledReason={busy ? t('incidents.working') : undefined}
          onClick={() => act(id => api.acknowledgeIncident(id))}
        >
          {t('incidents.acknowledge')}
        </ActionButton>
      )}
      {open && allowed && (
        <ActionButton
          variant="outlined"
          disabledReason={busy ? t('incidents.working') : undefined}
          onClick={() => act(id => api.resolveIncident(id))}
        >
          {t('incidents.resolve')}
        </ActionButton>
      )}
      {error && <ErrorText error={error} />}
    </Box>
  );
}
