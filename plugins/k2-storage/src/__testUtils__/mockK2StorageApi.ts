import { createApiMock } from '@backstage/frontend-test-utils';
import { K2ApiError } from '@internal/plugin-k2-common';
import { minutesAgo } from '@internal/plugin-k2-react/testUtils';
import {
  K2StorageClassList,
  K2StorageVolume,
} from '@internal/plugin-k2-storage-common';
import { K2StorageApi, k2StorageApiRef } from '../api/K2StorageApi';

const GI = 2 ** 30;

/** A refusal as the Storage backend answers it. */
function refuse(statusCode: number, name: string, message: string): never {
  throw new K2ApiError(message, statusCode, { error: { name, message } });
}

/** `test`'s classes: NFS and CephFS expand, the local disk does not. */
export const TEST_CLASSES: K2StorageClassList = {
  items: [
    {
      name: 'nfs',
      label: 'NFS',
      kind: 'nfs',
      accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'],
      allowExpansion: true,
    },
    {
      name: 'ceph-rbd',
      label: 'Ceph RBD',
      kind: 'block',
      accessModes: ['ReadWriteOnce'],
      allowExpansion: true,
    },
    {
      name: 'standard',
      label: 'Local disk',
      kind: 'block',
      accessModes: ['ReadWriteOnce'],
      allowExpansion: false,
    },
  ],
  clusters: ['test-a', 'test-b'],
  missing: [],
  minSize: '1Gi',
  maxSize: '1Ti',
};

const bound = (cluster: string, size: string, usedBytes?: number) => ({
  cluster,
  phase: 'Bound' as const,
  capacity: size,
  capacityBytes: Number(size.replace('Gi', '')) * GI,
  ...(usedBytes !== undefined ? { usedBytes } : {}),
  expanding: false,
});

/**
 * A `K2StorageApi` whose every method is a `jest.fn` over an in-memory store that
 * answers as the backend does: `test` (clusters test-a and test-b) has `data` (NFS,
 * 5Gi, 1.5 GiB used in test-a, mounted by running release #7 and retained #6) and
 * `scratch` (the local disk, which cannot expand, Pending in test-b with the
 * provisioner's event); `prod` offers no class and has no volume. Creating adds a
 * volume Pending everywhere; expanding marks it expanding; deleting a mounted volume
 * is refused naming the release.
 */
export const createK2StorageApi = createApiMock(k2StorageApiRef, () => {
  const store = new Map<string, K2StorageVolume[]>([
    [
      'test',
      [
        {
          name: 'data',
          pvc: 'payment-gateway-data',
          storageClass: 'nfs',
          accessMode: 'ReadWriteMany',
          size: '5Gi',
          createdAt: minutesAgo(60),
          clusters: [bound('test-a', '5Gi', 1.5 * GI), bound('test-b', '5Gi')],
          mountedBy: [
            { id: 'r6', number: 6, current: false },
            { id: 'r7', number: 7, current: true },
          ],
        },
        {
          name: 'scratch',
          pvc: 'payment-gateway-scratch',
          storageClass: 'standard',
          accessMode: 'ReadWriteOnce',
          size: '1Gi',
          createdAt: minutesAgo(30),
          clusters: [
            bound('test-a', '1Gi'),
            {
              cluster: 'test-b',
              phase: 'Pending',
              reason:
                'ProvisioningFailed: failed to provision volume with StorageClass "standard": no space left on node',
              expanding: false,
            },
          ],
          mountedBy: [],
        },
      ],
    ],
    ['prod', []],
  ]);
  const find = (environment: string, name: string) => {
    const volume = store.get(environment)?.find(v => v.name === name);
    if (!volume) return refuse(404, 'NotFoundError', `No volume '${name}'`);
    return volume;
  };
  const fake: K2StorageApi = {
    getStorageClasses: async (_service, environment) =>
      environment === 'test'
        ? TEST_CLASSES
        : {
            items: [],
            clusters: ['prod-a'],
            missing: [],
            minSize: '1Gi',
            maxSize: '1Ti',
          },
    getVolumes: async (_service, environment) => ({
      items: structuredClone(store.get(environment) ?? []),
      clusters: environment === 'test' ? ['test-a', 'test-b'] : ['prod-a'],
    }),
    createVolume: async (_service, environment, input) => {
      const volumes = store.get(environment)!;
      if (volumes.some(v => v.name === input.name)) {
        refuse(409, 'ConflictError', `Volume '${input.name}' already exists`);
      }
      const volume: K2StorageVolume = {
        name: input.name,
        pvc: `payment-gateway-${input.name}`,
        storageClass: input.storageClass,
        accessMode: input.accessMode,
        size: input.size,
        createdAt: minutesAgo(0),
        clusters: ['test-a', 'test-b'].map(cluster => ({
          cluster,
          phase: 'Pending' as const,
          reason: 'Waiting for the volume to be provisioned',
          expanding: false,
        })),
        mountedBy: [],
      };
      volumes.push(volume);
      return volume;
    },
    expandVolume: async (_service, environment, name, size) => {
      const volume = find(environment, name);
      if (volume.storageClass === 'standard') {
        refuse(
          409,
          'ConflictError',
          `Volume '${name}' cannot be expanded: its storage class 'standard' (Local disk) does not allow volume expansion`,
        );
      }
      volume.size = size;
      for (const c of volume.clusters) c.expanding = true;
      return volume;
    },
    deleteVolume: async (_service, environment, name) => {
      const volume = find(environment, name);
      const release = volume.mountedBy.find(r => r.current);
      if (release) {
        refuse(
          409,
          'ConflictError',
          `Volume '${name}' is mounted by release #${release.number} in ${environment}; release without it first`,
        );
      }
      store.set(
        environment,
        store.get(environment)!.filter(v => v.name !== name),
      );
    },
  };
  return Object.fromEntries(
    Object.entries(fake).map(([name, method]) => [
      name,
      jest.fn(method as (...args: unknown[]) => unknown),
    ]),
  ) as unknown as jest.Mocked<K2StorageApi>;
});
