import { useEffect, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { K2ContainerStatusView } from '@internal/plugin-k2-common';
import {
  K2ShellPolicy,
  K2ShellTicket,
} from '@internal/plugin-k2-deploy-common';
import { ActionButton } from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import {
  InstanceName,
  k2DeployApiRef,
  ServiceName,
} from '../../api/K2DeployApi';
import { useDeployT } from '../../translation';
import { DebugDialog } from './DebugDialog';
import { ShellDialog } from './ShellDialog';

/** What the instance panel has open: a shell, the debug dialog, or a debug terminal. */
export type ShellOpen =
  | { kind: 'shell'; container: string }
  | { kind: 'debug'; target?: string }
  | { kind: 'debugging'; ticket: K2ShellTicket };

/**
 * The environment's shell policy for the signed-in user, read while `needed` (an
 * instance to open a shell in, or a terminal open); undefined while it loads or when it
 * cannot be read, so no shell or debug button shows then.
 */
export function useShellPolicy(
  service: ServiceName,
  environment: string,
  needed: boolean,
): K2ShellPolicy | undefined {
  const api = useApi(k2DeployApiRef);
  const { namespace, name } = service;
  const key = `${namespace}/${name}/${environment}`;
  // Kept with the service and environment it answers for, so a drawer switched to
  // another instance never shows the last one's buttons.
  const [policy, setPolicy] = useState<{
    key: string;
    value?: K2ShellPolicy;
  }>();
  useEffect(() => {
    if (!needed) return undefined;
    let current = true;
    const answers = `${namespace}/${name}/${environment}`;
    api.getShellPolicy({ namespace, name }, environment).then(
      value => current && setPolicy({ key: answers, value }),
      () => current && setPolicy({ key: answers }),
    );
    return () => {
      current = false;
    };
  }, [api, namespace, name, environment, needed]);
  return policy?.key === key ? policy.value : undefined;
}

/**
 * A container's Shell and Debug… buttons, each only when the environment's policy and
 * the user's permission allow it. A shell needs the container running; Debug… is
 * there for one that crashes, waits or has no shell.
 */
export function ContainerShellButtons(props: {
  policy?: K2ShellPolicy;
  container: K2ContainerStatusView;
  terminating: boolean;
  onOpen(open: ShellOpen): void;
}) {
  const t = useDeployT();
  const { policy, container } = props;
  if (!policy?.shell.allowed && !policy?.debug.allowed) return null;
  const name = container.name;
  let shellBlocked: string | undefined;
  if (props.terminating) shellBlocked = t('blockedBy.terminating');
  else if (container.state !== 'running') {
    shellBlocked = t('shell.notRunning', { container: name });
  }
  return (
    <Box display="flex" style={{ gap: 8 }}>
      {policy.shell.allowed && (
        <ActionButton
          size="small"
          variant="outlined"
          aria-label={t('shell.openLabel', { container: name })}
          disabledReason={shellBlocked}
          onClick={() => props.onOpen({ kind: 'shell', container: name })}
        >
          {t('shell.open')}
        </ActionButton>
      )}
      {policy.debug.allowed && policy.debugImages.length > 0 && (
        <ActionButton
          size="small"
          variant="outlined"
          aria-label={t('shell.debugLabel', { container: name })}
          disabledReason={
            props.terminating ? t('blockedBy.terminating') : undefined
          }
          onClick={() => props.onOpen({ kind: 'debug', target: name })}
        >
          {t('shell.debug')}
        </ActionButton>
      )}
    </Box>
  );
}

/** The dialog of what `open` says: a shell, the debug dialog, or a debug terminal. */
export function InstanceShellDialogs(props: {
  service: ServiceName;
  address: InstanceName;
  environmentTitle: string;
  containers: string[];
  policy: K2ShellPolicy;
  open: ShellOpen;
  onOpen(open: ShellOpen | undefined): void;
}) {
  const t = useDeployT();
  const api = useApi(k2DeployApiRef);
  const { service, address, policy, open } = props;
  const close = () => props.onOpen(undefined);
  const limits = {
    idleTimeoutSeconds: policy.idleTimeoutSeconds,
    maxDurationSeconds: policy.maxDurationSeconds,
  };
  const where = {
    environment: props.environmentTitle,
    cluster: address.cluster,
    pod: address.pod,
  };
  const connection = async (ticket: K2ShellTicket) => ({
    url: await api.shellSocketUrl(ticket.path),
    ticket: ticket.ticket,
  });

  if (open.kind === 'shell') {
    return (
      <ShellDialog
        // A new session for each container opened.
        key={`shell/${open.container}`}
        title={t('shell.title', {
          pod: address.pod,
          container: open.container,
        })}
        {...where}
        container={open.container}
        {...limits}
        connect={async size =>
          connection(
            await api.openShell(service, address, {
              container: open.container,
              ...size,
            }),
          )
        }
        onDebug={
          policy.debug.allowed && policy.debugImages.length > 0
            ? () => props.onOpen({ kind: 'debug', target: open.container })
            : undefined
        }
        onClose={close}
      />
    );
  }
  if (open.kind === 'debug') {
    return (
      <DebugDialog
        pod={address.pod}
        containers={props.containers}
        target={open.target}
        images={policy.debugImages}
        onStart={async input => {
          const ticket = await api.startDebugContainer(service, address, input);
          props.onOpen({ kind: 'debugging', ticket });
        }}
        onClose={close}
      />
    );
  }
  const ticket = open.ticket;
  return (
    <ShellDialog
      key={`debug/${ticket.sessionId}`}
      title={t('shell.debugTitle', {
        pod: address.pod,
        container: ticket.container,
      })}
      {...where}
      container={ticket.container}
      {...limits}
      // The container started with its ticket: the terminal sends its size on opening.
      connect={() => connection(ticket)}
      onClose={close}
    />
  );
}
