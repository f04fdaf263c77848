import { useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Typography from '@material-ui/core/Typography';
import { ActionDialog } from '@internal/plugin-k2-react';
import { K2StorageVolume } from '@internal/plugin-k2-storage-common';
import { k2StorageApiRef } from '../api/K2StorageApi';
import { useStorageT } from '../translation';
import { SizeField } from './SizeField';
import { quantityBytes, SizeUnit, sizeBytes, StorageScope } from './types';

/**
 * Asks every cluster for a larger volume. The new size must be larger than the
 * volume's; the server also holds it to the environment's limits and refuses a class
 * that cannot expand, and the refusal shows in the dialog.
 */
export function ExpandVolumeDialog(props: {
  scope: StorageScope;
  volume: K2StorageVolume;
  onClose(): void;
  onExpanded(): void;
}) {
  const { service, environment } = props.scope;
  const { volume } = props;
  const t = useStorageT();
  const api = useApi(k2StorageApiRef);
  const current = quantityBytes(volume.size) ?? 0;
  const [amount, setAmount] = useState(
    String(Math.ceil((current * 2) / 2 ** 30) || 2),
  );
  const [unit, setUnit] = useState<SizeUnit>('Gi');
  const bytes = sizeBytes(amount, unit);
  const larger = bytes !== undefined && bytes > current;
  return (
    <ActionDialog
      title={t('expand.title', {
        volume: volume.name,
        environment: environment.title,
      })}
      confirm={t('expand.confirm')}
      busyLabel={t('expand.busy')}
      confirmDisabled={!larger}
      onClose={props.onClose}
      onConfirm={async () => {
        await api.expandVolume(
          service,
          environment.name,
          volume.name,
          `${amount.trim()}${unit}`,
        );
        props.onExpanded();
      }}
    >
      <Typography variant="body2" paragraph>
        {t('expand.explain')}
      </Typography>
      <Typography variant="body2" paragraph>
        {t('expand.current', { size: volume.size })}
      </Typography>
      <SizeField
        label={t('expand.size')}
        amount={amount}
        unit={unit}
        onChange={(a, u) => {
          setAmount(a);
          setUnit(u);
        }}
        error={!larger}
        helperText={
          larger ? undefined : t('expand.notLarger', { size: volume.size })
        }
      />
    </ActionDialog>
  );
}
