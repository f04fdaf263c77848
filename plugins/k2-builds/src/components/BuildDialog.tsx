import { useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { K2Build, K2BuildSettings } from '@internal/plugin-k2-builds-common';
import { ActionDialog } from '@internal/plugin-k2-react';
import { k2BuildsApiRef } from '../api/K2BuildsApi';
import { useBuildsT } from '../translation';
import { refProblem, tagProblem } from './format';
import { BuildsScope } from './types';

/** The release choice's value for "no release" (an environment name is never empty). */
const NO_RELEASE = '';

/**
 * Starts a build: the ref (the service's default filled in), an optional image tag,
 * and the environment to release to when it succeeds (the service's default, another
 * environment without required approval, or none). A bad ref or tag is said under its
 * field and keeps Build disabled; a refusal of the server shows in the dialog, which
 * stays open with everything typed.
 */
export function BuildDialog(props: {
  scope: BuildsScope;
  settings: K2BuildSettings;
  onClose(): void;
  onStarted(build: K2Build): void;
}) {
  const { scope, settings } = props;
  const t = useBuildsT();
  const api = useApi(k2BuildsApiRef);
  const [ref, setRef] = useState(settings.defaultRef ?? '');
  const [tag, setTag] = useState('');
  const targets = settings.releaseTargets ?? [];
  const [releaseTo, setReleaseTo] = useState(
    settings.releaseTo && targets.includes(settings.releaseTo)
      ? settings.releaseTo
      : NO_RELEASE,
  );
  // Without a default ref the backend builds the repository's default branch.
  const refError = refProblem(ref.trim(), t, !settings.defaultRef);
  const tagError = tagProblem(tag.trim(), t);
  const environmentLabel = (name: string) =>
    name === settings.releaseTo
      ? t('build.serviceDefault', {
          environment: scope.environmentTitle(name),
        })
      : scope.environmentTitle(name);
  return (
    <ActionDialog
      title={t('build.title', { service: scope.service.name })}
      confirm={t('build.confirm')}
      busyLabel={t('build.busy')}
      confirmDisabled={Boolean(refError || tagError)}
      maxWidth="sm"
      onClose={props.onClose}
      onConfirm={async () => {
        const build = await api.startBuild(scope.service, {
          ...(ref.trim() ? { ref: ref.trim() } : {}),
          ...(tag.trim() ? { tag: tag.trim() } : {}),
          releaseTo: releaseTo === NO_RELEASE ? null : releaseTo,
        });
        props.onStarted(build);
      }}
    >
      <Typography variant="body2" paragraph>
        {t('build.explain', {
          repository: settings.repository ?? '',
          image: settings.image ?? '',
        })}
      </Typography>
      <TextField
        id="k2-build-ref"
        label={t('build.ref')}
        value={ref}
        onChange={e => setRef(e.target.value)}
        error={Boolean(refError)}
        helperText={
          refError ??
          (settings.defaultRef
            ? t('build.refHint', { ref: settings.defaultRef })
            : t('build.refDefaultBranch'))
        }
        fullWidth
        margin="dense"
        inputProps={{ spellCheck: false }}
      />
      <TextField
        id="k2-build-tag"
        label={t('build.tag')}
        value={tag}
        onChange={e => setTag(e.target.value)}
        error={Boolean(tagError)}
        helperText={tagError ?? t('build.tagHint')}
        fullWidth
        margin="dense"
        inputProps={{ spellCheck: false }}
      />
      <TextField
        id="k2-build-release"
        select
        label={t('build.releaseTo')}
        value={releaseTo}
        onChange={e => setReleaseTo(e.target.value)}
        helperText={t('build.releaseHint')}
        fullWidth
        margin="dense"
        SelectProps={{ displayEmpty: true }}
        InputLabelProps={{ shrink: true }}
      >
        <MenuItem value={NO_RELEASE}>{t('build.noRelease')}</MenuItem>
        {targets.map(name => (
          <MenuItem key={name} value={name}>
            {environmentLabel(name)}
          </MenuItem>
        ))}
      </TextField>
    </ActionDialog>
  );
}
