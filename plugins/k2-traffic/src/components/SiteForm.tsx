import { ReactNode, useId } from 'react';
import {
  K2TrafficSite,
  K2TrafficTemplateList,
} from '@internal/plugin-k2-traffic-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import IconButton from '@material-ui/core/IconButton';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import DeleteIcon from '@material-ui/icons/Delete';
import { makeStyles } from '@material-ui/core/styles';
import { useTrafficT } from '../translation';
import { TemplateFields } from './TemplateFields';

type Upstream = K2TrafficSite['upstreams'][number];
type Member = NonNullable<Upstream['members']>[number];
type Location = K2TrafficSite['locations'][number];
type CanaryRoute = NonNullable<Upstream['canary']>;

const METHODS = ['round_robin', 'least_conn', 'ip_hash'] as const;
const CANARY_KINDS = ['off', 'weight', 'header', 'cookie'] as const;

const useStyles = makeStyles(theme => ({
  group: {
    borderTop: `1px solid ${theme.palette.divider}`,
    paddingTop: theme.spacing(2),
    marginTop: theme.spacing(2),
  },
  row: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-start',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(1),
  },
  nested: {
    marginLeft: theme.spacing(2),
    paddingLeft: theme.spacing(2),
    borderLeft: `2px solid ${theme.palette.divider}`,
  },
}));

/** A labelled text or number input whose label is its accessible name. */
export function Field(props: {
  label: string;
  value: string | number | undefined;
  onChange(value: string): void;
  error?: string;
  helperText?: string;
  placeholder?: string;
  type?: 'text' | 'number';
  width?: number;
  select?: boolean;
  children?: ReactNode;
}) {
  const id = useId();
  return (
    <TextField
      id={id}
      label={props.label}
      value={props.value ?? ''}
      onChange={e => props.onChange(e.target.value)}
      error={Boolean(props.error)}
      helperText={props.error ?? props.helperText}
      placeholder={props.placeholder}
      InputLabelProps={props.placeholder ? { shrink: true } : undefined}
      type={props.type ?? 'text'}
      select={props.select}
      variant="outlined"
      size="small"
      style={{ width: props.width ?? 220 }}
    >
      {props.children}
    </TextField>
  );
}

/**
 * An upstream's canary route: off, a share of requests, or one header's or cookie's
 * exact value. Switching the kind starts that kind empty; the backend checks the
 * values and its refusal (`<at>.percent`, `<at>.name`, ...) is shown on the field.
 */
function CanaryFields(props: {
  upstream: string;
  route: CanaryRoute | undefined;
  at: string;
  errors: Record<string, string>;
  onChange(route: CanaryRoute | undefined): void;
}) {
  const { route, at, errors } = props;
  const t = useTrafficT();
  const classes = useStyles();
  const label = t('editor.canary', { upstream: props.upstream });
  return (
    <div className={classes.nested} role="group" aria-label={label}>
      <Typography variant="subtitle2" component="h4">
        {label}
      </Typography>
      <Typography variant="body2" color="textSecondary" paragraph>
        {t('editor.canaryHint')}
      </Typography>
      <div className={classes.row}>
        <Field
          select
          label={t('editor.canaryRoute')}
          value={route?.kind ?? 'off'}
          width={200}
          error={errors[`${at}.kind`] ?? errors[at]}
          onChange={value =>
            props.onChange(
              value === 'off'
                ? undefined
                : { kind: value as CanaryRoute['kind'] },
            )
          }
        >
          {CANARY_KINDS.map(kind => (
            <MenuItem key={kind} value={kind}>
              {t(`editor.canaryRoutes.${kind}`)}
            </MenuItem>
          ))}
        </Field>
        {route?.kind === 'weight' && (
          <Field
            type="number"
            label={t('editor.canaryPercent')}
            value={route.percent}
            width={140}
            error={errors[`${at}.percent`]}
            helperText={t('editor.canaryPercentHint')}
            onChange={value =>
              props.onChange({ kind: 'weight', percent: toNumber(value) })
            }
          />
        )}
        {(route?.kind === 'header' || route?.kind === 'cookie') && (
          <>
            <Field
              label={t(
                route.kind === 'header'
                  ? 'editor.headerName'
                  : 'editor.cookieName',
              )}
              value={route.name}
              width={200}
              error={errors[`${at}.name`]}
              onChange={value => props.onChange({ ...route, name: value })}
            />
            <Field
              label={t('editor.canaryValue')}
              value={route.value}
              width={200}
              error={errors[`${at}.value`]}
              helperText={t('editor.canaryValueHint')}
              onChange={value => props.onChange({ ...route, value })}
            />
          </>
        )}
      </div>
    </div>
  );
}

/** A number from a number input: empty is "not set" (the backend's default). */
function toNumber(value: string): number | undefined {
  return value.trim() === '' ? undefined : Number(value);
}

/**
 * The site as a form: domains (after K2's test domain), HTTPS by certificate name,
 * upstreams with LB method, passive health, manual members and canary route, locations with their
 * upstream and timeouts, and the template's own fields from its JSON Schema. `errors`
 * are the backend's refusals by field path (`upstreams[0].members[1].address`), each
 * shown on its field. Every value is sent as typed; the backend validates.
 */
export function SiteForm(props: {
  site: K2TrafficSite;
  testDomain?: string;
  templates: K2TrafficTemplateList;
  errors: Record<string, string>;
  onChange(site: K2TrafficSite): void;
}) {
  const { site, errors } = props;
  const t = useTrafficT();
  const classes = useStyles();
  const set = (patch: Partial<K2TrafficSite>) =>
    props.onChange({ ...site, ...patch });
  const domains = site.domains ?? [];
  const setUpstream = (i: number, patch: Partial<Upstream>) =>
    set({
      upstreams: site.upstreams.map((u, k) =>
        k === i ? { ...u, ...patch } : u,
      ),
    });
  const setMember = (i: number, j: number, patch: Partial<Member>) =>
    setUpstream(i, {
      members: (site.upstreams[i].members ?? []).map((m, k) =>
        k === j ? { ...m, ...patch } : m,
      ),
    });
  const setLocation = (i: number, patch: Partial<Location>) =>
    set({
      locations: site.locations.map((l, k) =>
        k === i ? { ...l, ...patch } : l,
      ),
    });
  const remove = (label: string, onClick: () => void) => (
    <IconButton
      aria-label={t('editor.removeItem', { item: label })}
      onClick={onClick}
      size="small"
    >
      <DeleteIcon fontSize="small" />
    </IconButton>
  );
  const template = props.templates.items.find(x => x.name === site.template);

  return (
    <form onSubmit={e => e.preventDefault()} noValidate>
      <section aria-label={t('editor.domains')}>
        <Typography variant="subtitle1" component="h3">
          {t('editor.domains')}
        </Typography>
        <Typography variant="body2" color="textSecondary" paragraph>
          {t('editor.domainsHint')}
        </Typography>
        {props.testDomain && (
          <Typography variant="body2" paragraph>
            <code>{props.testDomain}</code> — {t('overview.testDomain')}
          </Typography>
        )}
        {domains.map((domain, i) => (
          <div className={classes.row} key={i}>
            <Field
              label={t('editor.domain', { index: String(i + 1) })}
              value={domain}
              width={320}
              error={errors[`domains[${i}]`]}
              onChange={value =>
                set({ domains: domains.map((d, k) => (k === i ? value : d)) })
              }
            />
            {remove(
              domain || t('editor.domain', { index: String(i + 1) }),
              () => set({ domains: domains.filter((_, k) => k !== i) }),
            )}
          </div>
        ))}
        <Button size="small" onClick={() => set({ domains: [...domains, ''] })}>
          {t('editor.addDomain')}
        </Button>
      </section>

      <section aria-label={t('editor.tls')} className={classes.group}>
        <Typography variant="subtitle1" component="h3" gutterBottom>
          {t('editor.tls')}
        </Typography>
        <div className={classes.row}>
          <Field
            label={t('editor.certificate')}
            value={site.tls?.certificate}
            width={320}
            error={errors['tls.certificate']}
            helperText={t('editor.certificateHint')}
            onChange={value =>
              set({
                tls: value
                  ? { redirectHttp: site.tls?.redirectHttp, certificate: value }
                  : undefined,
              })
            }
          />
          {site.tls && (
            <FormControlLabel
              control={
                <Checkbox
                  checked={site.tls.redirectHttp ?? true}
                  onChange={e =>
                    set({
                      tls: {
                        certificate: site.tls!.certificate,
                        redirectHttp: e.target.checked,
                      },
                    })
                  }
                />
              }
              label={t('editor.redirectHttp')}
            />
          )}
        </div>
      </section>

      <section aria-label={t('editor.upstreams')} className={classes.group}>
        <Typography variant="subtitle1" component="h3" gutterBottom>
          {t('editor.upstreams')}
        </Typography>
        {site.upstreams.map((upstream, i) => {
          const at = `upstreams[${i}]`;
          const members = upstream.members ?? [];
          return (
            <Box key={i} mb={2}>
              <div className={classes.row}>
                <Field
                  label={t('editor.upstreamName')}
                  value={upstream.name}
                  width={160}
                  error={errors[`${at}.name`]}
                  onChange={value => {
                    // Locations follow their upstream's new name.
                    props.onChange({
                      ...site,
                      upstreams: site.upstreams.map((u, k) =>
                        k === i ? { ...u, name: value } : u,
                      ),
                      locations: site.locations.map(l =>
                        l.upstream === upstream.name
                          ? { ...l, upstream: value }
                          : l,
                      ),
                    });
                  }}
                />
                <Field
                  select
                  label={t('editor.method')}
                  value={upstream.method ?? 'round_robin'}
                  width={200}
                  error={errors[`${at}.method`]}
                  onChange={value =>
                    setUpstream(i, { method: value as Upstream['method'] })
                  }
                >
                  {METHODS.map(method => (
                    <MenuItem key={method} value={method}>
                      {t(`methods.${method}`)}
                    </MenuItem>
                  ))}
                </Field>
                <Field
                  type="number"
                  label={t('editor.maxFails')}
                  value={upstream.maxFails}
                  placeholder="1"
                  width={140}
                  error={errors[`${at}.maxFails`]}
                  helperText={t('editor.maxFailsHint')}
                  onChange={value =>
                    setUpstream(i, { maxFails: toNumber(value) })
                  }
                />
                <Field
                  type="number"
                  label={t('editor.failTimeout')}
                  value={upstream.failTimeoutSeconds}
                  placeholder="10"
                  width={160}
                  error={errors[`${at}.failTimeoutSeconds`]}
                  helperText={t('editor.failTimeoutHint')}
                  onChange={value =>
                    setUpstream(i, { failTimeoutSeconds: toNumber(value) })
                  }
                />
                {site.upstreams.length > 1 &&
                  remove(upstream.name, () =>
                    set({
                      upstreams: site.upstreams.filter((_, k) => k !== i),
                    }),
                  )}
              </div>
              <div
                className={classes.nested}
                role="group"
                aria-label={t('editor.members', { upstream: upstream.name })}
              >
                <Typography variant="subtitle2" component="h4">
                  {t('editor.members', { upstream: upstream.name })}
                </Typography>
                <Typography variant="body2" color="textSecondary" paragraph>
                  {t('editor.membersHint')}
                </Typography>
                {members.map((member, j) => {
                  const m = `${at}.members[${j}]`;
                  return (
                    <div className={classes.row} key={j}>
                      <Field
                        label={t('editor.address')}
                        value={member.address}
                        width={240}
                        error={errors[`${m}.address`]}
                        onChange={value => setMember(i, j, { address: value })}
                      />
                      <Field
                        type="number"
                        label={t('editor.port')}
                        value={member.port}
                        width={110}
                        error={errors[`${m}.port`]}
                        onChange={value =>
                          setMember(i, j, { port: toNumber(value) as number })
                        }
                      />
                      <Field
                        type="number"
                        label={t('editor.weight')}
                        value={member.weight}
                        placeholder="1"
                        width={110}
                        error={errors[`${m}.weight`]}
                        helperText={t('editor.weightHint')}
                        onChange={value =>
                          setMember(i, j, { weight: toNumber(value) })
                        }
                      />
                      <FormControlLabel
                        control={
                          <Checkbox
                            checked={member.backup ?? false}
                            onChange={e =>
                              setMember(i, j, { backup: e.target.checked })
                            }
                          />
                        }
                        label={t('editor.backup')}
                      />
                      {errors[`${m}.backup`] && (
                        <Typography variant="caption" color="error">
                          {errors[`${m}.backup`]}
                        </Typography>
                      )}
                      {remove(`${member.address}:${member.port ?? ''}`, () =>
                        setUpstream(i, {
                          members: members.filter((_, k) => k !== j),
                        }),
                      )}
                    </div>
                  );
                })}
                <Button
                  size="small"
                  onClick={() =>
                    setUpstream(i, {
                      members: [
                        ...members,
                        { address: '', port: undefined as unknown as number },
                      ],
                    })
                  }
                >
                  {t('editor.addMember')}
                </Button>
              </div>
              <CanaryFields
                upstream={upstream.name}
                route={upstream.canary}
                at={`${at}.canary`}
                errors={errors}
                onChange={canary => setUpstream(i, { canary })}
              />
            </Box>
          );
        })}
        <Button
          size="small"
          onClick={() =>
            set({
              upstreams: [
                ...site.upstreams,
                { name: '', method: 'round_robin', members: [] },
              ],
            })
          }
        >
          {t('editor.addUpstream')}
        </Button>
      </section>

      <section aria-label={t('editor.locations')} className={classes.group}>
        <Typography variant="subtitle1" component="h3" gutterBottom>
          {t('editor.locations')}
        </Typography>
        {site.locations.map((location, i) => {
          const at = `locations[${i}]`;
          return (
            <div className={classes.row} key={i}>
              <Field
                label={t('editor.path')}
                value={location.path}
                width={200}
                error={errors[`${at}.path`]}
                onChange={value => setLocation(i, { path: value })}
              />
              <Field
                select
                label={t('editor.upstream')}
                value={location.upstream}
                width={160}
                error={errors[`${at}.upstream`]}
                onChange={value => setLocation(i, { upstream: value })}
              >
                {site.upstreams.map(u => (
                  <MenuItem key={u.name} value={u.name}>
                    {u.name}
                  </MenuItem>
                ))}
              </Field>
              <Field
                type="number"
                label={t('editor.connectTimeout')}
                value={location.connectTimeoutSeconds}
                placeholder="5"
                width={170}
                error={errors[`${at}.connectTimeoutSeconds`]}
                helperText={t('editor.connectDefault')}
                onChange={value =>
                  setLocation(i, { connectTimeoutSeconds: toNumber(value) })
                }
              />
              <Field
                type="number"
                label={t('editor.readTimeout')}
                value={location.readTimeoutSeconds}
                placeholder="60"
                width={170}
                error={errors[`${at}.readTimeoutSeconds`]}
                helperText={t('editor.readDefault')}
                onChange={value =>
                  setLocation(i, { readTimeoutSeconds: toNumber(value) })
                }
              />
              <Field
                type="number"
                label={t('editor.sendTimeout')}
                value={location.sendTimeoutSeconds}
                placeholder="60"
                width={170}
                error={errors[`${at}.sendTimeoutSeconds`]}
                helperText={t('editor.readDefault')}
                onChange={value =>
                  setLocation(i, { sendTimeoutSeconds: toNumber(value) })
                }
              />
              {site.locations.length > 1 &&
                remove(location.path, () =>
                  set({ locations: site.locations.filter((_, k) => k !== i) }),
                )}
            </div>
          );
        })}
        <Button
          size="small"
          onClick={() =>
            set({
              locations: [
                ...site.locations,
                { path: '', upstream: site.upstreams[0]?.name ?? '' },
              ],
            })
          }
        >
          {t('editor.addLocation')}
        </Button>
      </section>

      <section
        aria-label={t('editor.templateFields')}
        className={classes.group}
      >
        <Typography variant="subtitle1" component="h3" gutterBottom>
          {t('editor.templateFields')}
        </Typography>
        <div className={classes.row}>
          <Field
            select
            label={t('editor.template')}
            value={site.template}
            width={260}
            error={errors.template}
            helperText={template?.description}
            onChange={value => set({ template: value, fields: {} })}
          >
            {props.templates.items.map(x => (
              <MenuItem key={x.name} value={x.name}>
                {x.title}
              </MenuItem>
            ))}
          </Field>
        </div>
        {template && (
          <TemplateFields
            schema={template.schema}
            values={site.fields ?? {}}
            errors={errors}
            onChange={fields => set({ fields })}
          />
        )}
      </section>
    </form>
  );
}
