import { useMemo, useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Switch from '@material-ui/core/Switch';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  ActionButton,
  ActionDialog,
  EnvironmentSwitcher,
  ErrorText,
  Mono,
  RelativeTime,
  useEnvironmentParam,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import {
  K2AlertRule,
  K2AlertRuleTemplate,
  k2AlertsApiRef,
} from '../api/K2AlertsApi';
import { useAlertsT } from '../translation';
import { conditionInWords, localizedTemplate } from './format';
import { RuleDialog } from './RuleDialog';
import { SeverityChip } from './SeverityChip';
import { AlertsScope } from './types';

const useStyles = makeStyles(theme => ({
  head: { '& th': { whiteSpace: 'nowrap' } },
  failed: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  delivered: {
    backgroundColor: theme.palette.success.main,
    color: theme.palette.success.contrastText,
  },
  actions: { whiteSpace: 'nowrap', display: 'flex', gap: theme.spacing(1) },
}));

/** How often the rules are fetched again while shown (a delivery's state moves). */
const RULES_REFRESH_MS = 15_000;

/** Where a rule's compiled group stands: delivered (when), pending, or failed (why). */
function Delivery(props: { delivery: K2AlertRule['delivery'] }) {
  const t = useAlertsT();
  const classes = useStyles();
  const { state, message, at } = props.delivery;
  return (
    <Box>
      <Chip
        size="small"
        label={t(`delivery.${state}`)}
        className={state === 'pending' ? undefined : classes[state]}
      />
      {state === 'delivered' && at && (
        <Box component="span" ml={1}>
          <RelativeTime value={at} />
        </Box>
      )}
      {message && (
        <Typography
          variant="body2"
          color={state === 'failed' ? 'error' : 'textSecondary'}
        >
          {message}
        </Typography>
      )}
    </Box>
  );
}

/**
 * One environment's alert rules (`?environment=`): name, template, the condition in
 * words, severity, an enabled switch, and where delivery to Prometheus stands (the
 * reason when it failed). Owners create rules from templates, edit, disable and
 * delete them; everyone else sees the controls disabled with the reason.
 */
export function RulesView(props: { scope: AlertsScope }) {
  const { service, environments, rights } = props.scope;
  const t = useAlertsT();
  const classes = useStyles();
  const api = useApi(k2AlertsApiRef);
  const [param, setParam] = useEnvironmentParam();
  const environment =
    environments.find(e => e.name === param) ?? environments[0];
  const [editing, setEditing] = useState<K2AlertRule | 'new'>();
  const [deleting, setDeleting] = useState<K2AlertRule>();
  const [toggleError, setToggleError] = useState<Error>();
  const rules = useLoad(
    () => api.getRules(service, environment.name),
    [api, service, environment.name],
    { intervalMs: RULES_REFRESH_MS },
  );
  const templates = useLoad(() => api.getTemplates(), [api]);
  const templateItems = useMemo(
    () => templates.value?.items.map(tpl => localizedTemplate(t, tpl)),
    [templates.value, t],
  );
  const templateOf = (rule: K2AlertRule): K2AlertRuleTemplate | undefined =>
    templateItems?.find(tpl => tpl.id === rule.templateId);
  const title = t('rules.title', { environment: environment.title });
  const mayEdit = (rule: K2AlertRule) =>
    rights.manageRefusal ??
    (rule.expr !== undefined && !rule.templateId
      ? rights.promqlRefusal
      : undefined);

  return (
    <InfoCard title={title}>
      <Box mb={2} display="flex" alignItems="center" style={{ gap: 16 }}>
        <EnvironmentSwitcher
          environments={environments}
          value={environment.name}
          onChange={setParam}
        />
        <ActionButton
          variant="contained"
          disabledReason={rights.manageRefusal}
          onClick={() => setEditing('new')}
        >
          {t('rules.create')}
        </ActionButton>
      </Box>
      {toggleError && <ErrorText error={toggleError} />}
      <ViewState
        value={
          rules.value && (templates.value || templates.error)
            ? rules.value
            : undefined
        }
        error={rules.error}
        isEmpty={v => v.items.length === 0}
        emptyTitle={t('rules.empty', { environment: environment.title })}
        emptyDescription={t('rules.emptyHint')}
        inline
      >
        {list => (
          <Box overflow="auto">
            <Table size="small" aria-label={title}>
              <TableHead className={classes.head}>
                <TableRow>
                  <TableCell>{t('rules.name')}</TableCell>
                  <TableCell>{t('rules.template')}</TableCell>
                  <TableCell>{t('rules.condition')}</TableCell>
                  <TableCell>{t('rules.severity')}</TableCell>
                  <TableCell>{t('rules.enabled')}</TableCell>
                  <TableCell>{t('rules.delivery')}</TableCell>
                  <TableCell>{t('rules.actions')}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {list.items.map(rule => {
                  const template = templateOf(rule);
                  const refusal = mayEdit(rule);
                  const raw = rule.expr !== undefined && !rule.templateId;
                  return (
                    <TableRow key={rule.id}>
                      <TableCell>{rule.name}</TableCell>
                      <TableCell>
                        {raw
                          ? t('rules.promql')
                          : template?.title ??
                            t('rules.unknownTemplate', {
                              id: rule.templateId ?? '',
                            })}
                      </TableCell>
                      <TableCell>
                        {raw ? (
                          <Mono>{conditionInWords(t, rule, template)}</Mono>
                        ) : (
                          conditionInWords(t, rule, template)
                        )}
                      </TableCell>
                      <TableCell>
                        <SeverityChip severity={rule.severity} />
                      </TableCell>
                      <TableCell>
                        <Tooltip title={refusal ?? ''}>
                          <span>
                            <Switch
                              checked={rule.enabled}
                              disabled={refusal !== undefined}
                              inputProps={{
                                'aria-label': t('rules.enable', {
                                  name: rule.name,
                                }),
                              }}
                              onChange={async e => {
                                setToggleError(undefined);
                                try {
                                  await api.updateRule(service, rule.id, {
                                    environment: rule.environment,
                                    name: rule.name,
                                    ...(raw
                                      ? { expr: rule.expr }
                                      : {
                                          templateId: rule.templateId,
                                          parameters: rule.parameters,
                                        }),
                                    for: rule.for,
                                    severity: rule.severity,
                                    enabled: e.target.checked,
                                  });
                                } catch (error) {
                                  setToggleError(error as Error);
                                }
                                rules.reload();
                              }}
                            />
                          </span>
                        </Tooltip>
                      </TableCell>
                      <TableCell>
                        <Delivery delivery={rule.delivery} />
                      </TableCell>
                      <TableCell>
                        <Box className={classes.actions}>
                          <ActionButton
                            size="small"
                            disabledReason={refusal}
                            onClick={() => setEditing(rule)}
                            aria-label={`${t('rules.edit')} ${rule.name}`}
                          >
                            {t('rules.edit')}
                          </ActionButton>
                          <ActionButton
                            size="small"
                            destructive
                            disabledReason={refusal}
                            onClick={() => setDeleting(rule)}
                            aria-label={`${t('rules.delete')} ${rule.name}`}
                          >
                            {t('rules.delete')}
                          </ActionButton>
                        </Box>
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </Box>
        )}
      </ViewState>
      {editing && (
        <RuleDialog
          scope={props.scope}
          environment={environment}
          templates={templateItems ?? []}
          rule={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            rules.reload();
          }}
        />
      )}
      {deleting && (
        <ActionDialog
          title={t('delete.title', {
            name: deleting.name,
            environment: environment.title,
          })}
          confirm={t('delete.confirm')}
          busyLabel={t('delete.busy')}
          destructive
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.deleteRule(service, deleting.id);
            setDeleting(undefined);
            rules.reload();
          }}
        >
          <Typography variant="body2">
            {t('delete.explain', { environment: environment.title })}
          </Typography>
        </ActionDialog>
      )}
    </InfoCard>
  );
}
