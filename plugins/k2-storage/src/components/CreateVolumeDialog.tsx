import { useId, useMemo, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog, Mono } from '@internal/plugin-k2-react';
import {
  K2StorageAccessMode,
  K2StorageClassList,
} from '@internal/plugin-k2-storage-common';
import { k2StorageApiRef } from '../api/K2StorageApi';
import { useStorageT } from '../translation';
import { SizeField } from './SizeField';
import {
  classLabel,
  quantityBytes,
  SizeUnit,
  sizeBytes,
  StorageScope,
} from './types';

const NAME = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

/**
 * Creates a volume in every cluster of the environment: a name, a class the
 * environment offers (with its kind and whether it can expand), a size with its unit
 * within the limits, and an access mode among those the class supports; the preview
 * names the PVC and the clusters it is created in. A refusal shows in the dialog.
 */
export function CreateVolumeDialog(props: {
  scope: StorageScope;
  classes: K2StorageClassList;
  onClose(): void;
  onCreated(): void;
}) {
  const { service, environment, kubernetesId } = props.scope;
  const t = useStorageT();
  const api = useApi(k2StorageApiRef);
  const offered = props.classes.items;
  const nameId = useId();
  const classId = useId();
  const modeId = useId();
  const [name, setName] = useState('');
  const [className, setClassName] = useState(offered[0]?.name ?? '');
  const [amount, setAmount] = useState('5');
  const [unit, setUnit] = useState<SizeUnit>('Gi');
  const cls = offered.find(c => c.name === className);
  const [accessMode, setAccessMode] = useState<K2StorageAccessMode>(
    cls?.accessModes[0] ?? 'ReadWriteOnce',
  );
  const modes = cls?.accessModes ?? [];
  const mode = modes.includes(accessMode) ? accessMode : modes[0];
  const bytes = sizeBytes(amount, unit);
  const min = quantityBytes(props.classes.minSize) ?? 0;
  const max = quantityBytes(props.classes.maxSize) ?? Infinity;
  const sizeOk = bytes !== undefined && bytes >= min && bytes <= max;
  const nameOk = NAME.test(name);
  const pvc = `${kubernetesId}-${name || '…'}`;
  const preview = useMemo(
    () =>
      t('create.preview', {
        pvc,
        namespace: environment.namespace,
        clusters: props.classes.clusters.join(', '),
      }),
    [t, pvc, environment.namespace, props.classes.clusters],
  );
  return (
    <ActionDialog
      title={t('create.title', { environment: environment.title })}
      confirm={t('create.confirm')}
      busyLabel={t('create.busy')}
      confirmDisabled={!nameOk || !sizeOk || !cls || !mode}
      onClose={props.onClose}
      preview={
        <Typography variant="body2">
          <Mono>{preview}</Mono>
        </Typography>
      }
      onConfirm={async () => {
        await api.createVolume(service, environment.name, {
          name,
          storageClass: className,
          size: `${amount.trim()}${unit}`,
          accessMode: mode!,
        });
        props.onCreated();
      }}
    >
      <Typography variant="body2" paragraph>
        {t('create.explain', { environment: environment.title })}
      </Typography>
      <Box display="flex" flexDirection="column" style={{ gap: 16 }}>
        <TextField
          id={nameId}
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
        <TextField
          select
          id={classId}
          label={t('create.storageClass')}
          value={className}
          onChange={e => setClassName(e.target.value)}
        >
          {offered.map(c => (
            <MenuItem key={c.name} value={c.name}>
              {classLabel(c)} · {t(`kinds.${c.kind}`)} ·{' '}
              {c.allowExpansion
                ? t('create.expandable')
                : t('create.notExpandable')}
            </MenuItem>
          ))}
        </TextField>
        <SizeField
          label={t('create.size')}
          amount={amount}
          unit={unit}
          onChange={(a, u) => {
            setAmount(a);
            setUnit(u);
          }}
          error={!sizeOk}
          helperText={t('create.sizeRange', {
            min: props.classes.minSize,
            max: props.classes.maxSize,
          })}
        />
        <TextField
          select
          id={modeId}
          label={t('create.accessMode')}
          value={mode ?? ''}
          onChange={e => setAccessMode(e.target.value as K2StorageAccessMode)}
        >
          {modes.map(m => (
            <MenuItem key={m} value={m}>
              {t(`accessModes.${m}`)}
            </MenuItem>
          ))}
        </TextField>
      </Box>
    </ActionDialog>
  );
}
