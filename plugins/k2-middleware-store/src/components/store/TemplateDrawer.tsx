import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { MarkdownContent } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  ActionButton,
  DetailDrawer,
  Loaded,
  Mono,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2MiddlewareStoreApiRef } from '../../api/K2MiddlewareStoreApi';
import { useMiddlewareT } from '../../translation';
import { CreateInstanceDialog } from '../CreateInstanceDialog';
import { defaultText, fieldType, schemaFields } from '../schema';
import { K2MiddlewareEnvironmentPolicyList } from './types';
import { useOwnedServices } from './useOwnedServices';
import { Section } from '../Section';
import {
  labelled,
  LocalizedTemplate,
  useLocalizedTemplate,
  valueLabel,
} from '../templateText';

const useStyles = makeStyles({
  head: { '& th': { whiteSpace: 'nowrap' } },
  nowrap: { whiteSpace: 'nowrap' },
});

/**
 * A template's details in a drawer: what an instance creates (the kinds of
 * Kubernetes objects), its readme, its parameters with their defaults, size presets,
 * the connection env vars a bound service receives, whether deletion dumps the data
 * and what it upgrades to; Create opens the create form for one of the user's
 * services.
 */
export function TemplateDrawer(props: {
  template?: string;
  environments: Loaded<K2MiddlewareEnvironmentPolicyList>;
  onClose(): void;
}) {
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const template = useLoad(
    async () => (props.template ? api.getTemplate(props.template) : undefined),
    [api, props.template],
  );
  const value = useLocalizedTemplate(template.value);
  return (
    <DetailDrawer
      open={Boolean(props.template)}
      title={value ? `${value.title} (${value.version})` : props.template ?? ''}
      subtitle={value?.description}
      closeLabel={t('template.close')}
      onClose={props.onClose}
    >
      <ViewState
        value={props.template ? value : undefined}
        error={template.error}
        isEmpty={() => false}
        emptyTitle=""
      >
        {detail => (
          <TemplateDetail template={detail} environments={props.environments} />
        )}
      </ViewState>
    </DetailDrawer>
  );
}

function TemplateDetail(props: {
  template: LocalizedTemplate;
  environments: Loaded<K2MiddlewareEnvironmentPolicyList>;
}) {
  const { template } = props;
  const t = useMiddlewareT();
  const classes = useStyles();
  const navigate = useNavigate();
  const services = useOwnedServices();
  const [creating, setCreating] = useState(false);
  const { fields } = schemaFields(template.parameters);
  let createRefusal: string | undefined;
  if (!services.value || !props.environments.value) createRefusal = '';
  else if (services.value.length === 0) createRefusal = t('create.noService');
  return (
    <>
      <ActionButton
        variant="contained"
        disabledReason={createRefusal}
        onClick={() => setCreating(true)}
      >
        {t('template.create', { title: template.title })}
      </ActionButton>

      <Section title={t('template.creates')}>
        <Box display="flex" flexWrap="wrap" style={{ gap: 12 }}>
          {template.creates.map(kind => (
            <Mono key={kind}>{kind}</Mono>
          ))}
        </Box>
        <Typography variant="body2" style={{ marginTop: 8 }}>
          {template.backup ? t('template.backup') : t('template.noBackup')}
          {template.upgradesTo?.length
            ? ` ${t('template.upgradesTo', {
                templates: template.upgradesTo.join(', '),
              })}`
            : ''}
        </Typography>
      </Section>

      {template.readme && (
        <Section title={t('template.readme')}>
          <MarkdownContent content={template.readme} />
        </Section>
      )}

      <Section title={t('template.parameters')}>
        <Box overflow="auto">
          <Table size="small" aria-label={t('template.parameters')}>
            <TableHead className={classes.head}>
              <TableRow>
                <TableCell>{t('template.parameter')}</TableCell>
                <TableCell>{t('template.type')}</TableCell>
                <TableCell>{t('template.default')}</TableCell>
                <TableCell>{t('template.description')}</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {fields.map(([key, field]) => (
                <TableRow key={key}>
                  <TableCell className={classes.nowrap}>
                    {field.title ?? key} <Mono>({key})</Mono>
                  </TableCell>
                  <TableCell>
                    <Mono>{fieldType(field)}</Mono>
                  </TableCell>
                  <TableCell>
                    <Mono>
                      {field.default === undefined
                        ? '—'
                        : defaultText(t, field.default)}
                    </Mono>
                  </TableCell>
                  <TableCell>
                    {field.description ?? ''}
                    {field.enum && (
                      <Typography variant="caption" display="block">
                        {t('template.oneOf', {
                          values: field.enum
                            .map(v =>
                              labelled(String(v), valueLabel(template, key, v)),
                            )
                            .join(', '),
                        })}
                      </Typography>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      </Section>

      {template.presets.length > 0 && (
        <Section title={t('template.presets')}>
          <Table size="small" aria-label={t('template.presets')}>
            <TableHead className={classes.head}>
              <TableRow>
                <TableCell>{t('template.preset')}</TableCell>
                <TableCell>{t('template.cpu')}</TableCell>
                <TableCell>{t('template.memory')}</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {template.presets.map(p => (
                <TableRow key={p.name}>
                  <TableCell className={classes.nowrap}>
                    {p.label ? (
                      <>
                        {p.label} <Mono>({p.name})</Mono>
                      </>
                    ) : (
                      <Mono>{p.name}</Mono>
                    )}
                  </TableCell>
                  <TableCell>
                    <Mono>{p.cpu}</Mono>
                  </TableCell>
                  <TableCell>
                    <Mono>{p.memory}</Mono>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Section>
      )}

      <Section title={t('template.connection')}>
        <Table size="small" aria-label={t('template.connection')}>
          <TableHead className={classes.head}>
            <TableRow>
              <TableCell>{t('template.envVar')}</TableCell>
              <TableCell />
              <TableCell>{t('template.description')}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {template.connection.map(c => (
              <TableRow key={c.name}>
                <TableCell>
                  <Mono>{c.name}</Mono>
                </TableCell>
                <TableCell>
                  {c.secret ? t('template.secret') : t('template.plain')}
                </TableCell>
                <TableCell>{c.description ?? ''}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Section>

      {creating && services.value && props.environments.value && (
        <CreateInstanceDialog
          template={template.name}
          targets={services.value}
          environments={props.environments.value.items}
          onClose={() => setCreating(false)}
          onCreated={created => {
            setCreating(false);
            navigate(`instances?instance=${encodeURIComponent(created.id)}`);
          }}
        />
      )}
    </>
  );
}
