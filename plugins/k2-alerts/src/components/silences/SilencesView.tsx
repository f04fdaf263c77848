import { useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { k2AlertSilenceManagePermission } from '@internal/plugin-k2-common';
import {
  ActionButton,
  ActionDialog,
  Mono,
  RelativeTime,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { K2AlertSilence, k2AlertsApiRef } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';
import { AlertsScope, environmentTitle } from '../types';
import { SilenceDialog } from './SilenceDialog';

const STATE_ORDER = { active: 0, pending: 1, expired: 2 };

/** A matcher as Alertmanager writes it: `name="value"`, `name=~"re"`, `name!="v"`. */
export function matcherText(m: K2AlertSilence['matchers'][number]) {
  const op = `${m.isEqual ? '' : '!'}${m.isRegex ? '~' : '='}`;
  return `${m.name}${op === '~' ? '=~' : op}"${m.value}"`;
}

/**
 * The service's silences in every environment's Alertmanager: active and pending ones
 * first, then the expired ones Alertmanager still keeps, each with its matchers (K2's
 * `k2_entity` and `environment` left out: every silence here has them), who made it,
 * until when and why. Owners (and admins) create and expire them.
 */
export function SilencesView(props: { scope: AlertsScope }) {
  const { service, environments } = props.scope;
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const manage = usePermission({
    permission: k2AlertSilenceManagePermission,
    resourceRef: stringifyEntityRef({ kind: 'component', ...service }),
  });
  const [creating, setCreating] = useState(false);
  const [expiring, setExpiring] = useState<K2AlertSilence>();
  const silences = useLoad(() => api.getSilences(service), [api, service], {
    intervalMs: 30_000,
  });
  let refusal: string | undefined;
  if (manage.loading) refusal = '';
  else if (!manage.allowed) refusal = t('silences.refused');
  const items = [...(silences.value?.items ?? [])].sort(
    (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state],
  );
  const title = (name: string) => environmentTitle(environments, name);
  return (
    <InfoCard
      title={t('silences.heading')}
      action={
        <Box mt={1} mr={1}>
          <ActionButton
            variant="contained"
            color="primary"
            disabledReason={refusal}
            onClick={() => setCreating(true)}
          >
            {t('silences.new')}
          </ActionButton>
        </Box>
      }
    >
      <ViewState
        value={silences.value}
        error={silences.error}
        isEmpty={v => v.items.length === 0}
        emptyTitle={t('silences.empty')}
        emptyDescription={t('silences.emptyHint')}
        inline
      >
        {() => (
          <Box overflow="auto">
            <Table size="small" aria-label={t('silences.heading')}>
              <TableHead>
                <TableRow>
                  <TableCell>{t('silences.state')}</TableCell>
                  <TableCell>{t('silences.environment')}</TableCell>
                  <TableCell>{t('silences.matchers')}</TableCell>
                  <TableCell>{t('silences.createdBy')}</TableCell>
                  <TableCell>{t('silences.until')}</TableCell>
                  <TableCell>{t('silences.comment')}</TableCell>
                  <TableCell />
                </TableRow>
              </TableHead>
              <TableBody>
                {items.map(silence => (
                  <TableRow key={silence.id}>
                    <TableCell>
                      <Chip
                        size="small"
                        color={
                          silence.state === 'active' ? 'primary' : 'default'
                        }
                        label={t(`silences.states.${silence.state}`)}
                      />
                    </TableCell>
                    <TableCell>{title(silence.environment)}</TableCell>
                    <TableCell>
                      {silence.matchers
                        .filter(
                          m =>
                            m.name !== 'k2_entity' && m.name !== 'environment',
                        )
                        .map(m => (
                          <div key={matcherText(m)}>
                            <Mono>{matcherText(m)}</Mono>
                          </div>
                        ))}
                    </TableCell>
                    <TableCell>
                      {silence.createdBy.replace(/^user:(default\/)?/, '')}
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={silence.endsAt} />
                    </TableCell>
                    <TableCell>{silence.comment}</TableCell>
                    <TableCell>
                      {silence.state !== 'expired' && (
                        <ActionButton
                          size="small"
                          destructive
                          disabledReason={refusal}
                          onClick={() => setExpiring(silence)}
                        >
                          {t('silences.expire')}
                        </ActionButton>
                      )}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Box>
        )}
      </ViewState>
      {creating && (
        <SilenceDialog
          service={service}
          environments={environments}
          initial={{ environment: environments[0]?.name ?? '', matchers: [] }}
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            silences.reload();
          }}
        />
      )}
      {expiring && (
        <ActionDialog
          title={t('silences.expireTitle')}
          confirm={t('silences.expire')}
          destructive
          onClose={() => setExpiring(undefined)}
          onConfirm={async () => {
            await api.expireSilence(service, expiring.id);
            setExpiring(undefined);
            silences.reload();
          }}
        >
          {t('silences.expireText', { comment: expiring.comment })}
        </ActionDialog>
      )}
    </InfoCard>
  );
}
