import { useState } from 'react';
import { parseEntityRef } from '@backstage/catalog-model';
import { usePermission } from '@backstage/plugin-permission-react';
import { k2AlertSilenceManagePermission } from '@internal/plugin-k2-common';
import { ActionButton } from '@internal/plugin-k2-react';
import { K2Alert, K2Incident } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';
import { MatcherDraft, SilenceDialog } from './SilenceDialog';

/** Labels K2 sets on every silence, or that say nothing about which alerts fire. */
const NOT_PREFILLED = new Set([
  'k2_entity',
  'environment',
  'k2_service',
  'namespace',
  'team',
  'severity',
]);

/**
 * The matchers a silence of the incident starts with: every label all of its alerts
 * share (its rule, alert name, and a pod or cluster when only one fires), except the
 * ones K2 sets itself or that every alert of the service carries.
 */
export function incidentMatchers(
  incident: K2Incident,
  alerts: K2Alert[],
): MatcherDraft[] {
  const [first, ...rest] = alerts;
  const shared = Object.entries(first?.labels ?? {}).filter(
    ([name, value]) =>
      !NOT_PREFILLED.has(name) && rest.every(a => a.labels[name] === value),
  );
  if (!shared.some(([name]) => name === 'k2_rule')) {
    shared.unshift(['k2_rule', incident.ruleKey]);
  }
  return shared
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value, isRegex: false }));
}

/**
 * "Silence" in the incident drawer: a silence of the incident's service and
 * environment, prefilled with the labels its alerts share. Owners (and admins) only;
 * others see why not.
 */
export function CreateSilenceButton(props: {
  incident: K2Incident;
  alerts: K2Alert[];
  environmentTitle(name: string): string;
}) {
  const t = useAlertsT();
  const { incident } = props;
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState(false);
  const manage = usePermission({
    permission: k2AlertSilenceManagePermission,
    resourceRef: incident.entityRef,
  });
  const ref = parseEntityRef(incident.entityRef);
  let refusal: string | undefined;
  if (manage.loading) refusal = '';
  else if (!manage.allowed) refusal = t('silences.refused');
  return (
    <>
      <ActionButton
        variant="outlined"
        size="small"
        disabledReason={refusal}
        onClick={() => setOpen(true)}
      >
        {created ? t('silences.createdOne') : t('silences.fromIncident')}
      </ActionButton>
      {open && (
        <SilenceDialog
          service={{ namespace: ref.namespace, name: ref.name }}
          environments={[
            {
              name: incident.environment,
              title: props.environmentTitle(incident.environment),
            },
          ]}
          initial={{
            environment: incident.environment,
            matchers: incidentMatchers(incident, props.alerts),
          }}
          onClose={() => setOpen(false)}
          onCreated={() => {
            setCreated(true);
            setOpen(false);
          }}
        />
      )}
    </>
  );
}
