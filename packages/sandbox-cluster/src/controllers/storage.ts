import { Registry } from '../api/registry';
import { StoreEvent } from '../api/store';
import { quantity } from '../api/defaults';
import { EventRecorder, WorkQueue, nsKey, splitKey } from './runtime';

/* eslint-disable no-param-reassign */

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

/**
 * Dynamic provisioning: a PVC naming an existing StorageClass (or none, with a default
 * class) gets a PersistentVolume and is Bound; an unknown class leaves it Pending with
 * a ProvisioningFailed event. Growing a bound claim works where the class allows
 * volume expansion.
 */
export class StorageController {
  private readonly queue: WorkQueue;
  private readonly pvcs;
  private readonly pvs;
  private readonly classes;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
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
      const capacity = pvc.status?.capacity?.storage;
      if (requested && capacity && quantity(requested) > quantity(capacity)) {
        const cls = this.registry.find(
          this.classes,
          undefined,
          pvc.spec.storageClassName ?? '',
        );
        if (cls?.allowVolumeExpansion) {
          this.registry.mutate(
            this.pvcs,
            ns,
            name,
            o => {
              o.status.capacity = { storage: requested };
            },
            { status: true },
          );
          const pv = this.registry.find(
            this.pvs,
            undefined,
            pvc.spec.volumeName,
          );
          if (pv)
            this.registry.mutate(this.pvs, undefined, pv.metadata.name, o => {
              o.spec.capacity = { storage: requested };
            });
          this.events.record(
            pvc,
            'Normal',
            'VolumeResizeSuccessful',
            'MountVolume.NodeExpandVolume succeeded for volume',
            'kubelet',
          );
        }
      }
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
}
