import { useId } from 'react';
import {
  K2ConfigFileMountInput,
  K2ReleaseSpec,
  K2VolumeMount,
} from '@internal/plugin-k2-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import IconButton from '@material-ui/core/IconButton';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import AddIcon from '@material-ui/icons/Add';
import DeleteIcon from '@material-ui/icons/Delete';
import { MountableConfigFile } from '../api/K2DeployApi';
import { useDeployT } from '../translation';

/** A volume mount as the form edits it. */
export interface VolumeRow {
  key: number;
  volume: string;
  mountPath: string;
  subPath: string;
  readOnly: boolean;
}

/** A config file mount as the form edits it: a version, or the file's latest. */
export interface ConfigRow {
  key: number;
  file: string;
  version: number | 'latest';
  mountPath: string;
}

export interface MountRows {
  volumes: VolumeRow[];
  configFiles: ConfigRow[];
}

/** The form's rows, prefilled with what the running release mounts. */
export function mountRowsOf(spec?: K2ReleaseSpec): MountRows {
  return {
    volumes: (spec?.volumes ?? []).map((v, key) => ({
      key,
      volume: v.volume,
      mountPath: v.mountPath,
      subPath: v.subPath ?? '',
      readOnly: v.readOnly,
    })),
    configFiles: (spec?.configFiles ?? []).map((c, key) => ({
      key,
      file: c.file,
      version: c.version,
      mountPath: c.mountPath,
    })),
  };
}

/**
 * The mounts of a release request: each list only when it differs from what the
 * running release mounts, so a release that leaves mounts alone keeps them (and needs
 * no answer from the Config backend). Blank rows are skipped.
 */
export function mountsInput(
  rows: MountRows,
  spec?: K2ReleaseSpec,
): { volumes?: K2VolumeMount[]; configFiles?: K2ConfigFileMountInput[] } {
  const volumes = rows.volumes
    .filter(r => r.volume.trim() || r.mountPath.trim())
    .map(r => ({
      volume: r.volume.trim(),
      mountPath: r.mountPath.trim(),
      readOnly: r.readOnly,
      ...(r.subPath.trim() ? { subPath: r.subPath.trim() } : {}),
    }));
  const configFiles = rows.configFiles
    .filter(r => r.file.trim() || r.mountPath.trim())
    .map(r => ({
      file: r.file.trim(),
      ...(r.version === 'latest' ? {} : { version: r.version }),
      mountPath: r.mountPath.trim(),
    }));
  const running = mountsOfSpec(spec);
  const same = (a: unknown, b: unknown) =>
    JSON.stringify(a) === JSON.stringify(b);
  return {
    ...(same(volumes, running.volumes) ? {} : { volumes }),
    ...(same(configFiles, running.configFiles) ? {} : { configFiles }),
  };
}

function mountsOfSpec(spec?: K2ReleaseSpec) {
  return {
    volumes: (spec?.volumes ?? []).map(v => ({
      volume: v.volume,
      mountPath: v.mountPath,
      readOnly: v.readOnly,
      ...(v.subPath ? { subPath: v.subPath } : {}),
    })),
    configFiles: (spec?.configFiles ?? []).map(c => ({
      file: c.file,
      version: c.version,
      mountPath: c.mountPath,
    })),
  };
}

const nextKey = (rows: Array<{ key: number }>) =>
  Math.max(-1, ...rows.map(r => r.key)) + 1;

/**
 * The release form's volumes and config files. Volumes are named as on the Storage
 * tab; config files are chosen from the Config tab's files with a version (the latest
 * when the release is made, or a fixed one), and under each version the form says
 * which applies and where it comes from.
 */
export function MountsSection(props: {
  rows: MountRows;
  onChange(rows: MountRows): void;
  /** The running release, whose mounts the rows start from. */
  current?: { number: number; spec: K2ReleaseSpec };
  /** The names of the environment's volumes; undefined while they load. */
  volumeNames?: string[];
  /** Why the volumes could not be listed, if they could not. */
  volumeNamesError?: string;
  /** The config files of the environment; undefined while they load. */
  configFiles?: MountableConfigFile[];
  /** Why the config files could not be listed, if they could not. */
  configFilesError?: string;
}) {
  const t = useDeployT();
  const id = useId();
  const headingId = `${id}-heading`;
  const { rows, onChange, current } = props;
  const mountedNow = [
    ...new Set(current?.spec.volumes.map(v => v.volume) ?? []),
  ];
  // The Storage tab's volumes, and any the running release mounts that it no longer
  // lists (so the form can still show them).
  const volumeOptions = props.volumeNames && [
    ...new Set([...props.volumeNames, ...mountedNow]),
  ];

  const setVolume = (key: number, row?: VolumeRow) =>
    onChange({
      ...rows,
      volumes: row
        ? rows.volumes.map(r => (r.key === key ? row : r))
        : rows.volumes.filter(r => r.key !== key),
    });
  const setConfig = (key: number, row?: ConfigRow) =>
    onChange({
      ...rows,
      configFiles: row
        ? rows.configFiles.map(r => (r.key === key ? row : r))
        : rows.configFiles.filter(r => r.key !== key),
    });

  /** Which version applies for a row, and where that comes from. */
  const versionHint = (row: ConfigRow) => {
    const file = props.configFiles?.find(f => f.name === row.file);
    const running = current?.spec.configFiles.find(
      c => c.file === row.file && c.mountPath === row.mountPath,
    );
    if (row.version === 'latest') {
      return file
        ? t('mounts.appliesLatest', { version: String(file.latest) })
        : t('mounts.latestHint');
    }
    if (running && running.version === row.version) {
      return t('mounts.appliesRunning', {
        version: String(row.version),
        number: String(current!.number),
      });
    }
    return t('mounts.appliesVersion', { version: String(row.version) });
  };

  return (
    <Box role="group" aria-labelledby={headingId}>
      <Typography variant="subtitle2" component="h3" id={headingId}>
        {t('mounts.title')}
      </Typography>
      <Typography variant="body2" color="textSecondary" gutterBottom>
        {t('mounts.hint')}
      </Typography>

      {rows.volumes.map(row => (
        <Box
          key={row.key}
          role="group"
          aria-label={t('mounts.volumeRow', {
            name: row.volume || t('mounts.newVolume'),
          })}
          display="flex"
          alignItems="flex-start"
          gridGap={16}
          mb={1}
        >
          <Box flex="1 1 25%">
            <TextField
              id={`${id}-volume-${row.key}`}
              label={t('mounts.volume')}
              select={Boolean(volumeOptions?.length)}
              fullWidth
              value={row.volume}
              onChange={e =>
                setVolume(row.key, { ...row, volume: e.target.value })
              }
              error={Boolean(props.volumeNamesError)}
              helperText={props.volumeNamesError ?? t('mounts.volumeHint')}
              inputProps={{ spellCheck: false }}
            >
              {volumeOptions?.map(name => (
                <MenuItem key={name} value={name}>
                  {name}
                </MenuItem>
              ))}
            </TextField>
          </Box>
          <Box flex="1 1 35%">
            <TextField
              id={`${id}-volume-path-${row.key}`}
              label={t('mounts.mountPath')}
              fullWidth
              value={row.mountPath}
              placeholder="/data"
              onChange={e =>
                setVolume(row.key, { ...row, mountPath: e.target.value })
              }
              inputProps={{ style: { fontFamily: 'monospace' } }}
            />
          </Box>
          <Box flex="1 1 20%">
            <TextField
              id={`${id}-volume-subpath-${row.key}`}
              label={t('mounts.subPath')}
              fullWidth
              value={row.subPath}
              onChange={e =>
                setVolume(row.key, { ...row, subPath: e.target.value })
              }
              helperText={t('mounts.subPathHint')}
              inputProps={{ style: { fontFamily: 'monospace' } }}
            />
          </Box>
          <Box
            display="flex"
            alignItems="center"
            flexShrink={0}
            minHeight={48}
            pt={1}
            style={{ whiteSpace: 'nowrap' }}
          >
            <FormControlLabel
              control={
                <Checkbox
                  size="small"
                  checked={row.readOnly}
                  onChange={e =>
                    setVolume(row.key, { ...row, readOnly: e.target.checked })
                  }
                />
              }
              label={t('mounts.readOnly')}
            />
            <IconButton
              size="small"
              aria-label={t('mounts.removeVolume', {
                name: row.volume || t('mounts.newVolume'),
              })}
              onClick={() => setVolume(row.key)}
            >
              <DeleteIcon fontSize="small" />
            </IconButton>
          </Box>
        </Box>
      ))}

      {rows.configFiles.map(row => {
        const known = props.configFiles?.find(f => f.name === row.file);
        const latest =
          known?.latest ?? (row.version === 'latest' ? 0 : row.version);
        const versions = Array.from({ length: latest }, (_, i) => latest - i);
        return (
          <Box
            key={row.key}
            role="group"
            aria-label={t('mounts.configRow', {
              name: row.file || t('mounts.newConfig'),
            })}
            display="flex"
            alignItems="flex-start"
            gridGap={16}
            mb={1}
          >
            <Box flex="1 1 25%">
              <TextField
                id={`${id}-config-${row.key}`}
                label={t('mounts.configFile')}
                select={Boolean(props.configFiles?.length)}
                fullWidth
                value={row.file}
                onChange={e => {
                  const file = props.configFiles?.find(
                    f => f.name === e.target.value,
                  );
                  setConfig(row.key, {
                    ...row,
                    file: e.target.value,
                    version: 'latest',
                    mountPath: row.mountPath || file?.mountPath || '',
                  });
                }}
                helperText={props.configFilesError}
                error={Boolean(props.configFilesError)}
              >
                {props.configFiles?.map(f => (
                  <MenuItem key={f.name} value={f.name}>
                    {f.name}
                  </MenuItem>
                ))}
              </TextField>
            </Box>
            <Box flex="1 1 20%">
              <TextField
                id={`${id}-config-version-${row.key}`}
                label={t('mounts.version')}
                select
                fullWidth
                value={String(row.version)}
                onChange={e =>
                  setConfig(row.key, {
                    ...row,
                    version:
                      e.target.value === 'latest'
                        ? 'latest'
                        : Number(e.target.value),
                  })
                }
                helperText={versionHint(row)}
              >
                <MenuItem value="latest">{t('mounts.latest')}</MenuItem>
                {versions.map(v => (
                  <MenuItem key={v} value={String(v)}>
                    {`v${v}`}
                  </MenuItem>
                ))}
              </TextField>
            </Box>
            <Box flex="1 1 40%">
              <TextField
                id={`${id}-config-path-${row.key}`}
                label={t('mounts.filePath')}
                fullWidth
                value={row.mountPath}
                placeholder={known?.mountPath}
                onChange={e =>
                  setConfig(row.key, { ...row, mountPath: e.target.value })
                }
                inputProps={{ style: { fontFamily: 'monospace' } }}
              />
            </Box>
            <Box display="flex" alignItems="center" minHeight={48} pt={1}>
              <IconButton
                size="small"
                aria-label={t('mounts.removeConfig', {
                  name: row.file || t('mounts.newConfig'),
                })}
                onClick={() => setConfig(row.key)}
              >
                <DeleteIcon fontSize="small" />
              </IconButton>
            </Box>
          </Box>
        );
      })}

      <Button
        size="small"
        startIcon={<AddIcon />}
        onClick={() =>
          onChange({
            ...rows,
            volumes: [
              ...rows.volumes,
              {
                key: nextKey(rows.volumes),
                volume: '',
                mountPath: '',
                subPath: '',
                readOnly: false,
              },
            ],
          })
        }
      >
        {t('mounts.addVolume')}
      </Button>
      <Button
        size="small"
        startIcon={<AddIcon />}
        onClick={() =>
          onChange({
            ...rows,
            configFiles: [
              ...rows.configFiles,
              {
                key: nextKey(rows.configFiles),
                file: '',
                version: 'latest',
                mountPath: '',
              },
            ],
          })
        }
      >
        {t('mounts.addConfig')}
      </Button>
    </Box>
  );
}
