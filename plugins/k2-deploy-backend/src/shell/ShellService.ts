import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  K2ShellPolicy,
  K2ShellSessionList,
  K2ShellTicket,
} from '@internal/plugin-k2-deploy-common';
import {
  k2InstanceExecPermission,
  k2ShellSessionReadPermission,
} from '@internal/plugin-k2-common';
import {
  ActionAccess,
  actorOf,
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2InstanceAddress,
  K2ResolvedInstance,
  K2ServiceResolver,
  KubeObject,
} from '@internal/plugin-k2-node';
import { createHash, randomBytes, randomUUID } from 'crypto';
import {
  GatewayTimeoutError,
  TooManyRequestsError,
} from '../instances/followLimits';
import { ShellPolicy } from './ShellPolicy';
import { ShellSessionStore, TerminalSize } from './ShellSessionStore';
import { describeDuration } from './durations';

/** How long a ticket may wait for its WebSocket. */
export const TICKET_TTL_MS = 30_000;
/** How long a debug container may take to start. */
export const DEBUG_START_TIMEOUT_MS = 60_000;
/** How long the short `id -u` that learns a container's uid may take. */
const UID_CHECK_TIMEOUT_MS = 10_000;

const EXEC: ActionAccess = {
  permission: k2InstanceExecPermission,
  verb: 'open shells in the instances of',
};

/** The SHA-256 of a ticket, as the store keeps it. */
export function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('hex');
}

/** A new single-use ticket: 32 random bytes, base64url. */
function newTicket(): { ticket: string; hash: string } {
  const ticket = randomBytes(32).toString('base64url');
  return { ticket, hash: ticketHash(ticket) };
}

/** `k2-debug-` and 5 random lowercase letters or digits. */
function debugContainerName(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(5);
  return `k2-debug-${[...bytes]
    .map(b => alphabet[b % alphabet.length])
    .join('')}`;
}

/** The container's status in a pod (app, init or ephemeral). */
function containerState(pod: KubeObject, name: string): any {
  const statuses: any[] = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  return statuses.find(s => s.name === name)?.state ?? {};
}

/** Why a container is not running, in the words of its status. */
function notRunningReason(state: any): string {
  if (state.terminated) {
    return `terminated: ${state.terminated.reason ?? 'Error'}${
      state.terminated.message ? ` (${state.terminated.message})` : ''
    }`;
  }
  if (state.waiting) {
    return `waiting: ${state.waiting.reason ?? 'ContainerCreating'}${
      state.waiting.message ? ` (${state.waiting.message})` : ''
    }`;
  }
  return 'not started';
}

/**
 * Web shells and debug containers: what a caller may do in an environment, opening a
 * session (checks, limits, ticket) and starting debug containers, and the recorded
 * sessions. Opening and debug run inside {@link K2ActionGate.audited} with
 * `k2.instance.exec`; the environment's `k2.shell` rules are checked inside, so a
 * refusal by either is audited and logged. The WebSocket side of a session is
 * {@link ShellSessionRunner}.
 */
export class ShellService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;
  readonly #store: ShellSessionStore;
  readonly #policy: ShellPolicy;
  readonly #logger: LoggerService;

  constructor(options: {
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    access: K2ClusterAccess;
    store: ShellSessionStore;
    policy: ShellPolicy;
    logger: LoggerService;
  }) {
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#access = options.access;
    this.#store = options.store;
    this.#policy = options.policy;
    this.#logger = options.logger;
  }

  /** What the caller may do in one environment of the service, and the limits. */
  async policy(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<K2ShellPolicy> {
    const service = await this.#resolver.service(ref);
    this.#resolver.target(service, environment);
    const rules = this.#policy.rules(environment);
    if (!rules) {
      throw new NotFoundError(`K2 has no environment '${environment}'`);
    }
    const title = this.#policy.title(environment);
    let permitted = true;
    try {
      await this.#gate.authorize(service.ref, caller, EXEC);
    } catch (error) {
      if (!(error instanceof NotAllowedError)) throw error;
      permitted = false;
    }
    const denied = `Only the owners of ${service.ref} may open shells in its instances.`;
    const decide = (refusals: Array<[boolean, string]>) => {
      const refused = refusals.find(([applies]) => applies);
      return refused
        ? { allowed: false, reason: refused[1] }
        : { allowed: true };
    };
    const shell = decide([
      [!permitted, denied],
      [!rules.shell, `Shells are turned off in ${title}.`],
    ]);
    const debug = decide([
      [!permitted, denied],
      [!rules.debug, `Debug containers are turned off in ${title}.`],
      [
        this.#policy.debugImages.length === 0,
        'No debug images are approved (k2.shell.debugImages).',
      ],
    ]);
    return {
      shell,
      debug,
      debugImages: debug.allowed ? this.#policy.debugImages : [],
      idleTimeoutSeconds: Math.ceil(this.#policy.idleTimeoutMs / 1000),
      maxDurationSeconds: Math.ceil(this.#policy.maxDurationMs / 1000),
    };
  }

  /**
   * Opens a shell session in a running container of one of the service's pods: the
   * ticket for its WebSocket.
   *
   * @throws NotAllowedError without `k2.instance.exec`, or where the environment's policy has shells off
   * @throws NotFoundError when the pod is not the service's in that cluster
   * @throws InputError when the pod has no such container
   * @throws ConflictError when the container is not running or runs as root where that is refused
   * @throws TooManyRequestsError over the session limits
   */
  async openShell(
    ref: CompoundEntityRef,
    address: K2InstanceAddress,
    input: { container: string } & Partial<TerminalSize>,
    caller: Caller,
  ): Promise<K2ShellTicket> {
    const service = stringifyEntityRef(ref);
    return this.#gate.audited(
      caller,
      'instance-shell',
      {
        service,
        environment: address.environment,
        summary: `Opened a shell in ${address.pod}/${input.container}`,
      },
      EXEC,
      async () => {
        const rules = this.#rules(address.environment);
        if (!rules.shell) {
          throw new NotAllowedError(
            `Shells are turned off in ${this.#policy.title(
              address.environment,
            )}`,
          );
        }
        const instance = await this.#resolver.actionInstance(ref, address);
        const container = this.#appContainer(instance.pod, input.container);
        const state = containerState(instance.pod, input.container);
        if (!state.running) {
          throw new ConflictError(
            `${input.container} in ${
              address.pod
            } is not running (${notRunningReason(
              state,
            )}); start a debug container to look inside the pod`,
          );
        }
        if (!rules.allowRoot) {
          const uid = await this.#uidOf(instance, container);
          if (uid === 0) {
            throw new ConflictError(
              `${input.container} runs as root; shells in ${this.#policy.title(
                address.environment,
              )} run as non-root only. Start a debug container instead.`,
            );
          }
        }
        return this.#issue(instance, caller, {
          container: input.container,
          kind: 'shell',
          size: sizeOf(input),
        });
      },
    );
  }

  /**
   * Starts a debug container from an approved image in one of the service's pods,
   * sharing the target container's processes and running as the environment's
   * `debugUser`, and once it runs answers a ticket for its terminal.
   *
   * @throws GatewayTimeoutError when it does not run within {@link DEBUG_START_TIMEOUT_MS}
   * and otherwise as {@link ShellService.openShell}
   */
  async startDebug(
    ref: CompoundEntityRef,
    address: K2InstanceAddress,
    input: { image: string; target: string } & Partial<TerminalSize>,
    caller: Caller,
  ): Promise<K2ShellTicket> {
    const service = stringifyEntityRef(ref);
    const { summary: _summary, ...ticket } = await this.#gate.audited(
      caller,
      'instance-debug',
      {
        service,
        environment: address.environment,
        summary: `Started a debug container in ${address.pod}`,
      },
      EXEC,
      async () => {
        const rules = this.#rules(address.environment);
        if (!rules.debug) {
          throw new NotAllowedError(
            `Debug containers are turned off in ${this.#policy.title(
              address.environment,
            )}`,
          );
        }
        const image = this.#policy.debugImage(input.image);
        if (!image) {
          const names = this.#policy.debugImages.map(d => d.name);
          throw new InputError(
            `'${input.image}' is not an approved debug image; approved: ${
              names.length ? names.join(', ') : 'none'
            }`,
          );
        }
        const instance = await this.#resolver.actionInstance(ref, address);
        this.#appContainer(instance.pod, input.target);
        const name = debugContainerName();
        const issued = await this.#issue(instance, caller, {
          container: name,
          kind: 'debug',
          image: image.image,
          size: sizeOf(input),
          // The ticket is renewed once the container runs.
          ticketTtlMs: DEBUG_START_TIMEOUT_MS + TICKET_TTL_MS,
        });
        const pod = {
          namespace: instance.pod.metadata.namespace!,
          name: address.pod,
        };
        try {
          await this.#access.addEphemeralContainer(address.cluster, pod, {
            name,
            image: image.image,
            targetContainerName: input.target,
            stdin: true,
            tty: true,
            terminationMessagePolicy: 'File',
            securityContext: {
              runAsUser: rules.debugUser,
              runAsNonRoot: true,
              allowPrivilegeEscalation: false,
            },
          });
          await this.#running(address.cluster, pod, name);
        } catch (error) {
          await this.#store.discard(issued.sessionId);
          throw error;
        }
        const renewed = newTicket();
        const expiresAt = new Date(Date.now() + TICKET_TTL_MS);
        await this.#store.renewTicket(
          issued.sessionId,
          renewed.hash,
          expiresAt,
        );
        return {
          ...issued,
          ticket: renewed.ticket,
          expiresAt: expiresAt.toISOString(),
          summary: `Started debug container ${name} (${image.image}) in ${address.pod}`,
        };
      },
    );
    return ticket;
  }

  /** The recorded sessions, for those allowed `k2.shell.session.read`. */
  async list(
    query: { service?: string; user?: string; limit: number; before?: string },
    caller: Caller,
  ): Promise<K2ShellSessionList> {
    await this.#gate.authorize('', caller, {
      permission: k2ShellSessionReadPermission,
      verb: 'read',
      refusal: 'You may not read the shell sessions',
    });
    return this.#store.list({
      ...query,
      service: query.service?.toLocaleLowerCase('en-US'),
    });
  }

  #rules(environment: string) {
    const rules = this.#policy.rules(environment);
    if (!rules)
      throw new NotFoundError(`K2 has no environment '${environment}'`);
    return rules;
  }

  /** The pod's app container named `name`. */
  #appContainer(pod: KubeObject, name: string): any {
    const containers: any[] = pod.spec?.containers ?? [];
    const container = containers.find(c => c.name === name);
    if (!container) {
      throw new InputError(
        `${
          pod.metadata.name
        } has no container '${name}'; its containers: ${containers
          .map(c => c.name)
          .join(', ')}`,
      );
    }
    return container;
  }

  /**
   * The uid a container runs as: its security context's, else the pod's, else what a
   * short `id -u` in it answers. Undefined when it cannot be learned (a container
   * without `id` has no shell either; its session says so).
   */
  async #uidOf(
    instance: K2ResolvedInstance,
    container: any,
  ): Promise<number | undefined> {
    const declared =
      container.securityContext?.runAsUser ??
      instance.pod.spec?.securityContext?.runAsUser;
    if (typeof declared === 'number') return declared;
    const result = await this.#access.execOutput(
      instance.cluster,
      {
        namespace: instance.pod.metadata.namespace!,
        name: instance.pod.metadata.name,
      },
      {
        container: container.name,
        command: ['id', '-u'],
        timeoutMs: UID_CHECK_TIMEOUT_MS,
        maxBytes: 1024,
      },
    );
    if (result.exitCode !== 0) return undefined;
    // `id -u` prints the number; BusyBox builds without it print `uid=N(name) ...`.
    const text = result.stdout.trim();
    const match = /^(\d+)$/.exec(text) ?? /\buid=(\d+)/.exec(text);
    return match ? Number(match[1]) : undefined;
  }

  /**
   * Creates the session with its ticket, then counts: a session over a limit is
   * removed again and refused, so concurrent opens never exceed the limits (at worst
   * both of two racing opens are refused).
   */
  async #issue(
    instance: K2ResolvedInstance,
    caller: Caller,
    what: {
      container: string;
      kind: 'shell' | 'debug';
      image?: string;
      size?: TerminalSize;
      ticketTtlMs?: number;
    },
  ): Promise<K2ShellTicket> {
    const user = actorOf(caller.credentials);
    const id = randomUUID();
    const { ticket, hash } = newTicket();
    const now = new Date();
    const expiresAt = new Date(
      now.getTime() + (what.ticketTtlMs ?? TICKET_TTL_MS),
    );
    await this.#store.create({
      id,
      service: instance.ref.toLocaleLowerCase('en-US'),
      environment: instance.target.environment.name,
      cluster: instance.cluster,
      namespace: instance.pod.metadata.namespace!,
      pod: instance.pod.metadata.name,
      container: what.container,
      kind: what.kind,
      image: what.image,
      user,
      ticketHash: hash,
      ticketExpiresAt: expiresAt,
      createdAt: now,
      size: what.size,
    });
    const open = await this.#store.countOpen(user, now);
    let refusal: string | undefined;
    if (open.user > this.#policy.maxSessionsPerUser) {
      refusal = `You have ${
        this.#policy.maxSessionsPerUser
      } shell sessions open, the most allowed (k2.shell.maxSessionsPerUser); close one first`;
    } else if (open.total > this.#policy.maxSessions) {
      refusal = `K2 has ${
        this.#policy.maxSessions
      } shell sessions open, the most allowed (k2.shell.maxSessions); try again later`;
    }
    if (refusal) {
      await this.#store.discard(id);
      throw new TooManyRequestsError(refusal);
    }
    this.#logger.info(
      `Shell session ${id} (${what.kind}) for ${user} in ${instance.pod.metadata.name}/${what.container}, cluster ${instance.cluster}`,
    );
    return {
      sessionId: id,
      ticket,
      expiresAt: expiresAt.toISOString(),
      path: `/shell-sessions/${id}/stream`,
      container: what.container,
    };
  }

  /** Resolves once the ephemeral container runs, as the watch cache sees it. */
  async #running(
    cluster: string,
    pod: { namespace: string; name: string },
    name: string,
  ): Promise<void> {
    const cache = this.#access.cache(cluster);
    const state = () =>
      containerState(
        cache.store('pods').get(pod.namespace, pod.name) ?? {
          metadata: { name: pod.name },
        },
        name,
      );
    await new Promise<void>((resolve, reject) => {
      let stop = () => {};
      const timer = setTimeout(() => {
        stop();
        reject(
          new GatewayTimeoutError(
            `Debug container ${name} did not start within ${describeDuration(
              DEBUG_START_TIMEOUT_MS,
            )} in ${pod.name} (${notRunningReason(state())})`,
          ),
        );
      }, DEBUG_START_TIMEOUT_MS);
      const check = () => {
        const current = state();
        if (current.running) {
          clearTimeout(timer);
          stop();
          resolve();
        } else if (current.terminated) {
          clearTimeout(timer);
          stop();
          reject(
            new ConflictError(
              `Debug container ${name} in ${
                pod.name
              } ended at once (${notRunningReason(current)})`,
            ),
          );
        }
      };
      stop = this.#access.subscribe(change => {
        if (
          change.cluster === cluster &&
          change.resource === 'pods' &&
          change.object.metadata.name === pod.name &&
          change.object.metadata.namespace === pod.namespace
        ) {
          check();
        }
      });
      check();
    });
  }
}

function sizeOf(input: Partial<TerminalSize>): TerminalSize | undefined {
  return input.cols && input.rows
    ? { cols: input.cols, rows: input.rows }
    : undefined;
}
