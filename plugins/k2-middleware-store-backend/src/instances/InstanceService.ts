import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  k2MiddlewareApprovePermission,
  k2MiddlewareConnectionReadPermission,
  k2MiddlewareManagePermission,
  k2MiddlewareReadPermission,
  k2MiddlewareStoreReadPermission,
  K2ServiceTarget,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_MIDDLEWARE_INSTANCE,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';
import {
  components,
  K2MiddlewareConnection,
  K2MiddlewareEnvironmentPolicy,
  K2MiddlewareInstance,
  K2MiddlewareInstanceState,
  K2MiddlewareTemplate,
  K2MiddlewareTemplateSummary,
} from '@internal/plugin-k2-middleware-store-common';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2EnvironmentRegistry,
  K2ResolvedService,
  K2ServiceResolver,
  KubeObject,
} from '@internal/plugin-k2-node';
import {
  MiddlewareConfig,
  MiddlewareEnvironmentPolicy,
} from '../config/readMiddlewareConfig';
import {
  InstanceBackup,
  InstancePhase,
  MiddlewareStore,
  StoredInstance,
} from '../database/MiddlewareStore';
import { InstanceObjects } from '../lifecycle/InstanceObjects';
import {
  generateSecretData,
  MiddlewareTemplate,
  RenderedInstance,
  renderInstance,
  resolveParameters,
  secretNameOf,
  TemplateRegistry,
} from '../templates';
import { liveState } from './liveState';
import { StorageClasses } from './StorageClasses';

type BindingEnvList = components['schemas']['BindingEnvList'];

/** What a change returns to the gate: the instance's view and the activity summary. */
interface Changed {
  view: K2MiddlewareInstance;
  summary: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Phases in which owners may change an instance (renew, resize, upgrade, bind). */
const CHANGEABLE: InstancePhase[] = ['active'];
/** Phases whose Secret exists: it is created on approval and kept until retention ends. */
const WITH_SECRET: InstancePhase[] = [
  'active',
  'updating',
  'restoring',
  'failed',
  'deleting',
  'deleted',
  'expired',
];

/**
 * What the service asks of the lifecycle (`LifecycleService`): take an instance that
 * was just marked `deleting` or `restoring` as far as it can go now. Must not throw; a
 * step it cannot take is left to the lifecycle's scheduled pass.
 */
export interface InstanceLifecycle {
  advance(id: string): unknown;
}

/** The name of the copy of an instance's Secret in a bound service's namespace. */
export function bindingSecretName(instance: string): string {
  return `k2-mw-${instance}`;
}

/** The catalog Resource of an instance: `resource:default/<environment>-<name>`. */
export function instanceEntityRef(instance: {
  environment: string;
  name: string;
}): string {
  return `resource:default/${instance.environment}-${instance.name}`;
}

const lower = (ref: string) => ref.toLocaleLowerCase('en-US');

/** The entity's owner as a full entity ref (a group unless the owner says otherwise). */
function ownerOf(service: K2ResolvedService): string {
  const owner = (service.entity.spec as { owner?: string } | undefined)?.owner;
  if (!owner) {
    throw new InputError(
      `${service.ref} has no owner (spec.owner); middleware belongs to the owning team`,
    );
  }
  return lower(
    stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: service.entity.metadata.namespace ?? 'default',
      }),
    ),
  );
}

/** The cluster an instance runs in: the target's first cluster by weight. */
function clusterOf(target: K2ServiceTarget): string {
  const [first] = [...target.clusters].sort(
    (a, b) => b.weight - a.weight || a.name.localeCompare(b.name),
  );
  if (!first) {
    throw new InputError(
      `Environment '${target.environment.name}' has no cluster for this service`,
    );
  }
  return first.name;
}

function decode(data: Record<string, string> | undefined) {
  return Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString('utf8'),
    ]),
  );
}

function encode(data: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [
      k,
      Buffer.from(v, 'utf8').toString('base64'),
    ]),
  );
}

/** A Kubernetes quantity in bytes (`20Gi`), for the sizes the contract allows. */
function quantityBytes(quantity: string): number | undefined {
  const match = /^([0-9]+)(Ki|Mi|Gi|Ti)?$/.exec(quantity);
  if (!match) return undefined;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[
    (match[2] ?? '') as 'Ki'
  ];
  return Number(match[1]) * (unit ?? 1);
}

/**
 * The StatefulSets of `next` keep the volume claim templates of `current`: Kubernetes
 * refuses a change to them, and a storage resize grows the PVCs themselves.
 */
function keepClaimTemplates(
  next: RenderedInstance,
  current: RenderedInstance,
): KubeObject[] {
  return next.objects.map(object => {
    if (object.kind !== 'StatefulSet') return object;
    const before = current.objects.find(
      o => o.kind === 'StatefulSet' && o.metadata.name === object.metadata.name,
    );
    if (!before) return object;
    return {
      ...object,
      spec: {
        ...object.spec,
        volumeClaimTemplates: before.spec.volumeClaimTemplates,
      },
    };
  });
}

/**
 * Middleware instances: creating them from templates (at once, or after an approver
 * approves where the environment needs approval), reading them with their live state,
 * renewing, resizing, upgrading, deleting and restoring them, binding them to
 * services, and their connection info.
 *
 * Invariants: every change goes through the action gate (permission, audit event,
 * activity entry of the instance's service); a name is reserved in the database before
 * anything reaches the cluster, so two requests never write one instance's objects; an
 * instance's Secret is created once, with fresh values, and never applied over;
 * secret values are read from the cluster only for the connection route and for a
 * binding's copy, and are never stored, logged, audited or put in any other response;
 * deletion and restore are the lifecycle's (`advance`), this service only marks them.
 */
export class InstanceService {
  readonly #store: MiddlewareStore;
  readonly #templates: TemplateRegistry;
  readonly #config: MiddlewareConfig;
  readonly #environments: K2EnvironmentRegistry;
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;
  readonly #objects: InstanceObjects;
  readonly #classes: StorageClasses;
  readonly #lifecycle: InstanceLifecycle;
  readonly #logger: LoggerService;

  constructor(options: {
    store: MiddlewareStore;
    templates: TemplateRegistry;
    config: MiddlewareConfig;
    environments: K2EnvironmentRegistry;
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    access: K2ClusterAccess;
    /** Defaults to one on `access`. */
    objects?: InstanceObjects;
    lifecycle: InstanceLifecycle;
    logger: LoggerService;
  }) {
    this.#store = options.store;
    this.#templates = options.templates;
    this.#config = options.config;
    this.#environments = options.environments;
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#access = options.access;
    this.#objects =
      options.objects ?? new InstanceObjects({ access: options.access });
    this.#classes = new StorageClasses({ access: options.access });
    this.#lifecycle = options.lifecycle;
    this.#logger = options.logger;
  }

  // --- The store's catalog -------------------------------------------------------

  async listTemplates(
    caller: Caller,
  ): Promise<{ items: K2MiddlewareTemplateSummary[] }> {
    await this.#browse(caller);
    return { items: this.#templates.list().map(templateSummary) };
  }

  /** @throws NotFoundError for a template the store does not have */
  async getTemplate(
    name: string,
    caller: Caller,
  ): Promise<K2MiddlewareTemplate> {
    await this.#browse(caller);
    const template = this.#template(name);
    return {
      ...templateSummary(template),
      parameters: template.parameters as Record<string, unknown>,
      presets: template.presets.map(p => ({ ...p })),
      connection: template.connection.map(c => ({ ...c })),
      readme: template.readme,
      i18n: structuredClone(template.i18n),
    };
  }

  /** Each environment's policy, with the StorageClasses of the cluster instances use. */
  async listEnvironments(
    caller: Caller,
  ): Promise<{ items: K2MiddlewareEnvironmentPolicy[] }> {
    await this.#browse(caller);
    const items = await Promise.all(
      this.#environments.listEnvironments().map(async environment => {
        const policy = this.#policy(environment.name);
        const [first] = [...environment.clusters].sort(
          (a, b) => b.weight - a.weight || a.name.localeCompare(b.name),
        );
        const classes = first ? await this.#classes.of(first.name) : undefined;
        return {
          name: environment.name,
          title: environment.title,
          approvalRequired: environment.approval.required,
          ...(policy.ttlDays !== undefined
            ? {
                ttlDays: policy.ttlDays,
                maxTtlDays: policy.maxTtlDays,
                ...(policy.reminderDays !== undefined
                  ? { reminderDays: policy.reminderDays }
                  : {}),
              }
            : {}),
          retentionDays: policy.retentionDays,
          storageClasses: (classes ?? []).map(c => ({
            name: c.name,
            expandable: c.expandable,
          })),
        };
      }),
    );
    return { items };
  }

  // --- Reading instances ---------------------------------------------------------

  /** Instances across services, newest first (no secret value). */
  async list(
    filter: { owner?: string; environment?: string; state?: string },
    caller: Caller,
  ): Promise<{ items: K2MiddlewareInstance[] }> {
    await this.#browse(caller);
    const rows = await this.#store.listInstances({
      ...(filter.owner ? { owner: lower(filter.owner) } : {}),
      ...(filter.environment ? { environment: filter.environment } : {}),
    });
    const items = await this.#views(rows);
    return {
      items: filter.state
        ? items.filter(item => item.state === filter.state)
        : items,
    };
  }

  /** The service's instances and those bound to it, newest first. */
  async listForService(
    ref: CompoundEntityRef,
    caller: Caller,
  ): Promise<{ items: K2MiddlewareInstance[] }> {
    const resolved = await this.#resolver.service(ref);
    await this.#gate.authorize(resolved.ref, caller, {
      permission: k2MiddlewareReadPermission,
      verb: 'read the middleware of',
    });
    const rows = await this.#store.listServiceInstances(lower(resolved.ref));
    return { items: await this.#views(rows) };
  }

  /** One instance with its lifecycle events. */
  async get(id: string, caller: Caller): Promise<K2MiddlewareInstance> {
    const instance = await this.#instance(id);
    await this.#gate.authorize(instance.service, caller, {
      permission: k2MiddlewareReadPermission,
      verb: 'read the middleware of',
    });
    return this.#view(instance, { events: true });
  }

  /**
   * How to connect, with the secret values read from the instance's Secret for this
   * response only. Owners and admins.
   */
  async connection(
    id: string,
    caller: Caller,
  ): Promise<K2MiddlewareConnection> {
    const instance = await this.#instance(id);
    await this.#gate.authorize(instance.service, caller, {
      permission: k2MiddlewareConnectionReadPermission,
      verb: 'read the middleware passwords of',
    });
    if (!WITH_SECRET.includes(instance.phase)) {
      throw new ConflictError(
        `${instance.name} is ${instance.phase}: it has no Secret yet`,
      );
    }
    const rendered = this.#render(instance);
    const secret = await this.#readSecret(instance);
    const values = decode(secret?.data);
    const env = rendered.connection.env.map(e => ({
      name: e.name,
      value: e.secretKey !== undefined ? values[e.secretKey] ?? '' : e.value!,
      secret: e.secretKey !== undefined,
    }));
    const uri = rendered.connection.uri?.replace(
      /\{\{\s*secret\.([A-Za-z0-9_.-]+)\s*\}\}/g,
      (_, key: string) => encodeURIComponent(values[key] ?? ''),
    );
    return {
      host: rendered.connection.host,
      port: rendered.connection.port,
      ...(uri !== undefined ? { uri } : {}),
      env,
    };
  }

  /**
   * The env vars a release of the service receives in the environment: one entry per
   * instance bound to it there; secret values as references to the binding's copy of
   * the instance's Secret (`k2-mw-<instance>`), never the values.
   */
  async bindingEnv(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<BindingEnvList> {
    const resolved = await this.#resolver.service(ref);
    await this.#gate.authorize(resolved.ref, caller, {
      permission: k2MiddlewareReadPermission,
      verb: 'read the middleware of',
    });
    const service = lower(resolved.ref);
    const rows = (await this.#store.listServiceInstances(service)).filter(
      i => i.environment === environment,
    );
    const bindings = await this.#store.listBindings(rows.map(r => r.id));
    const bound = new Set(
      bindings.filter(b => b.service === service).map(b => b.instanceId),
    );
    return {
      items: rows
        .filter(r => bound.has(r.id))
        .map(instance => ({
          instance: instance.name,
          entityRef: instanceEntityRef(instance),
          env: this.#render(instance).connection.env.map(e =>
            e.secretKey !== undefined
              ? {
                  name: e.name,
                  secretKeyRef: {
                    name: bindingSecretName(instance.name),
                    key: e.secretKey,
                  },
                }
              : { name: e.name, value: e.value ?? '' },
          ),
        })),
    };
  }

  // --- Changes -------------------------------------------------------------------

  /**
   * Creates an instance for the service. Where the environment needs approval it is
   * recorded awaiting approval and nothing reaches the cluster; elsewhere its Secret
   * and objects are applied at once.
   *
   * @throws InputError for parameters the template refuses, a time to live past the
   *   cap, a storage class the cluster does not have
   * @throws NotFoundError for a template the store does not have
   * @throws ConflictError when the name is taken in the environment
   */
  async create(
    ref: CompoundEntityRef,
    input: {
      environment: string;
      template: string;
      name: string;
      parameters?: Record<string, unknown>;
      ttlDays?: number;
      reason?: string;
    },
    caller: Caller,
  ): Promise<K2MiddlewareInstance> {
    const { environment, name } = input;
    const { view } = await this.#gate.audited<Changed>(
      caller,
      'middleware-create',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Create ${input.template} instance ${name} in ${environment}`,
      },
      {
        permission: k2MiddlewareManagePermission,
        verb: 'create middleware for',
      },
      async () => {
        const resolved = await this.#resolver.service(ref);
        const target = this.#resolver.target(resolved, environment);
        if (target.identityProblem) {
          throw new InputError(target.identityProblem);
        }
        const template = this.#template(input.template);
        const parameters = resolveParameters(template, input.parameters);
        const cluster = clusterOf(target);
        await this.#checkStorageClass(cluster, parameters);
        const policy = this.#policy(environment);
        const ttlDays = this.#ttl(environment, policy, input.ttlDays);
        const now = new Date();
        const approval = target.environment.approval.required;
        const actor = actorOf(caller.credentials);
        const created = await this.#store.createInstance(
          {
            name,
            service: lower(resolved.ref),
            owner: ownerOf(resolved),
            environment,
            cluster,
            namespace: target.namespace,
            template: template.name,
            product: template.product,
            version: template.version,
            category: template.category,
            parameters,
            phase: approval ? 'awaiting-approval' : 'active',
            ...(ttlDays !== undefined
              ? {
                  expiresAt: new Date(
                    now.getTime() + ttlDays * DAY_MS,
                  ).toISOString(),
                }
              : {}),
            secretName: secretNameOf(name),
            createdBy: actor,
            ...(approval
              ? {
                  approval: {
                    requestedBy: actor,
                    requestedAt: now.toISOString(),
                    ...(input.reason ? { reason: input.reason } : {}),
                  },
                }
              : {}),
          },
          {
            type: approval ? 'requested' : 'created',
            actor,
            summary: approval
              ? `Requested ${template.title} ${name}; waiting for an approver of ${environment}`
              : `Created ${template.title} ${name}`,
          },
        );
        if (!created) {
          throw new ConflictError(
            `The name ${name} is taken in ${environment}; choose another`,
          );
        }
        const instance = approval ? created : await this.#applyNew(created);
        return {
          view: await this.#view(instance),
          summary: approval
            ? `Requested ${template.name} instance ${name} in ${environment}, waiting for approval`
            : `Created ${template.name} instance ${name} in ${environment}`,
        };
      },
    );
    return view;
  }

  /**
   * Approves an instance waiting for approval and applies it. Approvers of its
   * environment and admins, never its requester (the permission decides).
   */
  async approve(id: string, comment: string | undefined, caller: Caller) {
    return this.#decide(id, 'approved', comment, caller);
  }

  /** Rejects an instance waiting for approval; nothing reaches the cluster. */
  async reject(id: string, comment: string | undefined, caller: Caller) {
    return this.#decide(id, 'rejected', comment, caller);
  }

  /**
   * Moves the expiry to now plus `days`.
   *
   * @throws InputError where instances do not expire, or past the environment's cap
   */
  async renew(id: string, days: number, caller: Caller) {
    const instance = await this.#instance(id);
    return this.#manage(
      instance,
      caller,
      'middleware-renew',
      `Renew ${instance.name} by ${days} days`,
      async () => {
        const policy = this.#policy(instance.environment);
        if (policy.ttlDays === undefined) {
          throw new InputError(
            `Instances in ${instance.environment} do not expire; there is nothing to renew`,
          );
        }
        if (days > policy.maxTtlDays!) {
          throw new InputError(
            `${days} days passes the cap of ${policy.maxTtlDays} days from now in ${instance.environment}`,
          );
        }
        const expiresAt = new Date(Date.now() + days * DAY_MS).toISOString();
        const renewed = await this.#change(
          id,
          current => ({
            patch: {
              expiresAt,
              remindedAt: null,
              renewals: current.renewals + 1,
            },
          }),
          {
            type: 'renewed',
            summary: `Renewed until ${expiresAt.slice(0, 10)}`,
          },
          caller,
        );
        return {
          view: await this.#view(renewed),
          summary: `Renewed ${instance.name} until ${expiresAt.slice(0, 10)}`,
        };
      },
    );
  }

  /**
   * Changes replicas, size preset or storage size where the template allows; storage
   * only grows, on a class that allows expansion.
   */
  async resize(
    id: string,
    input: { replicas?: number; size?: string; storageSize?: string },
    caller: Caller,
  ) {
    const instance = await this.#instance(id);
    return this.#manage(
      instance,
      caller,
      'middleware-resize',
      `Resize ${instance.name}`,
      async () => {
        const template = this.#templateOf(instance);
        const changes: Record<string, unknown> = {};
        if (input.replicas !== undefined) {
          if (!template.resizable.replicas) {
            throw new InputError(
              `Template ${template.name} does not change replicas after creation`,
            );
          }
          changes.replicas = input.replicas;
        }
        if (input.size !== undefined) {
          if (!template.presets.some(p => p.name === input.size)) {
            throw new InputError(
              `Template ${template.name} has no size ${
                input.size
              }; its sizes: ${template.presets.map(p => p.name).join(', ')}`,
            );
          }
          changes.size = input.size;
        }
        if (input.storageSize !== undefined) {
          await this.#checkGrowth(instance, template, input.storageSize);
          changes.storageSize = input.storageSize;
        }
        if (Object.keys(changes).length === 0) {
          throw new InputError(
            'Say what to change: replicas, size or storageSize',
          );
        }
        const parameters = resolveParameters(template, {
          ...instance.parameters,
          ...changes,
        });
        const next = { ...instance, parameters };
        if (input.storageSize !== undefined) {
          await this.#growVolumes(instance, input.storageSize);
        }
        await this.#objects.apply(
          placeOf(next),
          keepClaimTemplates(this.#render(next), this.#render(instance)),
        );
        const what = Object.entries(changes)
          .map(([k, v]) => `${k} ${String(v)}`)
          .join(', ');
        const resized = await this.#change(
          id,
          () => ({ patch: { parameters } }),
          { type: 'resized', summary: `Resized: ${what}` },
          caller,
        );
        return {
          view: await this.#view(resized),
          summary: `Resized ${instance.name}: ${what}`,
        };
      },
    );
  }

  /** Moves the instance to a template its current one lists under `upgradesTo`. */
  async upgrade(id: string, to: string, caller: Caller) {
    const instance = await this.#instance(id);
    return this.#manage(
      instance,
      caller,
      'middleware-upgrade',
      `Upgrade ${instance.name} to ${to}`,
      async () => {
        const current = this.#templateOf(instance);
        if (!current.upgradesTo.includes(to)) {
          throw new InputError(
            `${current.name} upgrades to ${
              current.upgradesTo.join(', ') || 'nothing'
            }, not ${to}`,
          );
        }
        const target = this.#template(to);
        const parameters = resolveParameters(target, instance.parameters);
        const next = {
          ...instance,
          template: target.name,
          version: target.version,
          parameters,
        };
        await this.#objects.apply(
          placeOf(next),
          keepClaimTemplates(this.#render(next), this.#render(instance)),
        );
        const upgraded = await this.#change(
          id,
          () => ({
            patch: {
              template: target.name,
              version: target.version,
              parameters,
            },
          }),
          {
            type: 'upgraded',
            summary: `Upgraded from ${current.name} (${current.version}) to ${target.name} (${target.version})`,
          },
          caller,
        );
        return {
          view: await this.#view(upgraded),
          summary: `Upgraded ${instance.name} to ${target.name}`,
        };
      },
    );
  }

  /**
   * Marks the instance for deletion and asks the lifecycle to save its backup and
   * delete it. An instance waiting for approval, or rejected, had nothing in the
   * cluster: its row goes at once and its name is free again.
   *
   * @throws ConflictError while a service is bound to it, or in a phase that cannot be deleted
   */
  async delete(id: string, caller: Caller) {
    const instance = await this.#instance(id);
    return this.#manage(
      instance,
      caller,
      'middleware-delete',
      `Delete ${instance.name}`,
      async () => {
        if (
          instance.phase === 'awaiting-approval' ||
          instance.phase === 'rejected'
        ) {
          await this.#store.purgeInstance(id);
          return {
            view: await this.#view({ ...instance, phase: 'deleted' }),
            summary: `Withdrew ${instance.name} (${instance.phase}); nothing was in the cluster`,
          };
        }
        const actor = actorOf(caller.credentials);
        const deleting = await this.#store.transition(id, {
          from: ['active', 'failed'],
          to: 'deleting',
          reason: 'deleted',
          unbound: true,
          event: {
            type: 'deleting',
            actor,
            summary: 'Deletion requested: saving the backup, then deleting',
          },
        });
        if (!deleting) {
          const bound = await this.#store.listBindings([id]);
          if (bound.length > 0) {
            throw new ConflictError(
              `${instance.name} is bound to ${bound
                .map(b => b.service)
                .join(', ')}; unbind it first`,
            );
          }
          const now = await this.#instance(id);
          throw new ConflictError(
            `${instance.name} is ${now.phase} and cannot be deleted now`,
          );
        }
        this.#lifecycle.advance(id);
        return {
          view: await this.#view(deleting),
          summary: `Deleting ${instance.name} after saving its backup`,
        };
      },
    );
  }

  /**
   * Brings a deleted or expired instance back from its backup (the lifecycle
   * re-applies it).
   *
   * @throws ConflictError when it is not deleted or expired, or its retention is over
   */
  async restore(id: string, caller: Caller) {
    const instance = await this.#instance(id);
    return this.#manage(
      instance,
      caller,
      'middleware-restore',
      `Restore ${instance.name}`,
      async () => {
        const backup = await this.#store.getBackup(id);
        if (
          !backup ||
          (instance.phase !== 'deleted' && instance.phase !== 'expired')
        ) {
          throw new ConflictError(
            `${instance.name} is ${instance.phase}; only a deleted or expired instance with a backup is restored`,
          );
        }
        if (Date.parse(backup.restorableUntil) <= Date.now()) {
          throw new ConflictError(
            `${instance.name} was restorable until ${backup.restorableUntil}; its retention is over`,
          );
        }
        const restoring = await this.#store.transition(id, {
          from: ['deleted', 'expired'],
          to: 'restoring',
          event: {
            type: 'restoring',
            actor: actorOf(caller.credentials),
            summary: 'Restore requested: re-applying the saved manifests',
          },
        });
        if (!restoring) {
          throw new ConflictError(
            `${instance.name} changed meanwhile; try again`,
          );
        }
        this.#lifecycle.advance(id);
        return {
          view: await this.#view(restoring),
          summary: `Restoring ${instance.name}`,
        };
      },
    );
  }

  /**
   * Binds the instance to a service of the same team running in the instance's
   * environment: copies the instance's Secret into the service's namespace in every
   * cluster of the environment (`k2-mw-<instance>`), so its next release can reference
   * it, then records the binding.
   *
   * @throws NotAllowedError when the service is another team's
   * @throws InputError when the service does not run in the instance's environment
   */
  async bind(id: string, ref: CompoundEntityRef, caller: Caller) {
    const instance = await this.#instance(id);
    const serviceRef = stringifyEntityRef(ref);
    return this.#manage(
      instance,
      caller,
      'middleware-bind',
      `Bind ${instance.name} to ${serviceRef}`,
      async () => {
        const resolved = await this.#resolver.service(ref);
        if (ownerOf(resolved) !== instance.owner) {
          throw new NotAllowedError(
            `${resolved.ref} is not owned by ${instance.owner}; an instance is bound only to its own team's services`,
          );
        }
        const target = this.#resolver.target(resolved, instance.environment);
        if (target.identityProblem) {
          throw new InputError(target.identityProblem);
        }
        if (!CHANGEABLE.includes(instance.phase)) {
          throw new ConflictError(
            `${instance.name} is ${instance.phase}; only an active instance is bound`,
          );
        }
        await this.#copySecret(instance, target);
        const bound = await this.#store.addBinding(
          {
            instanceId: id,
            service: lower(resolved.ref),
            createdBy: actorOf(caller.credentials),
          },
          CHANGEABLE,
          {
            type: 'bound',
            actor: actorOf(caller.credentials),
            summary: `Bound to ${resolved.ref}`,
          },
        );
        if (!bound) {
          const bindings = await this.#store.listBindings([id]);
          if (bindings.some(b => b.service === lower(resolved.ref))) {
            throw new ConflictError(
              `${instance.name} is already bound to ${resolved.ref}`,
            );
          }
          throw new ConflictError(
            `${instance.name} changed meanwhile; try again`,
          );
        }
        return {
          view: await this.#view(await this.#instance(id)),
          summary: `Bound ${instance.name} to ${resolved.ref}; its next release in ${instance.environment} gets the connection env vars`,
        };
      },
    );
  }

  /** Removes a binding and the service's copy of the Secret. */
  async unbind(id: string, ref: CompoundEntityRef, caller: Caller) {
    const instance = await this.#instance(id);
    const serviceRef = lower(stringifyEntityRef(ref));
    return this.#manage(
      instance,
      caller,
      'middleware-unbind',
      `Unbind ${instance.name} from ${serviceRef}`,
      async () => {
        const removed = await this.#store.removeBinding(id, serviceRef, {
          type: 'unbound',
          actor: actorOf(caller.credentials),
          summary: `Unbound from ${serviceRef}`,
        });
        if (!removed) {
          throw new NotFoundError(
            `${instance.name} is not bound to ${serviceRef}`,
          );
        }
        const resolved = await this.#resolver
          .service(ref)
          .catch(() => undefined);
        const target = resolved?.spec.targets.find(
          t => t.environment.name === instance.environment,
        );
        if (target) {
          for (const { name: cluster } of target.clusters) {
            await this.#access.delete(cluster, {
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: {
                name: bindingSecretName(instance.name),
                namespace: target.namespace,
              },
            });
          }
        }
        return {
          view: await this.#view(await this.#instance(id)),
          summary: `Unbound ${instance.name} from ${serviceRef}; its next release in ${instance.environment} no longer gets the connection env vars`,
        };
      },
    );
  }

  // --- Internals -----------------------------------------------------------------

  async #browse(caller: Caller) {
    await this.#gate.authorize('the middleware store', caller, {
      permission: k2MiddlewareStoreReadPermission,
      verb: 'browse',
    });
  }

  /** A change by the instance's owners (or admins), through the gate. */
  async #manage(
    instance: StoredInstance,
    caller: Caller,
    eventId: string,
    summary: string,
    action: () => Promise<Changed>,
  ): Promise<K2MiddlewareInstance> {
    const { view } = await this.#gate.audited<Changed>(
      caller,
      eventId,
      { service: instance.service, environment: instance.environment, summary },
      {
        permission: k2MiddlewareManagePermission,
        verb: 'change the middleware of',
      },
      action,
    );
    return view;
  }

  async #decide(
    id: string,
    decision: 'approved' | 'rejected',
    comment: string | undefined,
    caller: Caller,
  ) {
    const instance = await this.#instance(id);
    const verb = decision === 'approved' ? 'approve' : 'reject';
    const { view } = await this.#gate.audited<Changed>(
      caller,
      `middleware-${verb}`,
      {
        service: instance.service,
        environment: instance.environment,
        summary: `${decision === 'approved' ? 'Approve' : 'Reject'} ${
          instance.name
        } in ${instance.environment}`,
      },
      {
        permission: k2MiddlewareApprovePermission,
        verb: `${verb} middleware of`,
        resourceRef: id,
        refusal: `You may not ${verb} ${instance.name}: approvers of ${instance.environment} decide, never its requester`,
      },
      async () => {
        if (instance.phase !== 'awaiting-approval') {
          throw new ConflictError(
            `${instance.name} is ${instance.phase}, not awaiting approval`,
          );
        }
        const actor = actorOf(caller.credentials);
        const now = new Date();
        // The time to live asked for runs from the approval.
        const expiresAt =
          decision === 'approved' && instance.expiresAt
            ? new Date(
                now.getTime() +
                  Date.parse(instance.expiresAt) -
                  Date.parse(instance.createdAt),
              ).toISOString()
            : undefined;
        const decided = await this.#store.transition(id, {
          from: ['awaiting-approval'],
          to: decision === 'approved' ? 'active' : 'rejected',
          patch: {
            approval: {
              ...instance.approval!,
              decision,
              decidedBy: actor,
              decidedAt: now.toISOString(),
              ...(comment ? { comment } : {}),
            },
            ...(expiresAt ? { expiresAt } : {}),
          },
          event: {
            type: decision,
            actor,
            summary: `${decision === 'approved' ? 'Approved' : 'Rejected'}${
              comment ? `: ${comment}` : ''
            }`,
          },
        });
        if (!decided) {
          throw new ConflictError(
            `${instance.name} was decided meanwhile; reload it`,
          );
        }
        const result =
          decision === 'approved' ? await this.#applyNew(decided) : decided;
        return {
          view: await this.#view(result),
          summary: `${decision === 'approved' ? 'Approved' : 'Rejected'} ${
            instance.name
          } in ${instance.environment}`,
        };
      },
    );
    return view;
  }

  /**
   * Puts a new instance in the cluster: its Secret (created once with fresh values),
   * then its objects. A failure marks the instance failed with the cluster's words.
   */
  async #applyNew(instance: StoredInstance): Promise<StoredInstance> {
    const template = this.#templateOf(instance);
    const rendered = this.#render(instance);
    try {
      await this.#ensureNamespace(instance.cluster, instance.namespace);
      if (!(await this.#readSecret(instance))) {
        await this.#access.apply(instance.cluster, {
          ...rendered.secret,
          data: encode(generateSecretData(template)),
        });
      }
      await this.#objects.apply(placeOf(instance), rendered.objects);
      return instance;
    } catch (error) {
      const reason = `applying its objects failed: ${(error as Error).message}`;
      this.#logger.warn(`Middleware instance ${instance.id}: ${reason}`);
      const failed = await this.#store.transition(instance.id, {
        from: ['active'],
        to: 'failed',
        reason,
        event: { type: 'failed', summary: reason },
      });
      return failed ?? instance;
    }
  }

  /** The service's namespace, as a release would create it. */
  async #ensureNamespace(cluster: string, namespace: string) {
    await this.#access.apply(cluster, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
  }

  /** The instance's Secret as the cluster has it, or undefined when absent. */
  async #readSecret(instance: StoredInstance): Promise<KubeObject | undefined> {
    return this.#objects.read(placeOf(instance), 'Secret', instance.secretName);
  }

  /** Copies the instance's Secret data to `k2-mw-<instance>` in every cluster of the target. */
  async #copySecret(instance: StoredInstance, target: K2ServiceTarget) {
    const secret = await this.#readSecret(instance);
    if (!secret) {
      throw new ConflictError(
        `${instance.name} has no Secret ${instance.secretName} in cluster '${instance.cluster}'`,
      );
    }
    for (const { name: cluster } of target.clusters) {
      await this.#ensureNamespace(cluster, target.namespace);
      await this.#access.apply(
        cluster,
        {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'Opaque',
          metadata: {
            name: bindingSecretName(instance.name),
            namespace: target.namespace,
            labels: {
              [LABEL_MIDDLEWARE_INSTANCE]: instance.name,
              [LABEL_ENVIRONMENT]: instance.environment,
              [LABEL_MANAGED_BY]: MANAGED_BY_K2,
            },
          },
          data: { ...secret.data },
        },
        { force: true },
      );
    }
  }

  /**
   * Applies a change read-modify-write on the instance's revision, while it is
   * active; a concurrent change makes it read again (a few times).
   */
  async #change(
    id: string,
    change: (current: StoredInstance) => {
      patch: Parameters<MiddlewareStore['update']>[1]['patch'];
    },
    event: { type: string; summary: string },
    caller: Caller,
  ): Promise<StoredInstance> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.#instance(id);
      if (!CHANGEABLE.includes(current.phase)) {
        throw new ConflictError(
          `${current.name} is ${current.phase}; only an active instance is changed`,
        );
      }
      const updated = await this.#store.update(id, {
        revision: current.revision,
        phases: CHANGEABLE,
        patch: change(current).patch,
        event: { ...event, actor: actorOf(caller.credentials) },
      });
      if (updated) return updated;
    }
    throw new ConflictError('The instance keeps changing; try again');
  }

  async #checkStorageClass(
    cluster: string,
    parameters: Record<string, unknown>,
  ) {
    const name = parameters.storageClass;
    if (typeof name !== 'string') return;
    const classes = await this.#classes.of(cluster);
    if (classes && !classes.some(c => c.name === name)) {
      throw new InputError(
        `parameters.storageClass: cluster '${cluster}' has no StorageClass ${name}; it has ${
          classes.map(c => c.name).join(', ') || 'none'
        }`,
      );
    }
  }

  /** Storage grows only, where the template and the volumes' class allow it. */
  async #checkGrowth(
    instance: StoredInstance,
    template: MiddlewareTemplate,
    size: string,
  ) {
    if (!template.resizable.storage) {
      throw new InputError(
        `Template ${template.name} does not change storage after creation`,
      );
    }
    const current = String(instance.parameters.storageSize ?? '');
    const from = quantityBytes(current);
    const to = quantityBytes(size);
    if (from === undefined || to === undefined || to <= from) {
      throw new InputError(
        `storageSize only grows: ${size} is not more than ${current}`,
      );
    }
    const classes = (await this.#classes.of(instance.cluster)) ?? [];
    const name =
      (instance.parameters.storageClass as string | undefined) ??
      classes.find(c => c.default)?.name;
    const cls = classes.find(c => c.name === name);
    if (!cls?.expandable) {
      throw new InputError(
        `Storage class ${
          name ?? '(the cluster default)'
        } does not allow volume expansion in cluster '${instance.cluster}'`,
      );
    }
  }

  async #growVolumes(instance: StoredInstance, size: string) {
    for (const volume of this.#render(instance).dataVolumes) {
      await this.#access.apply(
        instance.cluster,
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: volume, namespace: instance.namespace },
          spec: { resources: { requests: { storage: size } } },
        },
        { force: true },
      );
    }
  }

  #ttl(
    environment: string,
    policy: MiddlewareEnvironmentPolicy,
    asked: number | undefined,
  ): number | undefined {
    if (policy.ttlDays === undefined) {
      if (asked !== undefined) {
        throw new InputError(
          `Instances in ${environment} do not expire; leave ttlDays out`,
        );
      }
      return undefined;
    }
    const days = asked ?? policy.ttlDays;
    if (days > policy.maxTtlDays!) {
      throw new InputError(
        `ttlDays ${days} passes the cap of ${policy.maxTtlDays} days in ${environment}`,
      );
    }
    return days;
  }

  #policy(environment: string): MiddlewareEnvironmentPolicy {
    const policy = this.#config.environments.get(environment);
    if (!policy) {
      throw new InputError(`'${environment}' is not an environment of K2`);
    }
    return policy;
  }

  #template(name: string): MiddlewareTemplate {
    const template = this.#templates.get(name);
    if (!template) {
      throw new NotFoundError(`The store has no template ${name}`);
    }
    return template;
  }

  #templateOf(instance: StoredInstance): MiddlewareTemplate {
    const template = this.#templates.get(instance.template);
    if (!template) {
      throw new ConflictError(
        `Template ${instance.template} of ${instance.name} is no longer in the store`,
      );
    }
    return template;
  }

  #render(instance: StoredInstance): RenderedInstance {
    return renderInstance(
      this.#templateOf(instance),
      {
        id: instance.id,
        name: instance.name,
        namespace: instance.namespace,
        environment: instance.environment,
        service: instance.service,
        owner: instance.owner,
      },
      instance.parameters,
    );
  }

  async #instance(id: string): Promise<StoredInstance> {
    const instance = await this.#store.getInstance(id);
    if (!instance) throw new NotFoundError(`No middleware instance ${id}`);
    return instance;
  }

  async #views(rows: StoredInstance[]): Promise<K2MiddlewareInstance[]> {
    const ids = rows.map(r => r.id);
    const [bindings, backups] = await Promise.all([
      this.#store.listBindings(ids),
      this.#store.listBackups(ids),
    ]);
    const boundTo = new Map<string, string[]>();
    for (const b of bindings) {
      boundTo.set(b.instanceId, [
        ...(boundTo.get(b.instanceId) ?? []),
        b.service,
      ]);
    }
    const backupOf = new Map(backups.map(b => [b.instanceId, b]));
    return rows.map(row =>
      this.#viewOf(row, boundTo.get(row.id) ?? [], backupOf.get(row.id)),
    );
  }

  async #view(
    instance: StoredInstance,
    options: { events?: boolean } = {},
  ): Promise<K2MiddlewareInstance> {
    const [[view], events] = await Promise.all([
      this.#views([instance]),
      options.events ? this.#store.listEvents(instance.id) : undefined,
    ]);
    return { ...view, ...(events ? { events } : {}) };
  }

  /** The API's view: the stored facts, the live state, never a secret value. */
  #viewOf(
    instance: StoredInstance,
    bindings: string[],
    backup: InstanceBackup | undefined,
  ): K2MiddlewareInstance {
    let state: K2MiddlewareInstanceState;
    let stateReason = instance.phaseReason;
    let replicas: { desired: number; ready: number } | undefined;
    if (instance.phase === 'active') {
      const live = this.#live(instance);
      state = live.state;
      stateReason = live.reason;
      replicas = live.replicas;
    } else {
      state = instance.phase;
    }
    const policy = this.#config.environments.get(instance.environment);
    const expiring =
      instance.phase === 'active' &&
      instance.expiresAt !== undefined &&
      (instance.remindedAt !== undefined ||
        Date.parse(instance.expiresAt) - Date.now() <=
          (policy?.reminderDays ?? 0) * DAY_MS);
    return {
      id: instance.id,
      name: instance.name,
      service: instance.service,
      owner: instance.owner,
      environment: instance.environment,
      cluster: instance.cluster,
      namespace: instance.namespace,
      template: instance.template,
      product: instance.product,
      version: instance.version,
      category: instance.category,
      parameters: instance.parameters,
      state,
      ...(stateReason ? { stateReason } : {}),
      ...(instance.expiresAt ? { expiresAt: instance.expiresAt } : {}),
      expiring,
      renewals: instance.renewals,
      ...(replicas ? { replicas } : {}),
      secretName: instance.secretName,
      createdBy: instance.createdBy,
      createdAt: instance.createdAt,
      updatedAt: instance.updatedAt,
      ...(instance.approval ? { approval: instance.approval } : {}),
      bindings,
      ...(backup
        ? {
            backup: {
              savedAt: backup.savedAt,
              reason: backup.reason,
              restorableUntil: backup.restorableUntil,
              volumes: backup.volumes,
              ...(backup.dump ? { dump: backup.dump } : {}),
            },
          }
        : {}),
      entityRef: instanceEntityRef(instance),
    };
  }

  #live(instance: StoredInstance) {
    try {
      return liveState(
        this.#access.cache(instance.cluster),
        instance.namespace,
        instance.name,
      );
    } catch {
      return {
        state: 'creating' as const,
        reason: `cluster '${instance.cluster}' is not known to K2`,
        replicas: undefined,
      };
    }
  }
}

function placeOf(instance: StoredInstance) {
  return { cluster: instance.cluster, namespace: instance.namespace };
}

function templateSummary(
  template: MiddlewareTemplate,
): K2MiddlewareTemplateSummary {
  return {
    name: template.name,
    product: template.product,
    version: template.version,
    title: template.title,
    description: template.description,
    category: template.category,
    creates: [...template.creates],
    upgradesTo: [...template.upgradesTo],
    backup: template.backup,
    i18n: Object.fromEntries(
      Object.entries(template.i18n).map(([language, text]) => [
        language,
        {
          ...(text.title ? { title: text.title } : {}),
          ...(text.description ? { description: text.description } : {}),
        },
      ]),
    ),
  };
}
