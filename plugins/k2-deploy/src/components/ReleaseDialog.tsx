import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  K2_SECRET_MASK,
  K2CanaryInput,
  K2EnvInput,
  K2EnvVar,
  K2Release,
  K2ReleaseDefault,
  K2ReleaseDefaults,
  K2ReleaseInput,
  K2ReleasePreview,
  secretEnvName,
} from '@internal/plugin-k2-common';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import FormLabel from '@material-ui/core/FormLabel';
import Grid from '@material-ui/core/Grid';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog } from '@internal/plugin-k2-react';
import { K2DeployImageTags } from '@internal/plugin-k2-deploy-common';
import { DeployT, useDeployT } from '../translation';
import { MountableConfigFile } from '../api/K2DeployApi';
import { ImageTagField } from './ImageTagField';
import { MountsSection, mountRowsOf, mountsInput } from './MountsSection';
import { ReleasePreviewView } from './ReleasePreviewView';
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

/** Where a value a release leaves out comes from, in the form's words. */
function sourceText(t: DeployT, value: K2ReleaseDefault<unknown>): string {
  switch (value.source) {
    case 'release':
      return t('releaseDialog.sourceRelease', {
        number: String(value.release ?? ''),
      });
    case 'annotation':
      return t('releaseDialog.sourceAnnotation', {
        annotation: value.annotation ?? '',
      });
    default:
      return t('releaseDialog.sourceEnvironment');
  }
}

/**
 * The hint under a CPU or memory field: the value that applies as the field stands and
 * where it comes from — the running release when the field holds its value, the
 * environment's default when it is empty — else the field's own hint.
 */
function quantityHint(
  t: DeployT,
  typed: string,
  running: { number: number; value: string } | undefined,
  fallback: K2ReleaseDefault<string> | undefined,
  show: (value: string) => string,
  hint: string,
): string {
  const value = typed.trim();
  if (running && value === running.value) {
    return t('releaseDialog.applies', {
      value: show(value),
      source: t('releaseDialog.sourceRelease', {
        number: String(running.number),
      }),
    });
  }
  if (!value && fallback) {
    return t('releaseDialog.applies', {
      value: show(fallback.value),
      source: sourceText(t, fallback),
    });
  }
  return hint;
}

/**
 * The release form, in two steps. The form starts from the release that runs (image,
 * limits, variables, volumes and config file versions; the replica count is left to
 * the engine, which keeps the running one), and under each field says what applies if it is left as it is and
 * where that comes from (`loadDefaults`: the engine's own answer). "Preview" asks the
 * backend what the release would be (`onPreview`, which validates it as releasing
 * does and changes nothing) and shows how it differs from the running release; Back
 * returns to the form with every value kept, and Release sends exactly what was
 * previewed.
 *
 * With `canary`, the form offers "Release as canary" instead: the image (and canary
 * replicas per cluster) run beside the stable release until promoted or aborted; the
 * choice is disabled, with `canary.refusal` said under it, when the user may not start
 * one here now.
 */
export function ReleaseDialog(props: {
  environment: { name: string; title: string; approval: boolean };
  current?: K2Release;
  /** What runs now when K2 has not released it yet. */
  runningImage?: string;
  imageRepository?: string;
  /** Lists the tags of the service's image repository, offered by the image field. */
  listTags?: () => Promise<K2DeployImageTags>;
  /** What a release gets for each value it leaves out, and where it comes from. */
  loadDefaults?: () => Promise<K2ReleaseDefaults>;
  /** The environment's config files a release can mount, from the Config backend. */
  loadConfigFiles?: () => Promise<MountableConfigFile[]>;
  /** The names of the environment's volumes, from the Storage backend. */
  loadVolumeNames?: () => Promise<string[]>;
  onPreview(input: K2ReleaseInput): Promise<K2ReleasePreview>;
  onClose(): void;
  onSubmit(input: K2ReleaseInput): Promise<void>;
  canary?: {
    /** Why a canary cannot start here now, or undefined when it can. */
    refusal?: string;
    onStart(input: K2CanaryInput): Promise<void>;
  };
}) {
  const t = useDeployT();
  const { environment, current, onClose, onSubmit } = props;
  const spec = current?.spec;
  const [image, setImage] = useState(spec?.image ?? props.runningImage ?? '');
  // Empty: the engine keeps the running count (or the service's), as the hint says.
  const [replicas, setReplicas] = useState('');
  const [mode, setMode] = useState<'release' | 'canary'>('release');
  // Empty: one canary pod per cluster, as the hint says.
  const [canaryReplicas, setCanaryReplicas] = useState('');
  const [cpu, setCpu] = useState(spec?.resources.limits.cpu ?? '');
  const [memory, setMemory] = useState(spec?.resources.limits.memory ?? '');
  const [env, setEnv] = useState(envText(spec?.env));
  const [secrets, setSecrets] = useState<SecretRow[]>(() =>
    secretRowsOf(spec?.env),
  );
  const [mounts, setMounts] = useState(() => mountRowsOf(spec));
  // Problems show once the user has tried to release, then follow the edits.
  const [checked, setChecked] = useState(false);
  const [message, setMessage] = useState('');
  // The previewed request and the backend's answer: the second step.
  const [preview, setPreview] = useState<{
    input: K2ReleaseInput;
    result: K2ReleasePreview;
  }>();
  // Read once, when the dialog opens.
  const [loadDefaults] = useState(() => props.loadDefaults);
  const defaults = useAsync(async () => loadDefaults?.(), [loadDefaults]);
  const applies = defaults.value;
  const [loadVolumeNames] = useState(() => props.loadVolumeNames);
  const volumeNames = useAsync(
    async () => loadVolumeNames?.(),
    [loadVolumeNames],
  );
  const [loadConfigFiles] = useState(() => props.loadConfigFiles);
  const configFiles = useAsync(
    async () => loadConfigFiles?.(),
    [loadConfigFiles],
  );

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

  /** The release request the form stands for. @throws naming what to fix */
  const request = (): K2ReleaseInput => {
    if (envProblem || problems.length) {
      setChecked(true);
      throw new Error(
        [envProblem, ...problems.map(p => p.message)].filter(Boolean).join(' '),
      );
    }
    return {
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
      ...mountsInput(mounts, spec),
      message: message.trim() || undefined,
    };
  };

  const running = (value: string | undefined) =>
    current && value !== undefined
      ? { number: current.number, value }
      : undefined;
  let replicasHint: string = t('releaseDialog.replicasHint');
  if (!replicas.trim() && applies?.autoscaling) {
    replicasHint = t('releaseDialog.autoscaled', {
      min: String(applies.autoscaling.minReplicas),
      max: String(applies.autoscaling.maxReplicas),
    });
  } else if (!replicas.trim() && applies) {
    replicasHint = t('releaseDialog.applies', {
      value: t('releaseDialog.replicasValue', {
        count: applies.replicas.value,
      }),
      source: sourceText(t, applies.replicas),
    });
  }
  let startsFrom: string = t('releaseDialog.startsEmpty');
  if (current) {
    startsFrom = t('releaseDialog.startsFrom', {
      number: String(current.number),
    });
  } else if (props.runningImage) {
    startsFrom = t('releaseDialog.startsFromWorkload');
  }

  if (preview) {
    return (
      <ActionDialog
        title={t('releaseDialog.title', { environment: environment.title })}
        confirm={t('overview.release')}
        busyLabel={t('releaseDialog.busy')}
        maxWidth="md"
        back={{
          label: t('releaseDialog.back'),
          onClick: () => setPreview(undefined),
        }}
        onClose={onClose}
        onConfirm={() => onSubmit(preview.input)}
        preview={<ReleasePreviewView preview={preview.result} />}
      >
        {preview.result.approval && (
          <Typography variant="body2" color="textSecondary" gutterBottom>
            {t('releaseDialog.approval', { environment: environment.title })}
          </Typography>
        )}
      </ActionDialog>
    );
  }

  const modeChoice = props.canary && (
    <FormControl component="fieldset" margin="dense">
      <FormLabel component="legend">{t('releaseDialog.mode')}</FormLabel>
      <RadioGroup
        row
        value={mode}
        onChange={e => setMode(e.target.value as 'release' | 'canary')}
      >
        <FormControlLabel
          value="release"
          control={<Radio />}
          label={t('releaseDialog.modeRelease')}
        />
        <FormControlLabel
          value="canary"
          control={<Radio />}
          disabled={props.canary.refusal !== undefined}
          label={t('releaseDialog.modeCanary')}
        />
      </RadioGroup>
      <FormHelperText>
        {props.canary.refusal ??
          (mode === 'canary'
            ? t('releaseDialog.modeCanaryHint')
            : t('releaseDialog.modeReleaseHint'))}
      </FormHelperText>
    </FormControl>
  );
  const imageField = (
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
  );

  if (props.canary && mode === 'canary') {
    const { onStart } = props.canary;
    return (
      <ActionDialog
        title={t('releaseDialog.title', { environment: environment.title })}
        confirm={t('releaseDialog.startCanary')}
        busyLabel={t('releaseDialog.startingCanary')}
        confirmDisabled={!image.trim()}
        maxWidth="md"
        onClose={onClose}
        onConfirm={() =>
          onStart({
            image: image.trim(),
            replicas: canaryReplicas.trim()
              ? Number(canaryReplicas)
              : undefined,
          })
        }
      >
        {modeChoice}
        <Typography variant="body2" color="textSecondary" gutterBottom>
          {t('releaseDialog.canaryBody', {
            number: String(current?.number ?? ''),
          })}
        </Typography>
        <Grid container spacing={2}>
          <Grid item xs={12}>
            {imageField}
          </Grid>
          <Grid item xs={6}>
            <TextField
              id="k2-canary-replicas"
              label={t('releaseDialog.canaryReplicas')}
              type="number"
              fullWidth
              value={canaryReplicas}
              placeholder="1"
              InputLabelProps={{ shrink: true }}
              onChange={e => setCanaryReplicas(e.target.value)}
              helperText={t('releaseDialog.canaryReplicasHint')}
            />
          </Grid>
        </Grid>
      </ActionDialog>
    );
  }

  return (
    <ActionDialog
      title={t('releaseDialog.title', { environment: environment.title })}
      confirm={t('releaseDialog.preview')}
      busyLabel={t('releaseDialog.previewing')}
      confirmDisabled={!image.trim()}
      maxWidth="md"
      onClose={onClose}
      onConfirm={async () => {
        const input = request();
        setPreview({ input, result: await props.onPreview(input) });
      }}
    >
      {modeChoice}
      {environment.approval && (
        <Typography variant="body2" color="textSecondary" gutterBottom>
          {t('releaseDialog.approval', { environment: environment.title })}
        </Typography>
      )}
      <Typography variant="body2" color="textSecondary" gutterBottom>
        {startsFrom}
      </Typography>
      {defaults.error && (
        <Typography variant="body2" color="error" gutterBottom>
          {t('releaseDialog.defaultsFailed', {
            message: defaults.error.message,
          })}
        </Typography>
      )}
      <Grid container spacing={2}>
        <Grid item xs={12}>
          {imageField}
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-replicas"
            label={t('releaseDialog.replicas')}
            type="number"
            fullWidth
            value={replicas}
            placeholder={applies ? String(applies.replicas.value) : undefined}
            InputLabelProps={{ shrink: true }}
            onChange={e => setReplicas(e.target.value)}
            helperText={replicasHint}
          />
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-cpu-limit"
            label={t('releaseDialog.cpu')}
            fullWidth
            value={cpu}
            placeholder={applies?.cpu.value}
            InputLabelProps={{ shrink: true }}
            onChange={e => setCpu(e.target.value)}
            helperText={quantityHint(
              t,
              cpu,
              running(spec?.resources.limits.cpu),
              applies?.cpu,
              value => t('releaseDialog.cpuValue', { value }),
              t('releaseDialog.cpuHint'),
            )}
          />
        </Grid>
        <Grid item xs={4}>
          <TextField
            id="k2-release-memory-limit"
            label={t('releaseDialog.memory')}
            fullWidth
            value={memory}
            placeholder={applies?.memory.value}
            InputLabelProps={{ shrink: true }}
            onChange={e => setMemory(e.target.value)}
            helperText={quantityHint(
              t,
              memory,
              running(spec?.resources.limits.memory),
              applies?.memory,
              value => value,
              t('releaseDialog.memoryHint'),
            )}
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
          <MountsSection
            rows={mounts}
            onChange={setMounts}
            current={current}
            volumeNames={volumeNames.value}
            volumeNamesError={
              volumeNames.error &&
              t('mounts.volumesFailed', {
                message: volumeNames.error.message,
              })
            }
            configFiles={configFiles.value}
            configFilesError={
              configFiles.error &&
              t('mounts.configFilesFailed', {
                message: configFiles.error.message,
              })
            }
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
