import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { Content, Header, Link, Page } from '@backstage/core-components';
import {
  Entity,
  parseEntityRef,
  RELATION_HAS_MEMBER,
} from '@backstage/catalog-model';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { k2AlertTemplateManagePermission } from '@internal/plugin-k2-common';
import {
  ActionButton,
  ErrorText,
  RelativeTime,
  useLoad,
  ViewState,
} from '@internal/plugin-k2-react';
import {
  k2AlertsApiRef,
  K2AlertsService,
  K2TeamAlertSettingsView,
} from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';
import { entityName } from '../format';
import { ChannelsCard } from './ChannelsCard';
import {
  EscalationCard,
  LeadCard,
  Member,
  QuietHoursCard,
  RotaCard,
} from './PolicyCards';
import {
  fieldOfRefusal,
  formOf,
  formProblems,
  SettingsField,
  SettingsForm,
  settingsOf,
} from './settingsForm';

const displayName = (entity: Entity) =>
  (entity.spec?.profile as { displayName?: string } | undefined)?.displayName ??
  entity.metadata.title ??
  entity.metadata.name;

/**
 * A team's alert settings (`/k2/alerts/settings?team=group:default/payments-team`; the
 * signed-in user's first group without `team`): channels with their message templates
 * and live preview, quiet hours, escalation levels, the lead and the on-call rota.
 * Members of the team and platform admins edit and save them; anyone else reads them,
 * told why they cannot change them. The backend decides; the page only reflects its
 * rule (ownership claims include the group, or `k2.alert.template.manage`).
 */
export function TeamSettingsPage() {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const catalog = useApi(catalogApiRef);
  const identity = useApi(identityApiRef);
  const admin = usePermission({ permission: k2AlertTemplateManagePermission });
  const [params] = useSearchParams();
  const own = useLoad(() => identity.getBackstageIdentity(), [identity]);
  const team =
    params.get('team') ??
    own.value?.ownershipEntityRefs.find(ref => ref.startsWith('group:')) ??
    '';
  const group = useMemo(() => {
    if (!team) return undefined;
    const ref = parseEntityRef(team);
    return { namespace: ref.namespace, name: ref.name };
  }, [team]);
  const loaded = useLoad(async () => {
    if (!group) return undefined;
    const [settings, entity] = await Promise.all([
      api.getTeamSettings(group),
      catalog.getEntityByRef({ kind: 'group', ...group }),
    ]);
    const memberRefs = (entity?.relations ?? [])
      .filter(r => r.type === RELATION_HAS_MEMBER)
      .map(r => r.targetRef);
    const users = memberRefs.length
      ? (await catalog.getEntitiesByRefs({ entityRefs: memberRefs })).items
      : [];
    const members: Member[] = memberRefs
      .map((ref, index) => ({
        ref,
        name: users[index] ? displayName(users[index]!) : entityName(ref),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      settings,
      members,
      title: entity ? displayName(entity) : entityName(team),
    };
  }, [api, catalog, group]);

  const teamLabel = loaded.value?.title ?? (team ? entityName(team) : '');
  const member = own.value?.ownershipEntityRefs.some(
    ref => ref.toLocaleLowerCase('en-US') === team.toLocaleLowerCase('en-US'),
  );
  const editable = Boolean(member || admin.allowed);

  return (
    <Page themeId="tool">
      <Header
        title={t('teamSettings.title', { team: teamLabel })}
        subtitle={t('teamSettings.subtitle', { team: teamLabel })}
      />
      <Content>
        <ViewState
          value={
            group && !own.loading && !admin.loading ? loaded.value : undefined
          }
          error={own.error ?? loaded.error}
          isEmpty={() => false}
          emptyTitle=""
        >
          {value =>
            group && (
              <SettingsEditor
                key={team}
                team={group}
                teamRef={team}
                teamLabel={value.title}
                settings={value.settings}
                members={value.members}
                editable={editable}
              />
            )
          }
        </ViewState>
        {own.value && !team && (
          <Typography variant="body2">{t('page.noTeamHint')}</Typography>
        )}
      </Content>
    </Page>
  );
}

/** The form of one team's settings as loaded; a save reloads them. */
function SettingsEditor(props: {
  team: K2AlertsService;
  teamRef: string;
  teamLabel: string;
  settings: K2TeamAlertSettingsView;
  members: Member[];
  editable: boolean;
}) {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const navigate = useNavigate();
  const { editable, teamLabel } = props;
  // What the backend last answered: the loaded settings, then each save's answer.
  const [settings, setSettings] = useState(props.settings);
  const initial = useMemo(() => formOf(settings), [settings]);
  const [form, setForm] = useState<SettingsForm>(initial);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [refusal, setRefusal] = useState<{
    error: Error;
    message: string;
    field?: SettingsField;
  }>();
  const [leaving, setLeaving] = useState(false);
  const dirty =
    JSON.stringify(settingsOf(form)) !== JSON.stringify(settingsOf(initial));
  const problems = formProblems(form);
  const overview = `..?team=${encodeURIComponent(props.teamRef)}`;

  // A reload or a closed tab with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return undefined;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  const patch = (change: Partial<SettingsForm>) => {
    setForm(f => ({ ...f, ...change }));
    setSaved(false);
  };
  const refusedIn = (section: SettingsField['section']) =>
    refusal?.field?.section === section ? refusal.message : undefined;

  const save = async () => {
    setSaving(true);
    setRefusal(undefined);
    setSaved(false);
    try {
      const answer = await api.updateTeamSettings(props.team, settingsOf(form));
      setSettings(answer);
      setForm(formOf(answer));
      setSaved(true);
    } catch (error) {
      const e = error as Error & { body?: { error?: { message?: string } } };
      const message = e.body?.error?.message ?? e.message;
      setRefusal({
        error: e,
        message,
        field: fieldOfRefusal(message, form.channels),
      });
    } finally {
      setSaving(false);
    }
  };

  let saveBlocked: string | undefined;
  if (saving) saveBlocked = '';
  else if (!dirty) saveBlocked = t('teamSettings.noChanges');
  else if (Object.keys(problems).length > 0) {
    saveBlocked = t('teamSettings.fixFirst');
  }

  return (
    <>
      <Box
        display="flex"
        flexWrap="wrap"
        alignItems="center"
        mb={2}
        style={{ gap: 16 }}
      >
        <Link
          to={overview}
          onClick={event => {
            if (!dirty) return;
            event.preventDefault();
            setLeaving(true);
          }}
        >
          {t('teamSettings.back')}
        </Link>
        {settings.updatedBy && settings.updatedAt && (
          <Typography variant="body2" color="textSecondary">
            {t('teamSettings.updated', {
              user: entityName(settings.updatedBy),
            })}{' '}
            <RelativeTime value={settings.updatedAt} />
          </Typography>
        )}
      </Box>
      {!editable && (
        <Box mb={2}>
          <Typography variant="body1" role="note">
            {t('teamSettings.readOnly', { team: teamLabel })}
          </Typography>
        </Box>
      )}
      {editable && !settings.stored && (
        <Box mb={2}>
          <Typography variant="body2" color="textSecondary">
            {t('teamSettings.defaults', { team: teamLabel })}
          </Typography>
        </Box>
      )}
      <Grid container spacing={2}>
        <Grid item xs={12}>
          <ChannelsCard
            team={props.team}
            channels={form.channels}
            editable={editable}
            onChange={channels => patch({ channels })}
            duplicate={problems.channels === 'duplicateId'}
            refusal={
              refusal?.field?.section === 'channels'
                ? {
                    message: refusal.message,
                    channelId: refusal.field.channelId,
                  }
                : undefined
            }
          />
        </Grid>
        <Grid item xs={12}>
          <EscalationCard
            levels={form.escalation}
            editable={editable}
            onChange={escalation => patch({ escalation })}
            refusal={refusedIn('escalation')}
          />
        </Grid>
        <Grid item xs={12} lg={4}>
          <QuietHoursCard
            form={form}
            editable={editable}
            onChange={patch}
            problem={problems.quietHours === 'sameTime'}
            refusal={refusedIn('quietHours')}
          />
        </Grid>
        <Grid item xs={12} lg={4}>
          <LeadCard
            lead={form.lead}
            members={props.members}
            editable={editable}
            onChange={patch}
            refusal={refusedIn('lead')}
          />
        </Grid>
        <Grid item xs={12} lg={4}>
          <RotaCard
            form={form}
            members={props.members}
            editable={editable}
            onChange={patch}
            refusal={refusedIn('rota')}
          />
        </Grid>
      </Grid>
      {editable && (
        <Box
          mt={2}
          display="flex"
          alignItems="center"
          flexWrap="wrap"
          style={{ gap: 16 }}
        >
          <ActionButton
            variant="contained"
            onClick={save}
            disabledReason={saveBlocked}
          >
            {saving ? t('teamSettings.saving') : t('teamSettings.save')}
          </ActionButton>
          {dirty && (
            <Button
              onClick={() => {
                setForm(initial);
                setRefusal(undefined);
              }}
              disabled={saving}
            >
              {t('teamSettings.discard')}
            </Button>
          )}
          {saveBlocked && (
            <Typography variant="body2" color="textSecondary">
              {saveBlocked}
            </Typography>
          )}
          {saved && !dirty && (
            <Typography variant="body2" role="status">
              {t('teamSettings.saved')}
            </Typography>
          )}
        </Box>
      )}
      {refusal && (
        <ErrorText
          error={
            new Error(t('teamSettings.refused', { message: refusal.message }))
          }
        />
      )}
      <Dialog
        open={leaving}
        onClose={() => setLeaving(false)}
        aria-labelledby="k2-unsaved-title"
      >
        <DialogTitle id="k2-unsaved-title">
          {t('teamSettings.unsaved.title')}
        </DialogTitle>
        <DialogContent>
          <Typography variant="body2">
            {t('teamSettings.unsaved.body', { team: teamLabel })}
          </Typography>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setLeaving(false)}>
            {t('teamSettings.unsaved.stay')}
          </Button>
          <Button color="primary" onClick={() => navigate(overview)}>
            {t('teamSettings.unsaved.leave')}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
