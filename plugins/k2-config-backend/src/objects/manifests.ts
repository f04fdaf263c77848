import {
  ANNOTATION_KUBERNETES_ID,
  LABEL_CONFIG_FILE,
  LABEL_CONFIG_HASH,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';
import { KubeObject } from '@internal/plugin-k2-node';
import { createHash } from 'crypto';

/**
 * The content hash of a version: the first 10 hex characters of the content's SHA-256,
 * with `0 1 3 a e` written `g h k m t` as kustomize's configMapGenerator does (so a
 * suffix never reads as a number or a word). The same content always has the same hash.
 */
export function contentHash(content: string): string {
  const map: Record<string, string> = {
    '0': 'g',
    '1': 'h',
    '3': 'k',
    a: 'm',
    e: 't',
  };
  return createHash('sha256')
    .update(content, 'utf8')
    .digest('hex')
    .slice(0, 10)
    .replace(/[013ae]/g, c => map[c]);
}

/** A file name as part of an object name: lower-cased, `.` and `_` as `-`. */
export function fileSlug(file: string): string {
  return file.toLocaleLowerCase('en-US').replace(/[._]/g, '-');
}

/** The immutable object holding one version: `<kubernetes-id>-<slug>-<hash>`. */
export function objectName(
  kubernetesId: string,
  file: string,
  hash: string,
): string {
  return `${kubernetesId}-${fileSlug(file)}-${hash}`;
}

/** Where a version's object goes, and what it holds. */
export interface ConfigObjectSpec {
  kubernetesId: string;
  environment: string;
  namespace: string;
  file: string;
  hash: string;
  sensitive: boolean;
  content: string;
}

/** The labels of a version's object, which say whose it is and which content. */
export function objectLabels(
  spec: Omit<ConfigObjectSpec, 'content' | 'sensitive' | 'namespace'>,
) {
  return {
    [LABEL_SERVICE]: spec.kubernetesId,
    [LABEL_ENVIRONMENT]: spec.environment,
    [ANNOTATION_KUBERNETES_ID]: spec.kubernetesId,
    [LABEL_MANAGED_BY]: MANAGED_BY_K2,
    [LABEL_CONFIG_FILE]: spec.file,
    [LABEL_CONFIG_HASH]: spec.hash,
  };
}

/**
 * The immutable ConfigMap (a Secret, for a sensitive file) holding one version: one
 * data key, the file name, so a release mounts it as that file.
 */
export function renderConfigObject(spec: ConfigObjectSpec): KubeObject {
  const metadata = {
    name: objectName(spec.kubernetesId, spec.file, spec.hash),
    namespace: spec.namespace,
    labels: objectLabels(spec),
  };
  return spec.sensitive
    ? {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata,
        type: 'Opaque',
        immutable: true,
        data: {
          [spec.file]: Buffer.from(spec.content, 'utf8').toString('base64'),
        },
      }
    : {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata,
        immutable: true,
        data: { [spec.file]: spec.content },
      };
}

/** The content an object holds for `file`, or undefined when it has none. */
export function objectContent(
  object: KubeObject,
  file: string,
): string | undefined {
  const value = object.data?.[file];
  if (typeof value !== 'string') return undefined;
  return object.kind === 'Secret'
    ? Buffer.from(value, 'base64').toString('utf8')
    : value;
}
