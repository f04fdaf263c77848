import { useId, useMemo } from 'react';
import {
  K2_SECRET_MASK,
  K2Release,
  K2ReleaseSpec,
} from '@internal/plugin-k2-common';
import { DiffLine, LineDiff } from '@internal/plugin-k2-react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import { useDeployT } from '../translation';

/** The spec's fields in the order a reader looks for them; any other after, by name. */
const FIELD_ORDER: ReadonlyArray<keyof K2ReleaseSpec> = [
  'image',
  'replicas',
  'autoscaling',
  'clusters',
  'resources',
  'env',
  'bindings',
  'configFiles',
  'volumes',
  'port',
  'probes',
  'language',
  'jvmOptions',
  'nodeSelector',
  'priorityClassName',
  'drainSeconds',
  'terminationGracePeriodSeconds',
  'timeoutSeconds',
  'autoRollback',
  'logDirectory',
  'name',
  'namespace',
];

/** A value as a reader types it: plain words bare, anything ambiguous as JSON. */
function shown(value: unknown): string {
  if (
    typeof value === 'string' &&
    value !== '' &&
    value.trim() === value &&
    // Nothing JSON would escape: no quote, backslash or control character.
    JSON.stringify(value) === `"${value}"`
  ) {
    return value;
  }
  return JSON.stringify(value);
}

/** One `path: value` line per leaf; empty objects and lists have none. */
function leaves(value: unknown, path: string): DiffLine[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object') {
    return [{ key: path, text: `${path}: ${shown(value)}` }];
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.keys(value)
        .sort()
        .map(k => [k, (value as Record<string, unknown>)[k]] as const);
  return entries.flatMap(([k, v]) => leaves(v, `${path}.${k}`));
}

/**
 * A release spec as the lines of its diff, one per field, keyed by path so each field
 * is one row however its value changed:
 * - `replicas` carries its split over the clusters (`4 (east: 2, west: 2)`), so a
 *   change of replicas is one change, not one more per cluster; each cluster's weight
 *   is its own field;
 * - variables are keyed by name (`env.LOG_LEVEL`), so removing one does not shift the
 *   others;
 * - mounts are keyed by their path in the container: a config file reads as its name
 *   and version (`config /app/application.yaml: application.yaml v4`), so a new
 *   version is one changed line; a volume as `volume data mounted at /data`;
 * - a secret variable always reads {@link K2_SECRET_MASK}, whatever value it carries,
 *   and is compared by the version marker the API gives it: a secret whose value was
 *   replaced reads "value changed", one that was kept is unchanged;
 * - a bound middleware's variable is keyed by name too, and reads as its value or the
 *   key of the instance's Secret it refers to, with its instance
 *   (`bindings.REDIS_PASSWORD: secret k2-mw-cache/password (cache)`).
 */
export function specDiffLines(spec: K2ReleaseSpec): DiffLine[] {
  const record = spec as unknown as Record<string, unknown>;
  const fields = [
    ...FIELD_ORDER.filter(field => field in record),
    ...Object.keys(record)
      .filter(field => !(FIELD_ORDER as string[]).includes(field))
      .sort(),
  ];
  return fields.flatMap((field): DiffLine[] => {
    switch (field) {
      case 'replicas': {
        const split =
          spec.clusters.length > 1
            ? ` (${spec.clusters
                .map(c => `${c.name}: ${c.replicas}`)
                .join(', ')})`
            : '';
        return [{ key: field, text: `replicas: ${spec.replicas}${split}` }];
      }
      case 'clusters':
        return spec.clusters.map(c => ({
          key: `clusters.${c.name}.weight`,
          text: `clusters.${c.name}.weight: ${c.weight}`,
        }));
      case 'env':
        return spec.env.map(e =>
          e.secret
            ? {
                key: `env.${e.name}`,
                text: `env.${e.name}: ${K2_SECRET_MASK}`,
                identity: `secret:${e.version}`,
                masked: true,
              }
            : {
                key: `env.${e.name}`,
                text: `env.${e.name}: ${shown(e.value)}`,
              },
        );
      case 'bindings':
        return (spec.bindings ?? []).map(b => ({
          key: `bindings.${b.name}`,
          text: `bindings.${b.name}: ${
            b.secretKeyRef
              ? `secret ${b.secretKeyRef.name}/${b.secretKeyRef.key}`
              : shown(b.value ?? '')
          } (${b.instance})`,
        }));
      case 'configFiles':
        return spec.configFiles.map(c => ({
          key: `configFiles.${c.mountPath}`,
          text: `config ${c.mountPath}: ${c.file} v${c.version}`,
        }));
      case 'volumes':
        return spec.volumes.map(v => ({
          key: `volumes.${v.mountPath}`,
          text: `volume ${
            v.subPath ? `${v.volume}/${v.subPath}` : v.volume
          } mounted at ${v.mountPath}${v.readOnly ? ' (read-only)' : ''}`,
        }));
      default:
        return leaves(record[field], field);
    }
  });
}

/**
 * Two releases' specs compared in a dialog: the changed fields with their context,
 * side by side or unified (`LineDiff`), secrets masked, each changed field counted once.
 */
export function SpecDiff(props: {
  older: K2Release;
  newer: K2Release;
  onClose(): void;
}) {
  const t = useDeployT();
  const titleId = useId();
  const { older, newer } = props;
  const olderLines = useMemo(() => specDiffLines(older.spec), [older.spec]);
  const newerLines = useMemo(() => specDiffLines(newer.spec), [newer.spec]);
  return (
    <Dialog
      open
      onClose={props.onClose}
      fullWidth
      maxWidth="lg"
      aria-labelledby={titleId}
    >
      <DialogTitle id={titleId}>
        {t('diff.title', {
          older: String(older.number),
          newer: String(newer.number),
        })}
      </DialogTitle>
      <DialogContent>
        <LineDiff
          older={olderLines}
          newer={newerLines}
          olderLabel={`#${older.number}`}
          newerLabel={`#${newer.number}`}
          label={t('diff.label')}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>{t('diff.close')}</Button>
      </DialogActions>
    </Dialog>
  );
}
