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
  onClose(): void;
  onSubmit(input: K2ReleaseInput): Promise<void>;
}) {
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
    ? `${masked.join(', ')}: "${K2_SECRET_MASK}" is how K2 shows a secret, ` +
      'not a value. Add secrets under Secret variables instead.'
    : undefined;
  const problems = secretProblems(
    secrets,
    plain.map(e => e.name),
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
      title={`Release to ${environment.title}`}
      confirm="Release"
      busyLabel="Releasing…"
      confirmDisabled={!image.trim()}
      maxWidth="md"
      onClose={onClose}
      onConfirm={submit}
    >
      {environment.approval && (
        <Typography variant="body2" color="textSecondary" gutterBottom>
          Releases to {environment.title} wait for a release approver before
          anything changes.
        </Typography>
      )}
      <Grid container spacing={2}>
        <Grid item xs={12}>
          <TextField
            id="k2-release-image"
            label="Image"
            required
            fullWidth
            value={image}
            onChange={e => setImage(e.target.value)}
            helperText={
              props.imageRepository
                ? `A tag of ${props.imageRepository}, or a full image reference`
                : 'A full image reference with a tag, e.g. registry.example.com/team/app:1.4.2'
            }
          />
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-replicas"
            label="Replicas"
            type="number"
            fullWidth
            value={replicas}
            onChange={e => setReplicas(e.target.value)}
            helperText="Across all clusters of the environment"
          />
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-cpu-limit"
            label="CPU limit"
            fullWidth
            value={cpu}
            onChange={e => setCpu(e.target.value)}
            helperText="e.g. 1, 0.5, 500m"
          />
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-memory-limit"
            label="Memory limit"
            fullWidth
            value={memory}
            onChange={e => setMemory(e.target.value)}
            helperText="e.g. 1Gi, 512Mi"
          />
        </Grid>
        <Grid item xs={12}>
          <TextField
            id="k2-release-environment-variables"
            label="Environment variables"
            fullWidth
            multiline
            minRows={3}
            value={env}
            onChange={e => setEnv(e.target.value)}
            error={checked && Boolean(envProblem)}
            helperText={
              (checked && envProblem) ||
              'One NAME=value per line, for values anyone who can read the release may see. K2 adds K2_SERVICE, K2_ENVIRONMENT, K2_CLUSTER, K2_VERSION and POD_IP itself.'
            }
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
            label="Message"
            fullWidth
            value={message}
            onChange={e => setMessage(e.target.value)}
            helperText="Why this release: shown in history and to approvers"
          />
        </Grid>
      </Grid>
    </ActionDialog>
  );
}
