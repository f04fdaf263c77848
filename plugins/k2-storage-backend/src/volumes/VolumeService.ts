import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ANNOTATION_ENTITY_REF,
  K2ServiceTarget,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  LABEL_VOLUME,
  MANAGED_BY_K2,
  k2VolumeManagePermission,
  k2VolumeReadPermission,
  parseQuantity,
} from '@internal/plugin-k2-common';
import {
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2EnvironmentRegistry,
  K2ResolvedService,
  K2ServiceResolver,
  KubeApiError,
  KubeObject,
} from '@internal/plugin-k2-node';
import type {
  K2StorageClassList,
  K2StorageVolume,
  K2StorageVolumeCluster,
  K2StorageVolumeInput,
  K2StorageVolumeList,
  K2StorageVolumeResourceList,
} from '@internal/plugin-k2-storage-common';
import { StorageConfig } from '../config/readStorageConfig';
import { AvailableClass, StorageClasses } from './StorageClasses';
import { K2DeployMountUse, MountSource } from './DeployMounts';
import { VolumeUsage } from './VolumeUsage';

/** The PVC of a volume: `<kubernetes-id>-<volume>`, in every cluster of the environment. */
export function claimName(kubernetesId: string, volume: string) {
  return `${kubernetesId}-${volume}`;
}

/** The shape of a Kubernetes quantity, whatever its magnitude. */
const QUANTITY = /^[+-]?(\d+\.?\d*|\.\d+)([KMGTPE]i|[mkMGTPE]|[eE][+-]?\d+)?$/;

/** Whether a PVC is one K2 made for the service as a volume. */
function isVolume(pvc: KubeObject, kubernetesId: string): boolean {
  const volume = pvc.metadata.labels?.[LABEL_VOLUME];
  return (
    !!volume &&
    pvc.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_K2 &&
    pvc.metadata.name === claimName(kubernetesId, volume)
  );
}

/** Newest first, by the time an event last happened. */
function latest(events: KubeObject[]): KubeObject | undefined {
  return [...events].sort((a, b) =>
    String(b.lastTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? '')),
  )[0];
}

/**
 * Whether a PVC found in a cluster is the one a create would write: the same service's
 * volume (labels and entity ref), class, access mode and requested size.
 */
function sameClaim(existing: KubeObject, claim: KubeObject): boolean {
  const labels = existing.metadata?.labels ?? {};
  return (
    Object.entries(claim.metadata?.labels ?? {}).every(
      ([key, value]) => labels[key] === value,
    ) &&
    existing.metadata?.annotations?.[ANNOTATION_ENTITY_REF] ===
      claim.metadata?.annotations?.[ANNOTATION_ENTITY_REF] &&
    existing.spec?.storageClassName === claim.spec?.storageClassName &&
    JSON.stringify(existing.spec?.accessModes) ===
      JSON.stringify(claim.spec?.accessModes) &&
    existing.spec?.resources?.requests?.storage ===
      claim.spec?.resources?.requests?.storage
  );
}

/**
 * A service's volumes per environment. The clusters are the only record: a volume is
 * the set of PVCs `<kubernetes-id>-<volume>` labelled `k2.io/volume=<volume>` in the
 * service's namespace of the environment's clusters, read from the watch caches. Every
 * change goes through the action gate (`k2.volume.manage`, audited, in the activity
 * log) and is applied to every cluster of the environment with server-side apply.
 */
export class VolumeService {
  readonly #resolver: K2ServiceResolver;
  readonly #access: K2ClusterAccess;
  readonly #gate: K2ActionGate;
  readonly #environments: K2EnvironmentRegistry;
  readonly #config: StorageConfig;
  readonly #classes: StorageClasses;
  readonly #usage: VolumeUsage;
  readonly #mounts: MountSource;

  constructor(options: {
    resolver: K2ServiceResolver;
    access: K2ClusterAccess;
    gate: K2ActionGate;
    environments: K2EnvironmentRegistry;
    config: StorageConfig;
    classes: StorageClasses;
    usage: VolumeUsage;
    mounts: MountSource;
  }) {
    this.#resolver = options.resolver;
    this.#access = options.access;
    this.#gate = options.gate;
    this.#environments = options.environments;
    this.#config = options.config;
    this.#classes = options.classes;
    this.#usage = options.usage;
    this.#mounts = options.mounts;
  }

  /** The classes the environment offers the service, with the size limits. */
  async storageClasses(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<K2StorageClassList> {
    const { target } = await this.#read(ref, environment, caller);
    const clusters = target.clusters.map(c => c.name);
    const { items, missing } = await this.#classes.forEnvironment(
      environment,
      clusters,
    );
    return {
      items,
      missing,
      clusters,
      minSize: this.#config.minSize,
      maxSize: this.#config.maxSize,
    };
  }

  /** The service's volumes in the environment, per cluster, with what mounts them. */
  async list(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<K2StorageVolumeList> {
    const { service, target } = await this.#read(ref, environment, caller);
    const mounts = await this.#mounts.mounts(ref);
    const names = new Set<string>();
    for (const { name } of target.clusters) {
      for (const pvc of this.#claims(service, target, name)) {
        names.add(pvc.metadata.labels![LABEL_VOLUME]);
      }
    }
    const items = await Promise.all(
      [...names]
        .sort()
        .map(volume => this.#view(service, target, volume, mounts)),
    );
    return {
      items,
      clusters: target.clusters.map(c => c.name),
      ...(mounts === undefined ? { mountsUnknown: true } : {}),
    };
  }

  /**
   * Creates the volume's PVC in every cluster of the environment; asked again after a
   * cluster failed midway, creates it in the clusters that lack it.
   *
   * @throws InputError for a class the environment does not offer, an access mode the
   * class does not support, or a size that is not a quantity or is outside the limits
   * @throws ConflictError when the volume exists in every cluster, or something other
   * than this volume holds its PVC's name in one
   */
  async create(
    ref: CompoundEntityRef,
    environment: string,
    input: K2StorageVolumeInput,
    caller: Caller,
  ): Promise<K2StorageVolume> {
    const serviceRef = stringifyEntityRef(ref);
    return this.#gate.audited(
      caller,
      'volume-create',
      {
        service: serviceRef,
        environment,
        summary: `Create volume ${input.name} (${input.size}, ${input.storageClass}) in ${environment}`,
      },
      { permission: k2VolumeManagePermission, verb: 'create volumes of' },
      async () => {
        const service = await this.#resolver.service(ref);
        const target = this.#resolver.actionTarget(service, environment);
        const cls = await this.#offered(target, input.storageClass);
        if (!cls.accessModes.includes(input.accessMode)) {
          throw new InputError(
            `A ${cls.label} volume cannot be ${
              input.accessMode
            }; its access modes: ${cls.accessModes.join(', ')}`,
          );
        }
        this.#checkSize(input.size, environment);
        const name = claimName(service.spec.kubernetesId, input.name);
        const claim = this.#claim(service, target, input.name, {
          storageClass: cls.name,
          accessMode: input.accessMode,
          size: input.size,
        });
        // A create that a failing cluster interrupted left the volume in the clusters
        // before it: the same create again completes it in the others. Anything else
        // under the PVC's name is refused, never overwritten.
        const missing: string[] = [];
        for (const { name: cluster } of target.clusters) {
          const existing = await this.#existing(
            cluster,
            target.namespace,
            name,
          );
          if (!existing) {
            missing.push(cluster);
          } else if (!sameClaim(existing, claim)) {
            throw new ConflictError(
              `Volume '${input.name}' already exists in ${environment} (PVC ${target.namespace}/${name} in cluster '${cluster}')`,
            );
          }
        }
        if (missing.length === 0) {
          throw new ConflictError(
            `Volume '${input.name}' already exists in ${environment} (PVC ${target.namespace}/${name} in every cluster)`,
          );
        }
        for (const cluster of missing) {
          await this.#access.apply(cluster, {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: target.namespace },
          });
          await this.#access.apply(cluster, claim);
        }
        return this.#created(service, target, input, missing);
      },
    );
  }

  /**
   * Asks every cluster for a larger volume; the clusters grow it in the background.
   *
   * @throws NotFoundError when the service has no such volume in the environment
   * @throws ConflictError when the volume's class does not allow expansion
   * @throws InputError when the size is not larger than the volume's, or outside the limits
   */
  async expand(
    ref: CompoundEntityRef,
    environment: string,
    volume: string,
    size: string,
    caller: Caller,
  ): Promise<K2StorageVolume> {
    return this.#gate.audited(
      caller,
      'volume-expand',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Expand volume ${volume} to ${size} in ${environment}`,
      },
      { permission: k2VolumeManagePermission, verb: 'expand volumes of' },
      async () => {
        const service = await this.#resolver.service(ref);
        const target = this.#resolver.actionTarget(service, environment);
        const claims = this.#volumeClaims(service, target, volume);
        const first = claims[0].pvc;
        const className = first.spec?.storageClassName ?? '';
        const { items } = await this.#classes.forEnvironment(
          environment,
          target.clusters.map(c => c.name),
        );
        const cls = items.find(c => c.name === className);
        if (!cls?.allowExpansion) {
          throw new ConflictError(
            `Volume '${volume}' cannot be expanded: its storage class '${className}'${
              cls ? ` (${cls.label})` : ''
            } does not allow volume expansion`,
          );
        }
        const bytes = this.#checkSize(size, environment);
        const requested = claims.map(
          c =>
            parseQuantity(c.pvc.spec?.resources?.requests?.storage ?? '0') ?? 0,
        );
        // An expand a failing cluster interrupted left the clusters before it larger:
        // the same size again grows the others; nothing ever shrinks.
        if (bytes < Math.max(...requested) || bytes <= Math.min(...requested)) {
          throw new InputError(
            `${size} is not larger than volume '${volume}' (${first.spec?.resources?.requests?.storage}); a volume only grows`,
          );
        }
        for (const [i, { cluster, pvc }] of claims.entries()) {
          if (requested[i] >= bytes) continue;
          await this.#access.apply(
            cluster,
            this.#claim(service, target, volume, {
              storageClass: className,
              accessMode: pvc.spec?.accessModes?.[0],
              size,
            }),
          );
        }
        return {
          ...(await this.#view(service, target, volume, [])),
          size,
          summary: `Expanded volume ${volume} from ${
            claims[requested.indexOf(Math.min(...requested))].pvc.spec
              ?.resources?.requests?.storage
          } to ${size} in ${environment}`,
        };
      },
    );
  }

  /**
   * Deletes the volume's PVC in every cluster of the environment.
   *
   * @throws NotFoundError when the service has no such volume in the environment
   * @throws ConflictError naming the release while a current, retained or waiting
   * release of the environment mounts it
   * @throws ServiceUnavailableError when Deploy cannot say which releases mount it
   */
  async delete(
    ref: CompoundEntityRef,
    environment: string,
    volume: string,
    caller: Caller,
  ): Promise<void> {
    await this.#gate.audited(
      caller,
      'volume-delete',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Delete volume ${volume} in ${environment}`,
      },
      { permission: k2VolumeManagePermission, verb: 'delete volumes of' },
      async () => {
        const service = await this.#resolver.service(ref);
        const target = this.#resolver.actionTarget(service, environment);
        const claims = this.#volumeClaims(service, target, volume);
        const mounts = await this.#mounts.mounts(ref);
        if (mounts === undefined) {
          throw new ServiceUnavailableError(
            `Volume '${volume}' was not deleted: Deploy could not say whether a release mounts it; try again in a moment`,
          );
        }
        const use = this.#mountedBy(mounts, environment, volume)[0];
        if (use) {
          throw new ConflictError(
            `Volume '${volume}' is mounted by release #${
              use.number
            } in ${environment}${
              use.current ? '' : ' (kept for rollback)'
            }; release without it first`,
          );
        }
        for (const { cluster, pvc } of claims) {
          await this.#access.delete(cluster, pvc);
        }
        return {
          summary: `Deleted volume ${volume} in ${environment}: PVC ${
            claims[0].pvc.metadata.name
          } in ${claims.map(c => c.cluster).join(', ')}`,
        };
      },
    );
  }

  /**
   * Every volume K2 made, in every environment, for the catalog's volume resources.
   *
   * @throws NotAllowedError for anyone but another plugin: people read volumes per
   * service, where the permission is decided for that service
   */
  async all(caller: Caller): Promise<K2StorageVolumeResourceList> {
    if (
      (caller.credentials.principal as { type?: string }).type !== 'service'
    ) {
      throw new NotAllowedError(
        'Only plugins list every volume; read them per service',
      );
    }
    const items: K2StorageVolumeResourceList['items'] = [];
    const seen = new Set<string>();
    for (const environment of this.#environments.listEnvironments()) {
      for (const { name: cluster } of environment.clusters) {
        const pvcs = this.#access
          .cache(cluster)
          .store('persistentvolumeclaims')
          .list()
          .filter(
            p =>
              p.metadata.labels?.[LABEL_ENVIRONMENT] === environment.name &&
              p.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_K2 &&
              p.metadata.labels?.[LABEL_VOLUME] &&
              p.metadata.annotations?.[ANNOTATION_ENTITY_REF],
          );
        for (const pvc of pvcs) {
          const service = pvc.metadata.annotations![ANNOTATION_ENTITY_REF];
          const name = pvc.metadata.labels![LABEL_VOLUME];
          const key = `${service}/${environment.name}/${name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          items.push({
            service,
            environment: environment.name,
            name,
            storageClass: pvc.spec?.storageClassName ?? '',
            size: pvc.spec?.resources?.requests?.storage ?? '',
          });
        }
      }
    }
    return { items };
  }

  async #read(ref: CompoundEntityRef, environment: string, caller: Caller) {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, {
      permission: k2VolumeReadPermission,
      verb: 'read the volumes of',
    });
    return { service, target: this.#resolver.target(service, environment) };
  }

  #claims(
    service: K2ResolvedService,
    target: K2ServiceTarget,
    cluster: string,
  ): KubeObject[] {
    return this.#resolver
      .objects(service, target, cluster, 'persistentvolumeclaims')
      .filter(p => isVolume(p, service.spec.kubernetesId));
  }

  /** @throws NotFoundError when no cluster of the environment has the volume */
  #volumeClaims(
    service: K2ResolvedService,
    target: K2ServiceTarget,
    volume: string,
  ): { cluster: string; pvc: KubeObject }[] {
    const name = claimName(service.spec.kubernetesId, volume);
    const claims = target.clusters.flatMap(({ name: cluster }) =>
      this.#claims(service, target, cluster)
        .filter(p => p.metadata.name === name)
        .map(pvc => ({ cluster, pvc })),
    );
    if (claims.length === 0) {
      throw new NotFoundError(
        `${service.ref} has no volume '${volume}' in ${target.environment.name}`,
      );
    }
    return claims;
  }

  /** @throws InputError naming the offered classes when `name` is not one of them */
  async #offered(
    target: K2ServiceTarget,
    name: string,
  ): Promise<AvailableClass> {
    const environment = target.environment.name;
    const { items, missing } = await this.#classes.forEnvironment(
      environment,
      target.clusters.map(c => c.name),
    );
    const cls = items.find(c => c.name === name);
    if (cls) return cls;
    const gap = missing.find(m => m.name === name);
    const offered = items.map(c => `${c.name} (${c.label})`).join(', ');
    throw new InputError(
      gap
        ? `Storage class '${name}' is missing in cluster ${gap.clusters.join(
            ', ',
          )} of ${environment}`
        : `Storage class '${name}' is not offered in ${environment}; offered: ${
            offered || 'none (k2.storage.environments)'
          }`,
    );
  }

  /**
   * The size in bytes.
   *
   * @throws InputError when it is not a quantity or is outside the limits
   */
  #checkSize(size: string, environment: string): number {
    const bytes = parseQuantity(size);
    // A quantity too large to parse (`10Ei` and beyond) is a size, only far too big.
    const huge = bytes === undefined && QUANTITY.test(size);
    if (!huge && (bytes === undefined || !Number.isFinite(bytes))) {
      throw new InputError(
        `'${size}' is not a size; write a quantity of bytes such as 5Gi`,
      );
    }
    if (
      huge ||
      bytes === undefined ||
      bytes < this.#config.minBytes ||
      bytes > this.#config.maxBytes
    ) {
      throw new InputError(
        `${size} is outside the sizes a volume may have in ${environment}: ${
          this.#config.minSize
        } to ${this.#config.maxSize}`,
      );
    }
    return bytes;
  }

  async #existing(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<KubeObject | undefined> {
    try {
      return await this.#access.get(
        cluster,
        `/api/v1/namespaces/${encodeURIComponent(
          namespace,
        )}/persistentvolumeclaims/${encodeURIComponent(name)}`,
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404)
        return undefined;
      throw error;
    }
  }

  #claim(
    service: K2ResolvedService,
    target: K2ServiceTarget,
    volume: string,
    spec: { storageClass: string; accessMode: string; size: string },
  ): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(service.spec.kubernetesId, volume),
        namespace: target.namespace,
        labels: {
          [LABEL_SERVICE]: service.spec.kubernetesId,
          [LABEL_ENVIRONMENT]: target.environment.name,
          [LABEL_MANAGED_BY]: MANAGED_BY_K2,
          [LABEL_VOLUME]: volume,
        },
        annotations: { [ANNOTATION_ENTITY_REF]: service.ref },
      },
      spec: {
        storageClassName: spec.storageClass,
        accessModes: [spec.accessMode],
        resources: { requests: { storage: spec.size } },
      },
    };
  }

  /** What a create answers before the caches have the new PVCs: Pending everywhere. */
  #created(
    service: K2ResolvedService,
    target: K2ServiceTarget,
    input: K2StorageVolumeInput,
    createdIn: string[],
  ): K2StorageVolume & { summary: string } {
    const already = target.clusters
      .map(c => c.name)
      .filter(c => !createdIn.includes(c));
    return {
      name: input.name,
      pvc: claimName(service.spec.kubernetesId, input.name),
      storageClass: input.storageClass,
      accessMode: input.accessMode,
      size: input.size,
      clusters: target.clusters.map(c => ({
        cluster: c.name,
        phase: 'Pending',
        expanding: false,
      })),
      mountedBy: [],
      summary: `Created volume ${input.name} (${input.size}, ${
        input.storageClass
      }) in ${target.environment.name}: PVC ${claimName(
        service.spec.kubernetesId,
        input.name,
      )} in ${createdIn.join(', ')}${
        already.length ? ` (already in ${already.join(', ')})` : ''
      }`,
    };
  }

  #mountedBy(
    mounts: K2DeployMountUse[] | undefined,
    environment: string,
    volume: string,
  ) {
    const use = (mounts ?? []).find(
      m =>
        m.kind === 'volume' &&
        m.environment === environment &&
        m.name === volume,
    );
    return use?.releases ?? [];
  }

  async #view(
    service: K2ResolvedService,
    target: K2ServiceTarget,
    volume: string,
    mounts: K2DeployMountUse[] | undefined,
  ): Promise<K2StorageVolume> {
    const name = claimName(service.spec.kubernetesId, volume);
    let first: KubeObject | undefined;
    const clusters = await Promise.all(
      target.clusters.map(async ({ name: cluster }) => {
        const pvc = this.#claims(service, target, cluster).find(
          p => p.metadata.name === name,
        );
        if (!pvc) {
          return { cluster, phase: 'Missing', expanding: false } as const;
        }
        first = first ?? pvc;
        return this.#clusterView(service, target, cluster, pvc);
      }),
    );
    return {
      name: volume,
      pvc: name,
      storageClass: first?.spec?.storageClassName ?? '',
      accessMode: first?.spec?.accessModes?.[0] ?? 'ReadWriteOnce',
      size: first?.spec?.resources?.requests?.storage ?? '',
      createdAt: first?.metadata.creationTimestamp,
      clusters,
      mountedBy: this.#mountedBy(mounts, target.environment.name, volume),
    };
  }

  async #clusterView(
    service: K2ResolvedService,
    target: K2ServiceTarget,
    cluster: string,
    pvc: KubeObject,
  ): Promise<K2StorageVolumeCluster> {
    const requested = pvc.spec?.resources?.requests?.storage;
    const capacity: string | undefined = pvc.status?.capacity?.storage;
    const capacityBytes =
      capacity !== undefined ? parseQuantity(capacity) : undefined;
    const phase = pvc.metadata.deletionTimestamp
      ? 'Terminating'
      : (pvc.status?.phase as K2StorageVolumeCluster['phase']) ?? 'Pending';
    const expanding =
      phase === 'Bound' &&
      capacityBytes !== undefined &&
      (parseQuantity(requested ?? '0') ?? 0) > capacityBytes;
    let reason: string | undefined;
    if (phase === 'Pending') {
      const events = this.#access
        .cache(cluster)
        .eventsFor(
          'PersistentVolumeClaim',
          target.namespace,
          pvc.metadata.name,
        );
      const warning = latest(events.filter(e => e.type === 'Warning'));
      reason = warning
        ? `${warning.reason}: ${warning.message}`
        : 'Waiting for the volume to be provisioned';
    } else if (expanding) {
      const condition = (pvc.status?.conditions ?? [])[0];
      reason = condition
        ? `${condition.type}${
            condition.message ? `: ${condition.message}` : ''
          }`
        : `Waiting for the cluster to grow it to ${requested}`;
    }
    const usedBytes =
      phase === 'Bound'
        ? await this.#used(service, target, cluster, pvc)
        : undefined;
    return {
      cluster,
      phase,
      ...(reason ? { reason } : {}),
      ...(capacity ? { capacity } : {}),
      ...(capacityBytes !== undefined ? { capacityBytes } : {}),
      ...(usedBytes !== undefined ? { usedBytes } : {}),
      expanding,
    };
  }

  /** From the kubelet of a node where a running pod of the service mounts the claim. */
  async #used(
    service: K2ResolvedService,
    target: K2ServiceTarget,
    cluster: string,
    pvc: KubeObject,
  ): Promise<number | undefined> {
    const nodes = new Set<string>();
    for (const pod of this.#resolver.objects(
      service,
      target,
      cluster,
      'pods',
    )) {
      if (pod.status?.phase !== 'Running' || !pod.spec?.nodeName) continue;
      const mounts = (pod.spec?.volumes ?? []).some(
        (v: any) => v.persistentVolumeClaim?.claimName === pvc.metadata.name,
      );
      if (mounts) nodes.add(pod.spec.nodeName);
    }
    for (const node of nodes) {
      const used = await this.#usage.usedBytes(
        cluster,
        node,
        target.namespace,
        pvc.metadata.name,
      );
      if (used !== undefined) return used;
    }
    return undefined;
  }
}
