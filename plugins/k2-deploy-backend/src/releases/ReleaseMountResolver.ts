import { InputError } from '@backstage/errors';
import {
  K2ConfigFileMount,
  K2ConfigFileMountInput,
  K2ReleaseSpec,
  K2ServiceTarget,
  K2VolumeMount,
  LABEL_CONFIG_FILE,
  LABEL_CONFIG_HASH,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  LABEL_VOLUME,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';
import {
  K2ClusterAccess,
  K2ResolvedService,
  KubeApiError,
  KubeObject,
} from '@internal/plugin-k2-node';
import { posix } from 'node:path';
import { ConfigVersionLookup } from './ConfigVersions';

/** What a release mounts besides the log directory. */
export type ReleaseMounts = Pick<K2ReleaseSpec, 'volumes' | 'configFiles'>;

/** Mounts one release may have: volumes and config files together. */
export const MAX_MOUNTS = 20;

/**
 * Paths a release may not mount at or under: K2's log directory and what the kubelet
 * itself mounts into every container (the service account token, the files it
 * writes, the kernel's file systems).
 */
export const RESERVED_MOUNT_PATHS = [
  '/log-dir',
  '/var/run/secrets/kubernetes.io',
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/dev',
  '/proc',
  '/sys',
];

const within = (path: string, parent: string) =>
  path === parent || path.startsWith(parent === '/' ? '/' : `${parent}/`);

/** The PVC of a service's volume in each cluster of an environment. */
export const volumeClaimName = (kubernetesId: string, volume: string) =>
  `${kubernetesId}-${volume}`;

/**
 * Checks the mount paths of a release, as a whole: each absolute and normalized, not
 * at or under a {@link RESERVED_MOUNT_PATHS} entry, no two at the same path, none
 * inside a config file's path (a file has no inside), a volume's `subPath` relative
 * and within the volume; at most {@link MAX_MOUNTS}. Messages name the field.
 *
 * @throws InputError on the first problem found
 */
export function checkMountPaths(mounts: {
  volumes: K2VolumeMount[];
  configFiles: Array<Pick<K2ConfigFileMount, 'file' | 'mountPath'>>;
}) {
  const all = [
    ...mounts.volumes.map((v, i) => ({
      field: `volumes[${i}]`,
      path: v.mountPath,
      file: false,
    })),
    ...mounts.configFiles.map((c, i) => ({
      field: `configFiles[${i}]`,
      path: c.mountPath,
      file: true,
    })),
  ];
  if (all.length > MAX_MOUNTS) {
    throw new InputError(
      `A release mounts at most ${MAX_MOUNTS} volumes and config files, got ${all.length}`,
    );
  }
  for (const m of all) {
    const at = `'${m.field}.mountPath'`;
    if (!m.path.startsWith('/') || posix.normalize(m.path) !== m.path) {
      throw new InputError(
        `${at} must be an absolute path without '.', '..' or '//' segments, got '${m.path}'`,
      );
    }
    if (m.path === '/' || m.path.endsWith('/')) {
      throw new InputError(
        `${at} must name a directory or file below '/', without a trailing '/', got '${m.path}'`,
      );
    }
    const reserved = RESERVED_MOUNT_PATHS.find(r => within(m.path, r));
    if (reserved) {
      throw new InputError(
        `${at}: '${m.path}' is ${
          reserved === '/log-dir'
            ? "at or under '/log-dir', where K2 mounts the service's log directory"
            : `at or under '${reserved}', which the kubelet mounts into every container`
        }`,
      );
    }
  }
  for (const [i, a] of all.entries()) {
    for (const b of all.slice(i + 1)) {
      if (a.path === b.path) {
        throw new InputError(
          `'${a.field}.mountPath' and '${b.field}.mountPath' are both '${a.path}'; each mount needs a path of its own`,
        );
      }
      const [outer, inner] = within(b.path, a.path) ? [a, b] : [b, a];
      if (outer.file && within(inner.path, outer.path)) {
        throw new InputError(
          `'${inner.field}.mountPath' '${inner.path}' is inside '${outer.path}', where '${outer.field}' mounts a config file`,
        );
      }
    }
  }
  mounts.volumes.forEach((v, i) => {
    if (v.subPath === undefined) return;
    const segments = v.subPath.split('/');
    if (
      v.subPath.startsWith('/') ||
      segments.includes('..') ||
      segments.includes('.') ||
      segments.includes('')
    ) {
      throw new InputError(
        `'volumes[${i}].subPath' must be a relative path inside the volume, without '.', '..' or empty segments, got '${v.subPath}'`,
      );
    }
  });
}

/**
 * Resolves what a release mounts: the request's volumes and config files, or the
 * running release's when the request leaves them out. Checked as a whole
 * ({@link checkMountPaths}); each volume must exist as the service's PVC in every
 * cluster of the environment, each config file version is resolved through the
 * Config backend into the immutable object holding it, which must exist in every
 * cluster. Clusters are read from the watch caches, and once directly for an object
 * the cache does not hold yet (one just created). Reads only.
 */
export class ReleaseMountResolver {
  readonly #access: K2ClusterAccess;
  readonly #configVersions: ConfigVersionLookup;

  constructor(options: {
    access: K2ClusterAccess;
    configVersions: ConfigVersionLookup;
  }) {
    this.#access = options.access;
    this.#configVersions = options.configVersions;
  }

  /**
   * @throws InputError naming the field when a mount cannot be released as asked
   * @throws ServiceUnavailableError when the Config backend cannot be asked
   */
  async resolve(
    input: {
      volumes?: K2VolumeMount[];
      configFiles?: K2ConfigFileMountInput[];
    },
    resolved: K2ResolvedService,
    target: K2ServiceTarget,
    running?: ReleaseMounts,
  ): Promise<ReleaseMounts> {
    const volumes = (input.volumes ?? running?.volumes ?? []).map(v => ({
      volume: v.volume,
      mountPath: v.mountPath,
      readOnly: v.readOnly,
      ...(v.subPath !== undefined ? { subPath: v.subPath } : {}),
    }));
    const requested = input.configFiles;
    checkMountPaths({
      volumes,
      configFiles: requested ?? running?.configFiles ?? [],
    });
    const id = resolved.spec.kubernetesId;
    const environment = target.environment.name;
    const service = {
      namespace: resolved.entity.metadata.namespace ?? 'default',
      name: resolved.entity.metadata.name,
    };

    for (const [i, v] of volumes.entries()) {
      const claim = volumeClaimName(id, v.volume);
      for (const { name: cluster } of target.clusters) {
        const found = await readObjectMetadata(
          this.#access,
          cluster,
          'persistentvolumeclaims',
          target.namespace,
          claim,
        );
        const labels = found?.metadata.labels ?? {};
        if (!found) {
          throw new InputError(
            `'volumes[${i}]': volume '${v.volume}' does not exist in cluster ${cluster} (no PersistentVolumeClaim ${target.namespace}/${claim}); create it on the Storage tab for ${environment}`,
          );
        }
        if (
          labels[LABEL_SERVICE] !== id ||
          labels[LABEL_ENVIRONMENT] !== environment ||
          labels[LABEL_MANAGED_BY] !== MANAGED_BY_K2 ||
          labels[LABEL_VOLUME] !== v.volume
        ) {
          throw new InputError(
            `'volumes[${i}]': the PersistentVolumeClaim ${
              target.namespace
            }/${claim} in cluster ${cluster} is not K2's volume '${
              v.volume
            }' of ${id} in ${environment} (it is labelled ${LABEL_SERVICE}=${
              labels[LABEL_SERVICE] ?? '(none)'
            }, ${LABEL_ENVIRONMENT}=${
              labels[LABEL_ENVIRONMENT] ?? '(none)'
            }, ${LABEL_VOLUME}=${labels[LABEL_VOLUME] ?? '(none)'})`,
          );
        }
      }
    }

    const configFiles: K2ConfigFileMount[] = requested
      ? await Promise.all(
          requested.map(async c => {
            const v = await this.#configVersions.version(
              service,
              environment,
              c.file,
              c.version,
            );
            return {
              file: c.file,
              version: v.number,
              object: v.object,
              sensitive: v.sensitive,
              hash: v.hash,
              mountPath: c.mountPath,
              collected: v.collected,
            };
          }),
        ).then(all =>
          all.map(({ collected, ...mount }, i) => {
            if (collected) {
              throw new InputError(
                `'configFiles[${i}]': version ${mount.version} of '${mount.file}' was garbage-collected in ${environment}; restore it on the Config tab first`,
              );
            }
            return mount;
          }),
        )
      : running?.configFiles ?? [];

    for (const [i, c] of configFiles.entries()) {
      const kind = c.sensitive ? 'Secret' : 'ConfigMap';
      for (const { name: cluster } of target.clusters) {
        const found = await readObjectMetadata(
          this.#access,
          cluster,
          c.sensitive ? 'secrets' : 'configmaps',
          target.namespace,
          c.object,
        );
        const labels = found?.metadata.labels ?? {};
        if (
          !found ||
          labels[LABEL_CONFIG_FILE] !== c.file ||
          labels[LABEL_CONFIG_HASH] !== c.hash ||
          labels[LABEL_SERVICE] !== id
        ) {
          throw new InputError(
            `'configFiles[${i}]': version ${c.version} of '${c.file}' has no ${kind} ${target.namespace}/${c.object} in cluster ${cluster}; save or restore it on the Config tab for ${environment}`,
          );
        }
      }
    }
    return { volumes, configFiles };
  }
}

/**
 * An object's metadata from the cluster's watch cache, else from one read of the API
 * server (only its metadata is kept, so no Secret value stays in memory); undefined
 * when it does not exist.
 */
export async function readObjectMetadata(
  access: K2ClusterAccess,
  cluster: string,
  resource: 'persistentvolumeclaims' | 'configmaps' | 'secrets',
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  const cached = access.cache(cluster).store(resource).get(namespace, name);
  if (cached) return { metadata: cached.metadata };
  try {
    const object = await access.get<KubeObject>(
      cluster,
      `/api/v1/namespaces/${encodeURIComponent(
        namespace,
      )}/${resource}/${encodeURIComponent(name)}`,
    );
    return { metadata: object.metadata };
  } catch (error) {
    if (error instanceof KubeApiError && error.statusCode === 404) {
      return undefined;
    }
    throw error;
  }
}
