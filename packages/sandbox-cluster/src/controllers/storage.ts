import { Registry } from '../api/registry';
import { StoreEvent } from '../api/store';
import { quantity } from '../api/defaults';
import { KubeObject } from '../api/types';
import { EventRecorder, Timers, WorkQueue, nsKey, splitKey } from './runtime';

/* eslint-disable no-param-reassign */

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

const ALL_MODES = [
  'ReadWriteOnce',
  'ReadOnlyMany',
  'ReadWriteMany',
  'ReadWriteOncePod',
];

/**
 * What each provisioner's CSI driver supports for a filesystem volume: its access
 * modes, and whether growing a volume needs the node (NodeExpandVolume on the node that
 * mounts it) after the controller has grown it. NFS and CephFS grow on the server alone;
 * an RBD block device needs its filesystem grown where it is mounted.
 */
const DRIVERS: Record<
  string,
  { accessModes: string[]; nodeExpansion: boolean }
> = {
  'rbd.csi.ceph.com': {
    accessModes: ['ReadWriteOnce', 'ReadWriteOncePod'],
    nodeExpansion: true,
  },
};

/** The controller side of an expansion (external-resizer to CSI ControllerExpandVolume), ms. */
const CONTROLLER_RESIZE_MS = 2000;
/** The kubelet's NodeExpandVolume once a running pod mounts the volume, ms. */
const NODE_RESIZE_MS = 1000;

function condition(type: string, message = '') {
  return {
    type,
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(message ? { message } : {}),
  };
}

/**
 * Dynamic provisioning: a PVC naming an existing StorageClass (or none, with a default
 * class) gets a PersistentVolume and is Bound; an unknown class, or an access mode the
 * class's driver does not support, leaves it Pending with a ProvisioningFailed event.
 *
 * Growing a bound claim (admitted only where the class allows volume expansion, see
 * `Registry.admitClaimResize`) runs as online expansion does with a CSI driver: the
 * claim has the `Resizing` condition while the controller grows the volume (a
 * `Resizing` event, then `VolumeResizeSuccessful` once the PersistentVolume has the new
 * size). A driver that grows on the server alone (NFS, CephFS) is then done: the
 * claim's `status.capacity` becomes the new size. A block driver (RBD) needs the node:
 * the claim has `FileSystemResizePending` until a running pod mounts it, then the
 * kubelet grows the filesystem (`FileSystemResizeSuccessful`) and only then is the
 * capacity updated. `status.capacity` never shows a size the volume does not have yet.
 */
export class StorageController {
  private readonly queue: WorkQueue;
  private readonly pvcs;
  private readonly pvs;
  private readonly classes;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly timers: Timers,
    private readonly timeScale: number,
  ) {
    this.pvcs = registry.typeOf('', 'persistentvolumeclaims');
    this.pvs = registry.typeOf('', 'persistentvolumes');
    this.classes = registry.typeOf('storage.k8s.io', 'storageclasses');
    this.queue = new WorkQueue(key => this.sync(key));
  }

  stop() {
    this.queue.stop();
  }

  onEvent(event: StoreEvent) {
    if (
      event.resource.resource === 'pods' &&
      event.resource.group === '' &&
      event.type === 'DELETED'
    ) {
      for (const volume of event.object.spec?.volumes ?? []) {
        const claim = volume.persistentVolumeClaim?.claimName;
        if (claim)
          this.queue.add(nsKey(event.object.metadata.namespace, claim));
      }
      return;
    }
    if (
      event.resource.resource === 'pods' &&
      event.resource.group === '' &&
      event.object.status?.phase === 'Running' &&
      event.previous?.status?.phase !== 'Running'
    ) {
      // A pod that starts running may finish a pending filesystem resize.
      for (const volume of event.object.spec?.volumes ?? []) {
        const claim = volume.persistentVolumeClaim?.claimName;
        if (claim)
          this.queue.add(nsKey(event.object.metadata.namespace, claim));
      }
      return;
    }
    if (event.resource === this.pvcs && event.type !== 'DELETED') {
      this.queue.add(
        nsKey(event.object.metadata.namespace, event.object.metadata.name),
      );
    } else if (event.resource === this.pvcs && event.type === 'DELETED') {
      const volume = event.object.spec?.volumeName;
      const pv = volume && this.registry.find(this.pvs, undefined, volume);
      if (pv && pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
        this.registry.store.remove(this.pvs, undefined, volume);
      }
    } else if (event.resource === this.classes) {
      for (const pvc of this.registry.store.list(this.pvcs)) {
        if (pvc.status?.phase === 'Pending')
          this.queue.add(nsKey(pvc.metadata.namespace, pvc.metadata.name));
      }
    }
  }

  private sync(key: string) {
    const [ns, name] = splitKey(key);
    const pvc = this.registry.find(this.pvcs, ns, name);
    if (!pvc) return;
    if (pvc.metadata.deletionTimestamp) {
      // pvc-protection: the claim goes once no pod uses it.
      const inUse = this.registry.store
        .list(this.registry.typeOf('', 'pods'), ns)
        .some(p =>
          (p.spec?.volumes ?? []).some(
            (v: any) => v.persistentVolumeClaim?.claimName === name,
          ),
        );
      if (!inUse) {
        this.registry.mutate(this.pvcs, ns, name, o => {
          o.metadata.finalizers = (o.metadata.finalizers ?? []).filter(
            f => f !== 'kubernetes.io/pvc-protection',
          );
        });
      }
      return;
    }
    const requested = pvc.spec?.resources?.requests?.storage;
    if (pvc.status?.phase === 'Bound') {
      this.expand(pvc);
      return;
    }
    let className: string | undefined = pvc.spec?.storageClassName;
    if (className === undefined) {
      const def = this.registry.store
        .list(this.classes)
        .find(c => c.metadata.annotations?.[DEFAULT_CLASS] === 'true');
      if (def) {
        className = def.metadata.name;
        this.registry.mutate(this.pvcs, ns, name, o => {
          o.spec.storageClassName = className;
        });
        return;
      }
    }
    const cls = className
      ? this.registry.find(this.classes, undefined, className)
      : undefined;
    if (!cls) {
      this.events.record(
        pvc,
        'Warning',
        'ProvisioningFailed',
        className
          ? `storageclass.storage.k8s.io "${className}" not found`
          : 'no persistent volumes available for this claim and no storage class is set',
        'persistentvolume-controller',
      );
      return;
    }
    const driver = DRIVERS[cls.provisioner];
    const unsupported = (pvc.spec.accessModes ?? []).filter(
      (mode: string) => !(driver?.accessModes ?? ALL_MODES).includes(mode),
    );
    if (unsupported.length > 0) {
      this.events.record(
        pvc,
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${className}": rpc error: code = InvalidArgument desc = access mode ${unsupported.join(
          ', ',
        )} is not supported: multi-node access modes are only supported on rbd block-mode volumes`,
        `${cls.provisioner}_sandbox`,
      );
      return;
    }
    const volume = `pvc-${pvc.metadata.uid}`;
    if (!this.registry.find(this.pvs, undefined, volume)) {
      this.registry.create(this.pvs, undefined, {
        metadata: {
          name: volume,
          annotations: { 'pv.kubernetes.io/provisioned-by': cls.provisioner },
        },
        spec: {
          capacity: { storage: requested },
          accessModes: pvc.spec.accessModes,
          persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
          storageClassName: className,
          volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
          claimRef: {
            kind: 'PersistentVolumeClaim',
            namespace: ns,
            name,
            uid: pvc.metadata.uid,
            apiVersion: 'v1',
          },
          csi: { driver: cls.provisioner, volumeHandle: volume },
        },
      });
      this.registry.mutate(
        this.pvs,
        undefined,
        volume,
        o => {
          o.status = { phase: 'Bound' };
        },
        { status: true },
      );
    }
    this.events.record(
      pvc,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${volume}`,
      `${cls.provisioner}_sandbox`,
    );
    this.registry.mutate(this.pvcs, ns, name, o => {
      o.spec.volumeName = volume;
      o.metadata.annotations = {
        ...o.metadata.annotations,
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
        'volume.kubernetes.io/storage-provisioner': cls.provisioner,
      };
      o.metadata.finalizers = ['kubernetes.io/pvc-protection'];
    });
    this.registry.mutate(
      this.pvcs,
      ns,
      name,
      o => {
        o.status = {
          phase: 'Bound',
          accessModes: o.spec.accessModes,
          capacity: { storage: requested },
        };
      },
      { status: true },
    );
  }

  /** Moves a bound claim's expansion one step on (see the class comment). */
  private expand(pvc: KubeObject) {
    const ns = pvc.metadata.namespace;
    const name = pvc.metadata.name;
    const requested = pvc.spec?.resources?.requests?.storage;
    const capacity = pvc.status?.capacity?.storage;
    if (!requested || !capacity || quantity(requested) <= quantity(capacity))
      return;
    const cls = this.registry.find(
      this.classes,
      undefined,
      pvc.spec.storageClassName ?? '',
    );
    if (!cls?.allowVolumeExpansion) return;
    const conditions: any[] = pvc.status?.conditions ?? [];
    const pv = this.registry.find(this.pvs, undefined, pvc.spec.volumeName);
    if (!pv) return;
    const key = nsKey(ns, name);
    if (quantity(pv.spec?.capacity?.storage) < quantity(requested)) {
      if (conditions.some(c => c.type === 'Resizing')) return;
      this.setConditions(ns, name, [condition('Resizing')]);
      this.events.record(
        pvc,
        'Normal',
        'Resizing',
        `External resizer is resizing volume ${pv.metadata.name}`,
        `external-resizer ${cls.provisioner}`,
      );
      this.timers.once(
        `resize:${key}`,
        CONTROLLER_RESIZE_MS * this.timeScale,
        () => this.controllerResized(key),
      );
      return;
    }
    const driver = DRIVERS[cls.provisioner];
    if (!driver?.nodeExpansion) {
      this.finish(pvc, 'VolumeResizeSuccessful', 'external-resizer');
      return;
    }
    if (!conditions.some(c => c.type === 'FileSystemResizePending')) {
      this.setConditions(ns, name, [
        condition(
          'FileSystemResizePending',
          'Waiting for user to (re-)start a pod to finish file system resize of volume on node.',
        ),
      ]);
      this.events.record(
        pvc,
        'Normal',
        'FileSystemResizeRequired',
        'Require file system resize of volume on node',
        `external-resizer ${cls.provisioner}`,
      );
    }
    const mountedByRunningPod = this.registry.store
      .list(this.registry.typeOf('', 'pods'), ns)
      .some(
        p =>
          p.status?.phase === 'Running' &&
          (p.spec?.volumes ?? []).some(
            (v: any) => v.persistentVolumeClaim?.claimName === name,
          ),
      );
    if (mountedByRunningPod) {
      this.timers.once(`resize:${key}`, NODE_RESIZE_MS * this.timeScale, () => {
        const live = this.registry.find(this.pvcs, ns, name);
        if (live) this.finish(live, 'FileSystemResizeSuccessful', 'kubelet');
      });
    }
  }

  /** The controller side is done: the PersistentVolume has the requested size. */
  private controllerResized(key: string) {
    const [ns, name] = splitKey(key);
    const pvc = this.registry.find(this.pvcs, ns, name);
    if (!pvc) return;
    const requested = pvc.spec?.resources?.requests?.storage;
    const pv = this.registry.find(this.pvs, undefined, pvc.spec.volumeName);
    if (!pv || !requested) return;
    this.registry.mutate(this.pvs, undefined, pv.metadata.name, o => {
      o.spec.capacity = { storage: requested };
    });
    this.events.record(
      pvc,
      'Normal',
      'VolumeResizeSuccessful',
      `resize volume "${pv.metadata.name}" by resizer "${
        pv.spec?.csi?.driver ?? 'sandbox'
      }" finished successfully`,
      'external-resizer',
    );
    this.setConditions(ns, name, []);
    this.queue.add(key);
  }

  /** The claim reports the volume's new size and no resize condition. */
  private finish(pvc: KubeObject, reason: string, component: string) {
    const ns = pvc.metadata.namespace;
    const name = pvc.metadata.name;
    const pv = this.registry.find(this.pvs, undefined, pvc.spec.volumeName);
    const size = pv?.spec?.capacity?.storage;
    if (!size) return;
    this.registry.mutate(
      this.pvcs,
      ns,
      name,
      o => {
        o.status.capacity = { storage: size };
        delete o.status.conditions;
      },
      { status: true },
    );
    if (reason === 'FileSystemResizeSuccessful') {
      this.events.record(
        pvc,
        'Normal',
        reason,
        `MountVolume.NodeExpandVolume succeeded for volume "${pv.metadata.name}"`,
        component,
      );
    }
  }

  private setConditions(
    ns: string | undefined,
    name: string,
    conditions: unknown[],
  ) {
    this.registry.mutate(
      this.pvcs,
      ns,
      name,
      o => {
        if (conditions.length > 0) o.status.conditions = conditions;
        else delete o.status.conditions;
      },
      { status: true },
    );
  }
}
