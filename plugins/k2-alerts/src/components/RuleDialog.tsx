import { useEffect, useId, useMemo, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import InputAdornment from '@material-ui/core/InputAdornment';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog } from '@internal/plugin-k2-react';
import {
  K2AlertRule,
  K2AlertRuleInput,
  K2AlertRuleTemplate,
  K2AlertSeverity,
  k2AlertsApiRef,
  K2AlertTemplateParameter,
} from '../api/K2AlertsApi';
import { AlertsT, useAlertsT } from '../translation';
import { formatBytes } from '@internal/plugin-k2-common';
import {
  durationSeconds,
  formatDuration,
  MAX_DURATION_SECONDS,
  parameterValue,
  parseBytes,
} from './format';
import { LazyCodeView } from './LazyCodeView';
import { RulePreview } from './RulePreview';
import { SEVERITIES } from './SeverityChip';
import { AlertsEnvironment, AlertsScope } from './types';

/** The template choice that stands for a rule written in PromQL. */
const PROMQL = '';

/** A Kubernetes name, as a pod or container parameter takes it. */
const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** A rule's name as the backend takes it (also its alerts' `alertname`). */
const RULE_NAME = /^[A-Za-z][A-Za-z0-9_ .:-]{0,62}[A-Za-z0-9]$/;

/** How long the preview waits after the last change before asking the backend. */
export const PREVIEW_DELAY_MS = 500;

/**
 * What is wrong with a parameter's value as typed, in words, or undefined. An empty
 * value is wrong only when the parameter is required and has no default (the backend
 * fills the default in).
 */
export function parameterProblem(
  t: AlertsT,
  parameter: K2AlertTemplateParameter,
  text: string,
): string | undefined {
  const value = text.trim();
  if (value === '') {
    return parameter.required && parameter.default === undefined
      ? t('dialog.required')
      : undefined;
  }
  // The bounds as the backend checks them, said in the parameter's own unit.
  const bounded = (
    n: number,
    min: number | undefined,
    max: number | undefined,
    format: (bound: number) => string,
  ) => {
    if (min !== undefined && n < min) {
      return t('dialog.atLeast', { min: format(min) });
    }
    if (max !== undefined && n > max) {
      return t('dialog.atMost', { max: format(max) });
    }
    return undefined;
  };
  switch (parameter.type) {
    case 'number':
    case 'percent': {
      const n = Number(value);
      if (!Number.isFinite(n)) return t('dialog.notANumber');
      return bounded(
        n,
        parameter.min ?? 0,
        parameter.max ?? (parameter.type === 'percent' ? 1000 : undefined),
        String,
      );
    }
    case 'bytes': {
      const bytes = parseBytes(value);
      if (bytes === undefined) return t('dialog.bytes');
      return bounded(bytes, parameter.min, parameter.max, formatBytes);
    }
    case 'duration': {
      const seconds = durationSeconds(value);
      if (seconds === undefined) return t('dialog.duration');
      return bounded(
        seconds,
        parameter.min,
        Math.min(parameter.max ?? MAX_DURATION_SECONDS, MAX_DURATION_SECONDS),
        formatDuration,
      );
    }
    case 'url':
      try {
        const url = new URL(value);
        return ['http:', 'https:'].includes(url.protocol) &&
          !/[\s"'{}\\`]/.test(value)
          ? undefined
          : t('dialog.url');
      } catch {
        return t('dialog.url');
      }
    default:
      return KUBE_NAME.test(value) ? undefined : t('dialog.kubeName');
  }
}

/** A parameter's typed value as the API takes it: numbers and sizes as numbers. */
function parameterInput(
  parameter: K2AlertTemplateParameter,
  text: string,
): string | number {
  const value = text.trim();
  switch (parameter.type) {
    case 'number':
    case 'percent':
      return Number(value);
    case 'bytes':
      return parseBytes(value)!;
    default:
      return value;
  }
}

/** The text a field starts with for an existing rule's parameter value. */
function parameterText(
  parameter: K2AlertTemplateParameter,
  value: string | number | undefined,
): string {
  if (value === undefined) return '';
  if (parameter.type === 'bytes' && typeof value === 'number') {
    const mi = value / 2 ** 20;
    if (Number.isInteger(mi) && mi > 0) {
      return Number.isInteger(mi / 1024) ? `${mi / 1024}Gi` : `${mi}Mi`;
    }
  }
  return String(value);
}

/** The placeholder of a parameter's field: its default, or an example of its kind. */
function placeholder(parameter: K2AlertTemplateParameter): string | undefined {
  if (parameter.default !== undefined) {
    return parameter.type === 'bytes'
      ? parameterText(parameter, parameter.default)
      : String(parameter.default);
  }
  switch (parameter.type) {
    case 'bytes':
      return '512Mi';
    case 'duration':
      return '5m';
    case 'url':
      return 'https://';
    default:
      return undefined;
  }
}

/**
 * Creates or edits one alert rule of one environment: a name, a template (or, for
 * platform admins, PromQL), the template's parameters each with an input for its
 * kind (percent, size, duration, URL, number, text such as a pod or container name),
 * severity, how long the condition must hold, and whether it is enabled. A field left
 * empty takes the template's default, shown as its placeholder. While the form is
 * valid, a live preview asks the backend (`PREVIEW_DELAY_MS` after the last change)
 * for the expression's current value per series in that environment's Prometheus and
 * shows the rule group as it would be delivered.
 */
export function RuleDialog(props: {
  scope: AlertsScope;
  environment: AlertsEnvironment;
  templates: K2AlertRuleTemplate[];
  rule?: K2AlertRule;
  onClose(): void;
  onSaved(rule: K2AlertRule): void;
}) {
  const { service, rights } = props.scope;
  const { environment, templates, rule } = props;
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const ids = { name: useId(), kind: useId(), severity: useId(), for: useId() };
  const paramId = useId();
  const raw = rule !== undefined && rule.expr !== undefined && !rule.templateId;
  const [name, setName] = useState(rule?.name ?? '');
  const [kind, setKind] = useState(
    raw ? PROMQL : rule?.templateId ?? templates[0]?.id ?? PROMQL,
  );
  const template = templates.find(tpl => tpl.id === kind);
  const [texts, setTexts] = useState<Record<string, Record<string, string>>>(
    () => {
      const initial = templates.find(tpl => tpl.id === rule?.templateId);
      if (!rule || !initial) return {};
      return {
        [initial.id]: Object.fromEntries(
          initial.parameters.map(p => [
            p.name,
            parameterText(p, rule.parameters[p.name]),
          ]),
        ),
      };
    },
  );
  const [expr, setExpr] = useState(rule?.expr ?? '');
  const isPromql = kind === PROMQL;
  const [chosenSeverity, setSeverity] = useState<K2AlertSeverity | ''>(
    rule?.severity ?? '',
  );
  // PromQL has no template to default from: warning unless chosen otherwise.
  const severity =
    isPromql && chosenSeverity === '' ? 'warning' : chosenSeverity;
  const [forText, setForText] = useState(rule?.for ?? '');
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const values = (template && texts[template.id]) ?? {};

  const nameProblem =
    name && !RULE_NAME.test(name) ? t('dialog.nameRule') : undefined;
  const forSeconds = durationSeconds(forText);
  let forProblem: string | undefined;
  if (forText && forSeconds === undefined) forProblem = t('dialog.duration');
  else if (forSeconds !== undefined && forSeconds > MAX_DURATION_SECONDS) {
    forProblem = t('dialog.atMost', {
      max: formatDuration(MAX_DURATION_SECONDS),
    });
  }
  const problems = Object.fromEntries(
    (template?.parameters ?? []).map(p => [
      p.name,
      parameterProblem(t, p, values[p.name] ?? ''),
    ]),
  );
  const valid =
    RULE_NAME.test(name) &&
    !forProblem &&
    (isPromql
      ? expr.trim() !== '' && forText !== ''
      : Boolean(template) && Object.values(problems).every(p => !p));

  const input: K2AlertRuleInput | undefined = useMemo(() => {
    if (!valid) return undefined;
    if (isPromql) {
      return {
        environment: environment.name,
        name,
        expr: expr.trim(),
        for: forText,
        severity: severity as K2AlertSeverity,
        enabled,
      };
    }
    const parameters = Object.fromEntries(
      template!.parameters
        .filter(p => (values[p.name] ?? '').trim() !== '')
        .map(p => [p.name, parameterInput(p, values[p.name])]),
    );
    return {
      environment: environment.name,
      name,
      templateId: template!.id,
      parameters,
      ...(forText ? { for: forText } : {}),
      ...(severity ? { severity } : {}),
      enabled,
    };
    // The form's fields are the input; `values` is derived from `texts`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [
    valid,
    isPromql,
    environment.name,
    name,
    expr,
    forText,
    severity,
    enabled,
    template,
    texts,
  ]);
  const previewKey = input ? JSON.stringify({ ...input, enabled: true }) : '';
  const [previewed, setPreviewed] = useState<{
    key: string;
    input: K2AlertRuleInput;
  }>();
  useEffect(() => {
    if (!input) {
      setPreviewed(undefined);
      return undefined;
    }
    const timer = setTimeout(
      () => setPreviewed({ key: previewKey, input }),
      PREVIEW_DELAY_MS,
    );
    return () => clearTimeout(timer);
    // Only a change of what would be evaluated asks again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [previewKey]);

  const setValue = (parameter: string, value: string) =>
    setTexts(all => ({
      ...all,
      [kind]: { ...all[kind], [parameter]: value },
    }));

  return (
    <ActionDialog
      title={
        rule
          ? t('dialog.editTitle', {
              name: rule.name,
              environment: environment.title,
            })
          : t('dialog.createTitle', { environment: environment.title })
      }
      confirm={rule ? t('dialog.save') : t('dialog.create')}
      busyLabel={rule ? t('dialog.saving') : t('dialog.creating')}
      confirmDisabled={!input}
      maxWidth="md"
      onClose={props.onClose}
      onConfirm={async () => {
        const saved = rule
          ? await api.updateRule(service, rule.id, input!)
          : await api.createRule(service, input!);
        props.onSaved(saved);
      }}
      preview={
        <RulePreview
          service={service}
          template={isPromql ? undefined : template}
          environment={environment}
          input={previewed?.input}
          pending={previewKey !== '' && previewed?.key !== previewKey}
        />
      }
    >
      <Typography variant="body2" paragraph>
        {t('dialog.explain', { environment: environment.title })}
      </Typography>
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }}>
        <TextField
          id={ids.name}
          label={t('dialog.name')}
          value={name}
          onChange={e => setName(e.target.value)}
          error={Boolean(nameProblem)}
          helperText={nameProblem ?? t('dialog.nameHelp')}
          required
          InputLabelProps={{ shrink: true }}
          style={{ flex: '1 1 240px' }}
        />
        <TextField
          id={ids.kind}
          select
          label={t('dialog.kind')}
          value={kind}
          onChange={e => setKind(e.target.value)}
          helperText={template?.description}
          InputLabelProps={{ shrink: true }}
          style={{ flex: '2 1 320px' }}
        >
          {templates.map(tpl => (
            <MenuItem key={tpl.id} value={tpl.id}>
              {tpl.title}
            </MenuItem>
          ))}
          <MenuItem
            value={PROMQL}
            disabled={rights.promqlRefusal !== undefined}
          >
            {rights.promqlRefusal
              ? `${t('dialog.rawPromql')} — ${rights.promqlRefusal}`
              : t('dialog.rawPromql')}
          </MenuItem>
        </TextField>
      </Box>
      {isPromql ? (
        <Box mt={2}>
          <Typography variant="subtitle2" component="h3" gutterBottom>
            {t('dialog.expr')}
          </Typography>
          <LazyCodeView
            value={expr}
            label={t('dialog.expr')}
            onChange={setExpr}
            minHeight="80px"
          />
          <Typography variant="caption" color="textSecondary">
            {t('dialog.exprHelp', {
              example: `container_memory_working_set_bytes{namespace="${service.name}"} > 1e9`,
            })}
          </Typography>
        </Box>
      ) : (
        template &&
        template.parameters.length > 0 && (
          <Box mt={2}>
            <Typography variant="subtitle2" component="h3">
              {t('dialog.parameters')}
            </Typography>
            <Box display="flex" flexWrap="wrap" style={{ gap: 16 }}>
              {template.parameters.map(p => (
                <TextField
                  key={`${template.id}/${p.name}`}
                  id={`${paramId}-${p.name}`}
                  label={p.title}
                  value={values[p.name] ?? ''}
                  onChange={e => setValue(p.name, e.target.value)}
                  placeholder={placeholder(p)}
                  required={p.required && p.default === undefined}
                  type={p.type === 'url' ? 'url' : 'text'}
                  inputProps={
                    p.type === 'number' || p.type === 'percent'
                      ? { inputMode: 'decimal' }
                      : undefined
                  }
                  InputProps={
                    p.type === 'percent'
                      ? {
                          endAdornment: (
                            <InputAdornment position="end">%</InputAdornment>
                          ),
                        }
                      : undefined
                  }
                  InputLabelProps={{ shrink: true }}
                  error={Boolean(problems[p.name])}
                  helperText={
                    problems[p.name] ??
                    p.description ??
                    (p.default !== undefined
                      ? t('dialog.defaultValue', {
                          value: parameterValue(t, p, p.default),
                        })
                      : undefined)
                  }
                  margin="normal"
                  style={{
                    flex: p.type === 'url' ? '1 1 100%' : '1 1 200px',
                  }}
                />
              ))}
            </Box>
          </Box>
        )
      )}
      <Box
        display="flex"
        flexWrap="wrap"
        alignItems="flex-start"
        style={{ gap: 16 }}
        mt={2}
      >
        <TextField
          id={ids.severity}
          select
          label={t('dialog.severity')}
          value={severity}
          onChange={e => setSeverity(e.target.value as K2AlertSeverity | '')}
          SelectProps={{ displayEmpty: true }}
          InputLabelProps={{ shrink: true }}
          style={{ flex: '1 1 200px' }}
        >
          {!isPromql && template && (
            <MenuItem value="">
              {t('dialog.severityDefault', {
                severity: t(`severity.${template.defaultSeverity}`),
              })}
            </MenuItem>
          )}
          {SEVERITIES.map(s => (
            <MenuItem key={s} value={s}>
              {t(`severity.${s}`)}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          id={ids.for}
          label={t('dialog.for')}
          value={forText}
          onChange={e => setForText(e.target.value.trim())}
          placeholder={!isPromql ? template?.defaultFor : '5m'}
          required={isPromql}
          error={Boolean(forProblem)}
          helperText={
            forProblem ??
            (!isPromql && template
              ? t('dialog.forDefault', { for: template.defaultFor })
              : t('dialog.forHelp'))
          }
          InputLabelProps={{ shrink: true }}
          style={{ flex: '1 1 200px' }}
        />
        <FormControlLabel
          control={
            <Checkbox
              checked={enabled}
              onChange={e => setEnabled(e.target.checked)}
            />
          }
          label={t('dialog.enabled')}
        />
      </Box>
    </ActionDialog>
  );
}
