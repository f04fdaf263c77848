import { useState } from 'react';
import {
  K2_SECRET_MASK,
  K2EnvInput,
  K2EnvVar,
  K2Release,
  K2ReleaseInput,
  secretEnvName,
} from '@internal/plugin-k2-common';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog } from '@internal/plugin-k2-react';
import { K2DeployImageTags } from '@internal/plugin-k2-deploy-common';
import { useDeployT } from '../translation';
import { ImageTagField } from './ImageTagField';
import {
  SecretRow,
  secretEnv,
  secretProblems,
  secretRowsOf,
  SecretVariables,
} from './SecretVariables';

/** The plain variables as `NAME=value` lines; secret ones go to the secret list. */
function envText(env: K2EnvVar[] | undefined) {
  return (env ?? [])
    .filter(e => !e.secret)
    .map(e => `${e.name}=${e.value}`)
    .join('\n');
}

/** `NAME=value` lines; blank lines and `#` comments are skipped. */
export function parseEnvText(text: string): K2EnvInput[] {
  return text
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('#'))
    .map(line => {
      const eq = line.indexOf('=');
      return eq < 0
        ? { name: line, value: '' }
        : { name: line.slice(0, eq).trim(), value: line.slice(eq + 1) };
    });
}

/**
 * The release form. It starts from the current release of the environment (image,
 * replicas, limits and variables), so a new version is one field away.
 */
export function ReleaseDialog(props: {
  environment: { name: string; title: string; approval: boolean };
  current?: K2Release;
  /** What runs now when K2 has not released it yet. */
  runningImage?: string;
  imageRepository?: string;
  /** Lists the tags of the service's image repository, offered by the image field. */
  listTags?: () => Promise<K2DeployImageTags>;
  onClose(): void;
  onSubmit(input: K2ReleaseInput): Promise<void>;
}) {
  const t = useDeployT();
  const { environment, current, onClose, onSubmit } = props;
  const spec = current?.spec;
  const [image, setImage] = useState(spec?.image ?? props.runningImage ?? '');
  const [replicas, setReplicas] = useState(spec ? String(spec.replicas) : '');
  const [cpu, setCpu] = useState(spec?.resources.limits.cpu ?? '');
  const [memory, setMemory] = useState(spec?.resources.limits.memory ?? '');
  const [env, setEnv] = useState(envText(spec?.env));
  const [secrets, setSecrets] = useState<SecretRow[]>(() =>
    secretRowsOf(spec?.env),
  );
  // Problems show once the user has tried to release, then follow the edits.
  const [checked, setChecked] = useState(false);
  const [message, setMessage] = useState('');

  const plain = parseEnvText(env);
  // A secret copied from an older form shows as `NAME=••••••`: that is no value.
  const masked = plain.filter(e => e.value === K2_SECRET_MASK).map(e => e.name);
  const envProblem = masked.length
    ? t('releaseDialog.maskedValue', {
        names: masked.join(', '),
        mask: K2_SECRET_MASK,
      })
    : undefined;
  const problems = secretProblems(
    secrets,
    plain.map(e => e.name),
    t,
  );

  const submit = async () => {
    if (envProblem || problems.length) {
      setChecked(true);
      throw new Error(
        [envProblem, ...problems.map(p => p.message)].filter(Boolean).join(' '),
      );
    }
    await onSubmit({
      environment: environment.name,
      image: image.trim(),
      replicas: replicas.trim() ? Number(replicas) : undefined,
      resources:
        cpu.trim() || memory.trim()
          ? {
              ...(cpu.trim() ? { cpu: cpu.trim() } : {}),
              ...(memory.trim() ? { memory: memory.trim() } : {}),
            }
          : undefined,
      env: [...plain, ...secretEnv(secrets)],
      message: message.trim() || undefined,
    });
  };

  return (
    <ActionDialog
      title={t('releaseDialog.title', { environment: environment.title })}
      confirm={t('overview.release')}
      busyLabel={t('releaseDialog.busy')}
      confirmDisabled={!image.trim()}
      maxWidth="md"
      onClose={onClose}
      onConfirm={submit}
    >
      {environment.approval && (
        <Typography variant="body2" color="textSecondary" gutterBottom>
          {t('releaseDialog.approval', { environment: environment.title })}
        </Typography>
      )}
      <Grid container spacing={2}>
        <Grid item xs={12}>
          <ImageTagField
            id="k2-release-image"
            label={t('overview.image')}
            required
            value={image}
            onChange={setImage}
            listTags={props.listTags}
            helperText={
              props.imageRepository
                ? t('releaseDialog.imageTagHint', {
                    repository: props.imageRepository,
                  })
                : t('releaseDialog.imageHint')
            }
          />
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-replicas"
            label={t('releaseDialog.replicas')}
            type="number"
            fullWidth
            value={replicas}
            onChange={e => setReplicas(e.target.value)}
            helperText={t('releaseDialog.replicasHint')}
          />
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-cpu-limit"
            label={t('releaseDialog.cpu')}
            fullWidth
            value={cpu}
            onChange={e => setCpu(e.target.value)}
            helperText={t('releaseDialog.cpuHint')}
          />
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-memory-limit"
            label={t('releaseDialog.memory')}
            fullWidth
            value={memory}
            onChange={e => setMemory(e.target.value)}
            helperText={t('releaseDialog.memoryHint')}
          />
        </Grid>
        <Grid item xs={12}>
          <TextField
            id="k2-release-environment-variables"
            label={t('releaseDialog.env')}
            fullWidth
            multiline
            minRows={3}
            value={env}
            onChange={e => setEnv(e.target.value)}
            error={checked && Boolean(envProblem)}
            helperText={(checked && envProblem) || t('releaseDialog.envHint')}
            inputProps={{ style: { fontFamily: 'monospace' } }}
          />
        </Grid>
        <Grid item xs={12}>
          <SecretVariables
            rows={secrets}
            problems={checked ? problems : []}
            secretName={spec && secretEnvName(spec.name)}
            approval={environment.approval}
            onChange={setSecrets}
          />
        </Grid>
        <Grid item xs={12}>
          <TextField
            id="k2-release-message"
            label={t('releaseDialog.message')}
            fullWidth
            value={message}
            onChange={e => setMessage(e.target.value)}
            helperText={t('releaseDialog.messageHint')}
          />
        </Grid>
      </Grid>
    </ActionDialog>
  );
}
