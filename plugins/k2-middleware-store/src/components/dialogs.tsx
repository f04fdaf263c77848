import { useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  K2MiddlewareEnvironmentPolicy,
  K2MiddlewareInstance,
} from '@internal/plugin-k2-middleware-store-common';
import { ActionDialog, Mono } from '@internal/plugin-k2-react';
import { k2MiddlewareStoreApiRef } from '../api/K2MiddlewareStoreApi';
import { useMiddlewareT } from '../translation';
import { daysFrom, serviceOf, useFormatDate, who } from './format';
import { labelled, LocalizedTemplate } from './templateText';

/** What every instance dialog gets: the instance, its environment and what to do after. */
interface InstanceDialogProps {
  instance: K2MiddlewareInstance;
  environment: K2MiddlewareEnvironmentPolicy;
  onClose(): void;
  onDone(instance: K2MiddlewareInstance): void;
}

const title = (env: K2MiddlewareEnvironmentPolicy) => env.title ?? env.name;

/**
 * Renews an instance: its expiry becomes now plus the days typed, at most the
 * environment's cap (said under the field); the new date is said before confirming.
 */
export function RenewDialog(props: InstanceDialogProps) {
  const { instance, environment } = props;
  const t = useMiddlewareT();
  const date = useFormatDate();
  const api = useApi(k2MiddlewareStoreApiRef);
  const max = environment.maxTtlDays ?? environment.ttlDays ?? 365;
  const [days, setDays] = useState(String(environment.ttlDays ?? max));
  const id = useId();
  const n = Number(days);
  const ok = /^[0-9]+$/.test(days) && n >= 1 && n <= max;
  return (
    <ActionDialog
      title={t('renew.title', { name: instance.name })}
      confirm={t('renew.confirm')}
      busyLabel={t('renew.busy')}
      confirmDisabled={!ok}
      onClose={props.onClose}
      onConfirm={async () => {
        props.onDone(await api.renewInstance(instance.id, n));
      }}
    >
      {instance.expiresAt && (
        <Typography variant="body2" paragraph>
          {t('renew.now', { date: date(instance.expiresAt) })}
        </Typography>
      )}
      <TextField
        id={id}
        type="number"
        label={t('renew.days')}
        value={days}
        onChange={e => setDays(e.target.value)}
        error={!ok}
        helperText={t('renew.daysHint', {
          max: String(max),
          environment: title(environment),
        })}
        inputProps={{ min: 1, max }}
      />
      {ok && (
        <Typography variant="body2" style={{ marginTop: 16 }}>
          {t('renew.explain', {
            days: String(n),
            date: date(daysFrom(n)),
            environment: title(environment),
            max: String(max),
          })}
        </Typography>
      )}
    </ActionDialog>
  );
}

/**
 * Resizes an instance: replicas, the size preset and the storage size, each empty
 * with the current value as its placeholder (only what is typed is sent). Storage is
 * disabled with the reason when the instance's class cannot expand.
 */
export function ResizeDialog(
  props: InstanceDialogProps & { template?: LocalizedTemplate },
) {
  const { instance, environment, template } = props;
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const current = instance.parameters as Record<string, unknown>;
  const currentStorage = String(current.storageSize ?? '');
  const storageClass = String(current.storageClass ?? '');
  const expandable =
    environment.storageClasses.find(c => c.name === storageClass)?.expandable ??
    false;
  const [replicas, setReplicas] = useState('');
  const [size, setSize] = useState('');
  const [storage, setStorage] = useState('');
  const ids = [useId(), useId(), useId()];
  const replicasOk =
    replicas === '' || (/^[0-9]$/.test(replicas) && Number(replicas) >= 1);
  const storageOk =
    storage === '' ||
    (/^[0-9]+(Mi|Gi|Ti)$/.test(storage) &&
      bytes(storage) > bytes(currentStorage));
  const changed = replicas !== '' || size !== '' || storage !== '';
  return (
    <ActionDialog
      title={t('resize.title', { name: instance.name })}
      confirm={t('resize.confirm')}
      busyLabel={t('resize.busy')}
      confirmDisabled={!changed || !replicasOk || !storageOk}
      onClose={props.onClose}
      onConfirm={async () => {
        props.onDone(
          await api.resizeInstance(instance.id, {
            ...(replicas ? { replicas: Number(replicas) } : {}),
            ...(size ? { size } : {}),
            ...(storage ? { storageSize: storage } : {}),
          }),
        );
      }}
    >
      <Typography variant="body2" paragraph>
        {t('resize.explain')}
      </Typography>
      <Box display="flex" flexDirection="column" style={{ gap: 16 }}>
        <TextField
          id={ids[0]}
          type="number"
          label={t('resize.replicas')}
          value={replicas}
          placeholder={String(instance.replicas?.desired ?? current.replicas)}
          onChange={e => setReplicas(e.target.value)}
          error={!replicasOk}
          helperText={t('resize.current', {
            value: String(instance.replicas?.desired ?? current.replicas),
          })}
          inputProps={{ min: 1, max: 9 }}
          InputLabelProps={{ shrink: true }}
        />
        {template && template.presets.length > 0 && (
          <TextField
            id={ids[1]}
            select
            label={t('resize.size')}
            value={size}
            onChange={e => setSize(e.target.value)}
            helperText={t('resize.current', { value: String(current.size) })}
            SelectProps={{ displayEmpty: true }}
            InputLabelProps={{ shrink: true }}
          >
            <MenuItem value="">{String(current.size ?? '')}</MenuItem>
            {template.presets
              .filter(p => p.name !== current.size)
              .map(p => (
                <MenuItem key={p.name} value={p.name}>
                  {t('create.presetOption', {
                    name: labelled(p.name, p.label),
                    cpu: p.cpu,
                    memory: p.memory,
                  })}
                </MenuItem>
              ))}
          </TextField>
        )}
        <TextField
          id={ids[2]}
          label={t('resize.storageSize')}
          value={storage}
          placeholder={currentStorage}
          disabled={!expandable}
          onChange={e => setStorage(e.target.value.trim())}
          error={!storageOk}
          helperText={
            expandable
              ? (!storageOk && t('resize.storageInvalid')) ||
                t('resize.current', { value: currentStorage })
              : t('resize.storageFixed', { storageClass })
          }
          InputLabelProps={{ shrink: true }}
        />
      </Box>
    </ActionDialog>
  );
}

const UNIT: Record<string, number> = { Mi: 1, Gi: 1024, Ti: 1024 * 1024 };

/** Mebibytes of a `20Gi`-style quantity; 0 when it is not one. */
function bytes(quantity: string): number {
  const m = /^([0-9]+)(Mi|Gi|Ti)$/.exec(quantity);
  return m ? Number(m[1]) * UNIT[m[2]] : 0;
}

/** Moves an instance to a template its own lists under `upgradesTo`. */
export function UpgradeDialog(
  props: InstanceDialogProps & { upgradesTo: string[] },
) {
  const { instance } = props;
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const [target, setTarget] = useState(props.upgradesTo[0]);
  const id = useId();
  return (
    <ActionDialog
      title={t('upgrade.title', { name: instance.name })}
      confirm={t('upgrade.confirm')}
      busyLabel={t('upgrade.busy')}
      onClose={props.onClose}
      onConfirm={async () => {
        props.onDone(await api.upgradeInstance(instance.id, target));
      }}
    >
      <Typography variant="body2" paragraph>
        {t('upgrade.explain', { product: instance.product })}
      </Typography>
      <TextField
        id={id}
        select
        label={t('upgrade.target')}
        value={target}
        onChange={e => setTarget(e.target.value)}
        fullWidth
      >
        {props.upgradesTo.map(name => (
          <MenuItem key={name} value={name}>
            {name}
          </MenuItem>
        ))}
      </TextField>
    </ActionDialog>
  );
}

/**
 * Binds an instance to a service, or unbinds it: says that the service's next
 * release in the environment receives (or no longer receives) the env vars, and
 * names them.
 */
export function BindDialog(
  props: InstanceDialogProps & {
    service: string;
    unbind: boolean;
    envVars: string[];
  },
) {
  const { instance, environment, unbind } = props;
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const words = {
    name: instance.name,
    service: who(props.service),
    environment: title(environment),
  };
  return (
    <ActionDialog
      title={unbind ? t('unbind.title', words) : t('bind.title', words)}
      confirm={unbind ? t('unbind.confirm') : t('bind.confirm')}
      busyLabel={unbind ? t('unbind.busy') : t('bind.busy')}
      onClose={props.onClose}
      preview={
        props.envVars.length > 0 ? (
          <Box display="flex" flexWrap="wrap" style={{ gap: 12 }}>
            {props.envVars.map(name => (
              <Mono key={name}>{name}</Mono>
            ))}
          </Box>
        ) : undefined
      }
      onConfirm={async () => {
        const service = serviceOf(props.service);
        props.onDone(
          unbind
            ? await api.unbindInstance(instance.id, service)
            : await api.bindInstance(instance.id, service),
        );
      }}
    >
      <Typography variant="body2">
        {unbind ? t('unbind.explain', words) : t('bind.explain', words)}
      </Typography>
    </ActionDialog>
  );
}

/**
 * Deletes an instance after its name is typed; says its backup is kept until the end
 * of the environment's retention, when it can no longer be restored.
 */
export function DeleteDialog(props: InstanceDialogProps & { dump: boolean }) {
  const { instance, environment } = props;
  const t = useMiddlewareT();
  const date = useFormatDate();
  const api = useApi(k2MiddlewareStoreApiRef);
  const [typed, setTyped] = useState('');
  const id = useId();
  return (
    <ActionDialog
      title={t('delete.title', {
        name: instance.name,
        environment: title(environment),
      })}
      confirm={t('delete.confirm')}
      busyLabel={t('delete.busy')}
      destructive
      confirmDisabled={typed !== instance.name}
      onClose={props.onClose}
      onConfirm={async () => {
        props.onDone(await api.deleteInstance(instance.id));
      }}
    >
      <Typography variant="body2" paragraph>
        {t('delete.explain', {
          date: date(daysFrom(environment.retentionDays ?? 0)),
        })}
        {props.dump && ` ${t('delete.dump')}`}
      </Typography>
      <TextField
        id={id}
        label={t('delete.typeName', { name: instance.name })}
        value={typed}
        onChange={e => setTyped(e.target.value)}
        fullWidth
      />
    </ActionDialog>
  );
}

/** Restores a deleted or expired instance from its backup. */
export function RestoreDialog(props: InstanceDialogProps) {
  const { instance, environment } = props;
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  return (
    <ActionDialog
      title={t('restore.title', {
        name: instance.name,
        environment: title(environment),
      })}
      confirm={t('restore.confirm')}
      busyLabel={t('restore.busy')}
      onClose={props.onClose}
      onConfirm={async () => {
        props.onDone(await api.restoreInstance(instance.id));
      }}
    >
      <Typography variant="body2">{t('restore.explain')}</Typography>
    </ActionDialog>
  );
}

/** Approves or rejects an instance waiting for approval, with a comment. */
export function DecisionDialog(
  props: InstanceDialogProps & { decision: 'approve' | 'reject' },
) {
  const { instance, environment, decision } = props;
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const [comment, setComment] = useState('');
  const id = useId();
  const words = {
    name: instance.name,
    environment: title(environment),
    user: who(instance.approval?.requestedBy ?? instance.createdBy),
    product: instance.product,
    version: instance.version,
    service: who(instance.service),
  };
  return (
    <ActionDialog
      title={t(`${decision}.title`, words)}
      confirm={t(`${decision}.confirm`)}
      busyLabel={t(`${decision}.busy`)}
      destructive={decision === 'reject'}
      onClose={props.onClose}
      onConfirm={async () => {
        const text = comment.trim() || undefined;
        props.onDone(
          decision === 'approve'
            ? await api.approveInstance(instance.id, text)
            : await api.rejectInstance(instance.id, text),
        );
      }}
    >
      <Typography variant="body2" paragraph>
        {t(`${decision}.explain`, words)}
      </Typography>
      {instance.approval?.reason && (
        <Typography variant="body2" paragraph>
          {t('drawer.requestReason', { reason: instance.approval.reason })}
        </Typography>
      )}
      <TextField
        id={id}
        label={t(`${decision}.comment`)}
        value={comment}
        onChange={e => setComment(e.target.value)}
        fullWidth
        multiline
        inputProps={{ maxLength: 500 }}
      />
    </ActionDialog>
  );
}
