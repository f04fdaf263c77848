import { useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  K2MiddlewareEnvironmentPolicy,
  K2MiddlewareInstance,
  K2MiddlewareTemplateSummary,
} from '@internal/plugin-k2-middleware-store-common';
import { ActionDialog, useAppLocale, useLoad } from '@internal/plugin-k2-react';
import { Progress } from '@backstage/core-components';
import { k2MiddlewareStoreApiRef } from '../api/K2MiddlewareStoreApi';
import { MiddlewareT, useMiddlewareT } from '../translation';
import { daysFrom, serviceOf, useFormatDate, who } from './format';
import {
  defaultText,
  fieldProblem,
  FieldSchema,
  fieldType,
  fieldValue,
  schemaFields,
} from './schema';
import {
  labelled,
  localizeSummary,
  LocalizedTemplate,
  useLocalizedTemplate,
  valueLabel,
} from './templateText';

const NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;

/** A service the user may create middleware for, with the environments it runs in. */
export interface CreateTarget {
  /** Its entity ref, `component:default/payment-gateway`. */
  ref: string;
  title: string;
  environments: string[];
}

/**
 * Creates an instance: the product (unless one is chosen already), the service among
 * the user's own (unless the tab fixes it), the environment among those the service
 * runs in, a name, then a form generated from the template's JSON Schema — the size
 * preset, replicas, storage class among the environment's, storage size and the
 * product's options. Every field starts empty with the template's default as its
 * placeholder and the value that applies said under it; only what the user sets is
 * sent. Where the environment expires instances, the time to live with its default
 * and cap; where it needs approval, the reason for the approvers and that the
 * instance waits for them. A refusal (400 naming the field, 409 on a name in use,
 * 403) shows in the dialog, which stays open with the input kept.
 */
export function CreateInstanceDialog(props: {
  /** The product chosen on the App Store page; the tab lets the user choose. */
  template?: string;
  templates?: K2MiddlewareTemplateSummary[];
  targets: CreateTarget[];
  environments: K2MiddlewareEnvironmentPolicy[];
  onClose(): void;
  onCreated(instance: K2MiddlewareInstance): void;
}) {
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const [templateName, setTemplateName] = useState(
    props.template ?? props.templates?.[0]?.name ?? '',
  );
  const template = useLoad(
    async () => (templateName ? api.getTemplate(templateName) : undefined),
    [api, templateName],
  );
  const language = useAppLocale();
  const localized = useLocalizedTemplate(template.value);
  const [serviceRef, setServiceRef] = useState(props.targets[0]?.ref ?? '');
  const target = props.targets.find(s => s.ref === serviceRef);
  const offered = props.environments.filter(e =>
    target?.environments.includes(e.name),
  );
  const [environmentName, setEnvironmentName] = useState(
    offered[0]?.name ?? '',
  );
  const environment =
    offered.find(e => e.name === environmentName) ?? offered[0];
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [ttl, setTtl] = useState('');
  const [reason, setReason] = useState('');
  const ids = {
    template: useId(),
    service: useId(),
    environment: useId(),
    name: useId(),
    ttl: useId(),
    reason: useId(),
  };
  const date = useFormatDate();

  const schema = localized
    ? schemaFields(localized.parameters, values)
    : { fields: [], required: [] };
  const problems = schema.fields
    .map(([key, field]) =>
      fieldProblem(t, field, values[key] ?? '', schema.required.includes(key)),
    )
    .filter(Boolean);
  const maxTtl = environment?.maxTtlDays ?? environment?.ttlDays;
  const ttlOk =
    ttl === '' ||
    (/^[0-9]+$/.test(ttl) &&
      Number(ttl) >= 1 &&
      (maxTtl === undefined || Number(ttl) <= maxTtl));
  const nameOk = NAME.test(name);
  const ready =
    localized && target && environment && nameOk && ttlOk && !problems.length;
  const approval = environment?.approvalRequired ?? false;
  const envTitle = environment?.title ?? environment?.name ?? '';
  const title = localized?.title ?? templateName;

  return (
    <ActionDialog
      title={
        props.template
          ? t('create.title', { title })
          : t('create.chooseTitle', { service: who(target?.ref ?? '') })
      }
      confirm={approval ? t('create.confirmApproval') : t('create.confirm')}
      busyLabel={t('create.busy')}
      confirmDisabled={!ready}
      maxWidth="md"
      onClose={props.onClose}
      onConfirm={async () => {
        const parameters = Object.fromEntries(
          schema.fields
            .filter(([key]) => (values[key] ?? '') !== '')
            .map(([key, field]) => [key, fieldValue(field, values[key])]),
        );
        const created = await api.createInstance(serviceOf(serviceRef), {
          environment: environment!.name,
          template: templateName,
          name,
          ...(Object.keys(parameters).length ? { parameters } : {}),
          ...(ttl && environment?.ttlDays !== undefined
            ? { ttlDays: Number(ttl) }
            : {}),
          ...(approval && reason.trim() ? { reason: reason.trim() } : {}),
        });
        props.onCreated(created);
      }}
    >
      <Box display="flex" flexDirection="column" style={{ gap: 16 }}>
        {!props.template && (
          <TextField
            id={ids.template}
            select
            label={t('create.template')}
            value={templateName}
            onChange={e => {
              setTemplateName(e.target.value);
              setValues({});
            }}
          >
            {(props.templates ?? [])
              .map(s => localizeSummary(s, language))
              .map(s => (
                <MenuItem key={s.name} value={s.name}>
                  {s.title} · {s.product} {s.version}
                </MenuItem>
              ))}
          </TextField>
        )}
        {props.targets.length === 0 ? (
          <Typography variant="body2" color="error">
            {t('create.noService')}
          </Typography>
        ) : (
          props.targets.length > 1 && (
            <TextField
              id={ids.service}
              select
              label={t('create.service')}
              value={serviceRef}
              onChange={e => setServiceRef(e.target.value)}
              helperText={t('create.serviceHint')}
            >
              {props.targets.map(s => (
                <MenuItem key={s.ref} value={s.ref}>
                  {s.title}
                </MenuItem>
              ))}
            </TextField>
          )
        )}
        <TextField
          id={ids.environment}
          select
          label={t('create.environment')}
          value={environment?.name ?? ''}
          onChange={e => setEnvironmentName(e.target.value)}
        >
          {offered.map(e => (
            <MenuItem key={e.name} value={e.name}>
              {e.title ?? e.name}
            </MenuItem>
          ))}
        </TextField>
        {environment && (
          <Typography variant="body2" role="note">
            {approval
              ? t('create.approval', { environment: envTitle })
              : t('create.immediate', { environment: envTitle })}
          </Typography>
        )}
        <TextField
          id={ids.name}
          label={t('create.name')}
          value={name}
          onChange={e => setName(e.target.value)}
          error={name !== '' && !nameOk}
          helperText={
            name !== '' && !nameOk
              ? t('create.nameInvalid')
              : t('create.nameHint')
          }
        />
        {template.error && (
          <Typography variant="body2" color="error" role="alert">
            {template.error.message}
          </Typography>
        )}
        {!localized && !template.error && <Progress />}
        {localized &&
          schema.fields.map(([key, field]) => (
            <ParameterField
              key={`${templateName}/${key}`}
              t={t}
              name={key}
              schema={field}
              template={localized}
              environment={environment}
              required={schema.required.includes(key)}
              value={values[key] ?? ''}
              onChange={value => setValues(v => ({ ...v, [key]: value }))}
            />
          ))}
        {environment?.ttlDays !== undefined && (
          <TextField
            id={ids.ttl}
            type="number"
            label={t('create.ttl')}
            value={ttl}
            placeholder={String(environment.ttlDays)}
            onChange={e => setTtl(e.target.value)}
            error={!ttlOk}
            helperText={
              ttlOk
                ? `${t('create.ttlHint', {
                    days: String(environment.ttlDays),
                    environment: envTitle,
                    max: String(maxTtl),
                  })}. ${t('create.expiresOn', {
                    date: date(
                      daysFrom(ttl ? Number(ttl) : environment.ttlDays),
                    ),
                  })}`
                : t('create.ttlInvalid', { max: String(maxTtl) })
            }
            inputProps={{ min: 1, max: maxTtl }}
            InputLabelProps={{ shrink: true }}
          />
        )}
        {environment && environment.ttlDays === undefined && !approval && (
          <Typography variant="body2" color="textSecondary">
            {t('create.neverExpires', { environment: envTitle })}
          </Typography>
        )}
        {approval && (
          <TextField
            id={ids.reason}
            label={t('create.reason')}
            value={reason}
            onChange={e => setReason(e.target.value)}
            multiline
            minRows={2}
            inputProps={{ maxLength: 500 }}
          />
        )}
      </Box>
    </ActionDialog>
  );
}

/**
 * One parameter of the template's schema: a select for the size preset (with each
 * preset's resources), the storage class (the environment's, with whether each can
 * expand), an enum or a boolean; a text or number field otherwise. Empty means the
 * template's default, which the field shows as its placeholder and says under it.
 */
function ParameterField(props: {
  t: MiddlewareT;
  name: string;
  schema: FieldSchema;
  template: LocalizedTemplate;
  environment?: K2MiddlewareEnvironmentPolicy;
  required: boolean;
  value: string;
  onChange(value: string): void;
}) {
  const { t, name, schema, template, value } = props;
  const id = useId();
  const label = schema.title ?? name;
  const problem = fieldProblem(t, schema, value, props.required);
  const fallback =
    schema.default === undefined
      ? undefined
      : labelled(
          defaultText(t, schema.default),
          valueLabel(template, name, schema.default),
        );
  const hint =
    problem ??
    [
      schema.description,
      fallback === undefined
        ? props.required && t('create.noDefault')
        : t('create.defaultFromTemplate', { value: fallback }),
    ]
      .filter(Boolean)
      .join(' · ');
  let options: Array<{ value: string; label: string }> | undefined;
  if (name === 'size' && template.presets.length > 0) {
    options = template.presets.map(p => ({
      value: p.name,
      label: t('create.presetOption', {
        name: labelled(p.name, p.label),
        cpu: p.cpu,
        memory: p.memory,
      }),
    }));
  } else if (name === 'storageClass' && props.environment) {
    options = props.environment.storageClasses.map(c => ({
      value: c.name,
      label: c.expandable
        ? t('create.storageClassOption', { name: c.name })
        : t('create.storageClassFixed', { name: c.name }),
    }));
  } else if (schema.enum) {
    options = schema.enum.map(v => ({
      value: String(v),
      label: labelled(String(v), valueLabel(template, name, v)),
    }));
  } else if (fieldType(schema) === 'boolean') {
    options = [
      { value: 'true', label: t('create.yes') },
      { value: 'false', label: t('create.no') },
    ];
  }
  if (options) {
    return (
      <TextField
        id={id}
        select
        label={label}
        value={value}
        onChange={e => props.onChange(e.target.value)}
        error={Boolean(problem)}
        helperText={hint}
        SelectProps={{ displayEmpty: true }}
        InputLabelProps={{ shrink: true }}
      >
        <MenuItem value="">
          <em>{fallback ?? '—'}</em>
        </MenuItem>
        {options.map(o => (
          <MenuItem key={o.value} value={o.value}>
            {o.label}
          </MenuItem>
        ))}
      </TextField>
    );
  }
  const type = fieldType(schema);
  return (
    <TextField
      id={id}
      type={type === 'integer' || type === 'number' ? 'number' : 'text'}
      label={label}
      value={value}
      placeholder={fallback}
      onChange={e => props.onChange(e.target.value)}
      error={Boolean(problem)}
      helperText={hint}
      inputProps={{
        min: schema.minimum,
        max: schema.maximum,
        maxLength: schema.maxLength,
      }}
      InputLabelProps={{ shrink: true }}
    />
  );
}
