import { useEffect, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { InfoCard, WarningPanel } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { makeStyles } from '@material-ui/core/styles';
import {
  ActionButton,
  EnvironmentSwitcher,
  Mono,
  ViewState,
} from '@internal/plugin-k2-react';
import {
  K2StorageSignal,
  K2StorageVolume,
  k2StorageSignalChannel,
} from '@internal/plugin-k2-storage-common';
import { k2StorageApiRef } from '../api/K2StorageApi';
import { useStorageT } from '../translation';
import { ClusterStatus } from './ClusterStatus';
import { CreateVolumeDialog } from './CreateVolumeDialog';
import { DeleteVolumeDialog } from './DeleteVolumeDialog';
import { ExpandVolumeDialog } from './ExpandVolumeDialog';
import { MountedBy } from './MountedBy';
import { StorageEnvironment, StorageScope } from './types';
import { UsageBar } from './UsageBar';

const useStyles = makeStyles({
  head: { '& th': { whiteSpace: 'nowrap' } },
  nowrap: { whiteSpace: 'nowrap' },
});

/**
 * While a volume is Pending or expanding somewhere, the list is read this often: used
 * bytes are not announced, and it is a safety net for an announcement lost while the
 * Signals connection was re-established.
 */
const SETTLING_REFRESH_MS = 3000;

const settling = (volume: K2StorageVolume) =>
  volume.clusters.some(
    c => c.expanding || c.phase === 'Pending' || c.phase === 'Terminating',
  );

type Open =
  | { kind: 'create' }
  | { kind: 'expand'; volume: K2StorageVolume }
  | { kind: 'delete'; volume: K2StorageVolume };

/**
 * One environment's volumes: name, class, access mode, size, used bytes, the state in
 * each cluster (with the reason a claim is Pending or expanding), the releases that
 * mount it; owners create, expand (where the class allows) and delete from here.
 * Re-read as soon as the backend announces a change to the service's volumes in this
 * environment (Signals, `k2-storage:<entity ref>`), and every few seconds while a
 * volume is settling, so "expanding…" turns into the new size once the clusters report
 * it.
 */
export function VolumesView(props: {
  scope: StorageScope;
  environments: StorageEnvironment[];
  onEnvironment(name: string): void;
}) {
  const { service, environment, manageRefusal } = props.scope;
  const t = useStorageT();
  const classes = useStyles();
  const api = useApi(k2StorageApiRef);
  const [open, setOpen] = useState<Open>();
  const volumes = useAsyncRetry(
    () => api.getVolumes(service, environment.name),
    [api, service, environment.name],
  );
  const storageClasses = useAsyncRetry(
    () => api.getStorageClasses(service, environment.name),
    [api, service, environment.name],
  );
  const { retry } = volumes;
  const signals = useApiHolder().get(signalApiRef);
  useEffect(() => {
    if (!signals) return undefined;
    const channel = k2StorageSignalChannel(
      stringifyEntityRef({ kind: 'component', ...service }),
    );
    const subscription = signals.subscribe<K2StorageSignal>(channel, signal => {
      if (!signal.environment || signal.environment === environment.name) {
        retry();
      }
    });
    return () => subscription.unsubscribe();
  }, [signals, service, environment.name, retry]);
  const unsettled = volumes.value?.items.some(settling) ?? false;
  useEffect(() => {
    if (!unsettled || volumes.loading) return undefined;
    const timer = setTimeout(retry, SETTLING_REFRESH_MS);
    return () => clearTimeout(timer);
  }, [unsettled, volumes.loading, retry]);

  const offered = storageClasses.value?.items ?? [];
  const createRefusal =
    manageRefusal ??
    (storageClasses.value && offered.length === 0
      ? t('refused.noClass', { environment: environment.title })
      : undefined);
  const expandRefusal = (volume: K2StorageVolume) => {
    if (manageRefusal) return manageRefusal;
    const cls = offered.find(c => c.name === volume.storageClass);
    if (storageClasses.value && !cls?.allowExpansion) {
      return t('refused.noExpansion', { storageClass: volume.storageClass });
    }
    if (volume.clusters.some(c => c.expanding)) return t('refused.expanding');
    return undefined;
  };
  const title = t('volumes.title', { environment: environment.title });
  const done = () => {
    setOpen(undefined);
    retry();
  };
  return (
    <InfoCard title={title}>
      <Box mb={2} display="flex" alignItems="center" style={{ gap: 16 }}>
        <EnvironmentSwitcher
          environments={props.environments}
          value={environment.name}
          onChange={props.onEnvironment}
        />
        <ActionButton
          variant="contained"
          disabledReason={
            createRefusal ?? (storageClasses.value ? undefined : '')
          }
          onClick={() => setOpen({ kind: 'create' })}
        >
          {t('volumes.create')}
        </ActionButton>
      </Box>
      {volumes.value?.mountsUnknown && (
        <Box mb={2}>
          <WarningPanel title={t('volumes.mountsUnknown')} />
        </Box>
      )}
      <ViewState
        value={volumes.value}
        error={volumes.error}
        isEmpty={v => v.items.length === 0}
        emptyTitle={t('volumes.empty', { environment: environment.title })}
        emptyDescription={t('volumes.emptyHint')}
        inline
      >
        {list => (
          <Box overflow="auto">
            <Table size="small" aria-label={title}>
              <TableHead className={classes.head}>
                <TableRow>
                  <TableCell>{t('volumes.name')}</TableCell>
                  <TableCell>{t('volumes.storageClass')}</TableCell>
                  <TableCell>{t('volumes.accessMode')}</TableCell>
                  <TableCell>{t('volumes.size')}</TableCell>
                  <TableCell>{t('volumes.used')}</TableCell>
                  <TableCell>{t('volumes.status')}</TableCell>
                  <TableCell>{t('volumes.mountedBy')}</TableCell>
                  <TableCell>{t('volumes.actions')}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {list.items.map(volume => (
                  <TableRow key={volume.name}>
                    <TableCell>
                      <Mono>{volume.name}</Mono>
                    </TableCell>
                    <TableCell>
                      <Mono>{volume.storageClass}</Mono>
                    </TableCell>
                    <TableCell>
                      <Mono>{volume.accessMode}</Mono>
                    </TableCell>
                    <TableCell className={classes.nowrap}>
                      {volume.size}
                    </TableCell>
                    <TableCell>
                      <UsageBar
                        clusters={volume.clusters}
                        mounted={volume.mountedBy.length > 0}
                      />
                    </TableCell>
                    <TableCell>
                      <ClusterStatus volume={volume} />
                    </TableCell>
                    <TableCell>
                      <MountedBy
                        releases={volume.mountedBy}
                        environment={environment.name}
                      />
                    </TableCell>
                    <TableCell className={classes.nowrap}>
                      <ActionButton
                        size="small"
                        aria-label={`${t('volumes.expand')} ${volume.name}`}
                        disabledReason={expandRefusal(volume)}
                        onClick={() => setOpen({ kind: 'expand', volume })}
                      >
                        {t('volumes.expand')}
                      </ActionButton>
                      <ActionButton
                        size="small"
                        aria-label={`${t('volumes.delete')} ${volume.name}`}
                        disabledReason={manageRefusal}
                        onClick={() => setOpen({ kind: 'delete', volume })}
                      >
                        {t('volumes.delete')}
                      </ActionButton>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Box>
        )}
      </ViewState>
      {open?.kind === 'create' && storageClasses.value && (
        <CreateVolumeDialog
          scope={props.scope}
          classes={storageClasses.value}
          onClose={() => setOpen(undefined)}
          onCreated={done}
        />
      )}
      {open?.kind === 'expand' && (
        <ExpandVolumeDialog
          scope={props.scope}
          volume={open.volume}
          onClose={() => setOpen(undefined)}
          onExpanded={done}
        />
      )}
      {open?.kind === 'delete' && (
        <DeleteVolumeDialog
          scope={props.scope}
          volume={open.volume.name}
          onClose={() => setOpen(undefined)}
          onDeleted={done}
        />
      )}
    </InfoCard>
  );
}
