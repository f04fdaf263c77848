import { randomUUID } from 'crypto';
import YAML from 'yaml';
import {
  applyDefaults,
  initialStatus,
  nowTimestamp,
  quantity,
  randomSuffix,
  validate,
} from './defaults';
import { errors } from './errors';
import { serverSideApply, trackUpdate } from './fields';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from './patch';
import {
  ResourceType,
  RESOURCE_TYPES,
  apiVersionOf,
  resourceKey,
} from './resources';
import {
  FieldSelector,
  LabelSelector,
  matchesFields,
  matchesLabels,
} from './selectors';
import { ObjectStore } from './store';
import { KubeObject } from './types';

/* eslint-disable no-param-reassign */

export interface WriteOptions {
  /** The field manager recorded in managedFields. */
  manager?: string;
  dryRun?: boolean;
  subresource?: string;
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continue?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Types whose PUT creates a missing object, as on the real server. */
const CREATE_ON_UPDATE = new Set([
  'endpoints',
  'events',
  'limitranges',
  'services',
  'serviceaccounts',
]);

/**
 * Types that stay after their finalizers are gone while a deletion is under way: pods
 * until the kubelet has stopped them, namespaces until they are empty.
 */
const KEPT_WHILE_DELETING = new Set(['pods', 'namespaces']);

/** The finalizer that holds an owner until its dependents are gone (Foreground). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/**
 * The API semantics over the object store: defaulting, validation, optimistic
 * concurrency, generation, status subresources, patches, server-side apply, deletion
 * with finalizers, grace periods and propagation. Both the HTTP layer and the simulated
 * controllers write through it.
 */
export class Registry {
  constructor(readonly store: ObjectStore) {}

  private clusterIPs = 0;

  /** Services get their ClusterIP when they are created, in the create response. */
  private allocateClusterIP(obj: KubeObject) {
    if (obj.spec.type === 'ExternalName' || obj.spec.clusterIP === 'None')
      return;
    if (!obj.spec.clusterIP) {
      this.clusterIPs++;
      obj.spec.clusterIP = `10.96.${Math.floor(this.clusterIPs / 250) % 250}.${
        (this.clusterIPs % 250) + 1
      }`;
    }
    obj.spec.clusterIPs = [obj.spec.clusterIP];
    obj.spec.ipFamilies = ['IPv4'];
    obj.spec.ipFamilyPolicy = 'SingleStack';
    obj.spec.internalTrafficPolicy = 'Cluster';
  }

  typeOf(group: string, resource: string): ResourceType {
    const type = RESOURCE_TYPES.find(
      t => t.group === group && t.resource === resource,
    );
    if (!type) throw new Error(`unknown resource ${group}/${resource}`);
    return type;
  }

  get(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): KubeObject {
    const obj = this.store.get(type, namespace, name);
    if (!obj) throw errors.notFound(type, name);
    return obj;
  }

  find(type: ResourceType, namespace: string | undefined, name: string) {
    return this.store.get(type, namespace, name);
  }

  list(
    type: ResourceType,
    namespace: string | undefined,
    options: ListOptions = {},
  ) {
    const rv = this.store.currentRv();
    let start: string | undefined;
    if (options.continue) {
      let token: { rv: number; start: string };
      try {
        token = JSON.parse(
          Buffer.from(options.continue, 'base64').toString('utf8'),
        );
      } catch {
        throw errors.badRequest(
          'continue key is not valid: illegal base64 data',
        );
      }
      if (token.rv < this.store.oldestWatchableRv()) {
        throw errors.gone(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      start = token.start;
    }
    const matching = this.store.list(type, namespace).filter(obj => {
      if (start !== undefined && objectKeyOf(obj) <= start) return false;
      if (
        options.labelSelector &&
        !matchesLabels(options.labelSelector, obj.metadata.labels)
      ) {
        return false;
      }
      return (
        !options.fieldSelector || matchesFields(options.fieldSelector, obj)
      );
    });
    const limit =
      options.limit && options.limit > 0 ? options.limit : undefined;
    const items = limit ? matching.slice(0, limit) : matching;
    const more = limit !== undefined && matching.length > limit;
    return {
      items,
      resourceVersion: String(rv),
      continue: more
        ? Buffer.from(
            JSON.stringify({ rv, start: objectKeyOf(items[items.length - 1]) }),
          ).toString('base64')
        : undefined,
      // Like the real server, no count when a selector filtered the list.
      remainingItemCount:
        more && !options.labelSelector?.length && !options.fieldSelector?.length
          ? matching.length - items.length
          : undefined,
    };
  }

  private checkNamespace(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ) {
    if (!type.namespaced) return;
    const nsType = this.typeOf('', 'namespaces');
    const ns = namespace
      ? this.store.get(nsType, undefined, namespace)
      : undefined;
    if (!ns) throw errors.notFound(nsType, namespace ?? '');
    if (ns.metadata.deletionTimestamp) {
      throw errors.forbidden(
        type,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private normalize(
    type: ResourceType,
    namespace: string | undefined,
    body: any,
  ) {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw errors.badRequest('the request body must be a JSON object');
    }
    if (body.kind !== undefined && body.kind !== type.kind) {
      throw errors.badRequest(
        `the kind "${body.kind}" of the provided object does not match the resource ${type.resource} (${type.kind})`,
      );
    }
    const obj: KubeObject = clone(body);
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    obj.metadata = obj.metadata ?? ({} as any);
    if (type.namespaced) {
      if (
        obj.metadata.namespace &&
        namespace &&
        obj.metadata.namespace !== namespace
      ) {
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
    } else {
      delete obj.metadata.namespace;
    }
    if (obj.spec === undefined && needsSpec(type)) obj.spec = {};
    return obj;
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: any,
    options: WriteOptions = {},
  ): KubeObject {
    const obj = this.normalize(type, namespace, body);
    if (!obj.metadata.name) {
      if (obj.metadata.generateName) {
        obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
      } else {
        throw errors.invalid(type, '', [
          {
            field: 'metadata.name',
            message: 'Required value: name or generateName is required',
            reason: 'FieldValueRequired',
          },
        ]);
      }
    }
    this.checkNamespace(type, obj.metadata.namespace, obj.metadata.name);
    if (this.store.get(type, obj.metadata.namespace, obj.metadata.name)) {
      throw errors.alreadyExists(type, obj.metadata.name);
    }
    for (const key of [
      'uid',
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
    ]) {
      delete obj.metadata[key];
    }
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = nowTimestamp();
    if (type.generation) obj.metadata.generation = 1;
    applyDefaults(type, obj);
    if (type.statusSubresource || obj.status !== undefined) {
      const status = initialStatus(type, obj);
      if (status === undefined) delete obj.status;
      else obj.status = status;
    }
    validate(type, obj);
    if (type.resource === 'services' && type.group === '')
      this.allocateClusterIP(obj);
    if (options.manager)
      trackUpdate(undefined, obj, options.manager, obj.apiVersion!);
    orderKeys(obj);
    if (options.dryRun) return obj;
    return this.store.put(type, obj);
  }

  /** PUT: replaces the object, or its status through the status subresource. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: any,
    options: WriteOptions = {},
  ): KubeObject {
    const incoming = this.normalize(type, namespace, body);
    if (incoming.metadata.name && incoming.metadata.name !== name) {
      throw errors.badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    incoming.metadata.name = name;
    const live = this.store.get(type, namespace, name);
    if (!live) {
      // Only a few types allow create-on-update (AllowCreateOnUpdate); the rest 404.
      if (options.subresource || !CREATE_ON_UPDATE.has(type.resource)) {
        throw errors.notFound(type, name);
      }
      return this.create(type, namespace, incoming, options);
    }
    if (incoming.metadata.uid && incoming.metadata.uid !== live.metadata.uid) {
      throw errors.conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${incoming.metadata.uid}, UID in object meta: ${live.metadata.uid}`,
      );
    }
    const sent = incoming.metadata.resourceVersion;
    if (sent && sent !== live.metadata.resourceVersion) {
      throw errors.conflict(
        type,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    return this.commit(type, live, incoming, options);
  }

  /**
   * The PersistentVolumeClaimResize admission plugin: a bound claim may ask for more
   * storage only when a StorageClass with `allowVolumeExpansion` provisioned it.
   */
  private admitClaimResize(
    type: ResourceType,
    next: KubeObject,
    live: KubeObject,
  ) {
    if (type.resource !== 'persistentvolumeclaims' || type.group !== '') return;
    if (live.status?.phase !== 'Bound') return;
    if (
      quantity(next.spec?.resources?.requests?.storage) <=
      quantity(live.spec?.resources?.requests?.storage)
    )
      return;
    const className = live.spec?.storageClassName;
    const cls = className
      ? this.store.get(
          this.typeOf('storage.k8s.io', 'storageclasses'),
          undefined,
          className,
        )
      : undefined;
    const pv = live.spec?.volumeName
      ? this.store.get(
          this.typeOf('', 'persistentvolumes'),
          undefined,
          live.spec.volumeName,
        )
      : undefined;
    if (
      !cls?.allowVolumeExpansion ||
      pv?.spec?.storageClassName !== className
    ) {
      throw errors.forbidden(
        type,
        live.metadata.name,
        'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
      );
    }
  }

  /** Applies an update on top of `live`, keeping what the client may not change. */
  private commit(
    type: ResourceType,
    live: KubeObject,
    incoming: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = { ...clone(live), status: incoming.status };
    } else {
      next = incoming;
      for (const key of [
        'uid',
        'creationTimestamp',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'generation',
      ]) {
        if (live.metadata[key] === undefined) delete next.metadata[key];
        else next.metadata[key] = live.metadata[key];
      }
      next.metadata.namespace = live.metadata.namespace;
      if (type.statusSubresource) {
        if (live.status === undefined) delete next.status;
        else next.status = clone(live.status);
      }
      if (live.metadata.deletionTimestamp) {
        const added = (next.metadata.finalizers ?? []).filter(
          f => !(live.metadata.finalizers ?? []).includes(f),
        );
        if (added.length > 0) {
          throw errors.invalid(type, live.metadata.name, [
            {
              field: 'metadata.finalizers',
              message:
                'Forbidden: no new finalizers can be added if the object is being deleted',
              reason: 'FieldValueForbidden',
            },
          ]);
        }
        next.metadata.finalizers = next.metadata.finalizers ?? [];
      }
      applyDefaults(type, next);
      validate(type, next, live);
      this.admitClaimResize(type, next, live);
      if (type.generation && specChanged(live, next)) {
        next.metadata.generation = (live.metadata.generation ?? 1) + 1;
      }
    }
    if (options.manager) {
      trackUpdate(
        live,
        next,
        options.manager,
        apiVersionOf(type),
        options.subresource,
      );
    } else {
      next.metadata.managedFields = live.metadata.managedFields;
      if (!next.metadata.managedFields) delete next.metadata.managedFields;
    }
    orderKeys(next);
    if (options.dryRun) return next;
    // A write that changes nothing is not a write: the resourceVersion stays.
    if (sameObject(live, next)) return live;
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !KEPT_WHILE_DELETING.has(type.resource)
    ) {
      return (
        this.store.remove(type, next.metadata.namespace, next.metadata.name) ??
        next
      );
    }
    if (!next.metadata.finalizers?.length) delete next.metadata.finalizers;
    return this.store.put(type, next);
  }

  /** PATCH in any of the four patch types. */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    rawBody: string,
    options: WriteOptions & { force?: boolean } = {},
  ): KubeObject {
    const live = this.store.get(type, namespace, name);
    if (patchType === 'apply') {
      if (!options.manager) {
        throw errors.badRequest(
          'PATCH, application/apply-patch+yaml requires fieldManager to be set',
        );
      }
      let applied: KubeObject;
      try {
        applied = YAML.parse(rawBody);
      } catch (e) {
        throw errors.badRequest(`error decoding YAML: ${(e as Error).message}`);
      }
      if (!applied || typeof applied !== 'object') {
        throw errors.badRequest('the applied configuration must be an object');
      }
      if (!applied.apiVersion || !applied.kind) {
        throw errors.badRequest(
          'apiVersion and kind are required in an applied configuration',
        );
      }
      if (applied.metadata?.name && applied.metadata.name !== name) {
        throw errors.badRequest(
          `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
        );
      }
      applied.metadata = { ...applied.metadata, name };
      const normalized = this.normalize(type, namespace, applied);
      if (!live) {
        if (options.subresource) throw errors.notFound(type, name);
        const created = serverSideApply(
          type,
          undefined,
          normalized,
          options.manager,
          true,
          apiVersionOf(type),
        );
        return this.create(type, namespace, created, {
          dryRun: options.dryRun,
        });
      }
      if (
        normalized.metadata.resourceVersion &&
        normalized.metadata.resourceVersion !== live.metadata.resourceVersion
      ) {
        throw errors.conflict(
          type,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      const merged = serverSideApply(
        type,
        live,
        normalized,
        options.manager,
        Boolean(options.force),
        apiVersionOf(type),
        options.subresource,
      );
      const managed = merged.metadata.managedFields;
      const next = this.commit(type, live, merged, {
        dryRun: true,
        subresource: options.subresource,
      });
      next.metadata.managedFields = managed;
      if (options.dryRun) return next;
      if (sameObject(live, next)) return live;
      return this.store.put(type, next);
    }
    if (!live) throw errors.notFound(type, name);
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch (e) {
      throw errors.badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const base = clone(live);
    let patched: any;
    if (patchType === 'json') patched = applyJsonPatch(base, body);
    else if (patchType === 'merge') patched = applyMergePatch(base, body);
    else patched = applyStrategicMergePatch(base, body);
    if (!patched?.metadata)
      throw errors.badRequest('the patch removed the object metadata');
    if (patched.metadata.name !== name) {
      throw errors.invalid(type, name, [
        {
          field: 'metadata.name',
          message: 'Invalid value: field is immutable',
        },
      ]);
    }
    const sent = patched.metadata.resourceVersion;
    if (sent && sent !== live.metadata.resourceVersion) {
      throw errors.conflict(
        type,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    return this.commit(
      type,
      live,
      this.normalize(type, namespace, patched),
      options,
    );
  }

  /** Modifies an object in place on behalf of a controller (no concurrency check). */
  mutate(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    change: (obj: KubeObject) => void,
    options: { status?: boolean } = {},
  ): KubeObject | undefined {
    const live = this.store.get(type, namespace, name);
    if (!live) return undefined;
    const next = clone(live);
    change(next);
    if (JSON.stringify(next) === JSON.stringify(live)) return live;
    if (!options.status && type.generation && specChanged(live, next)) {
      next.metadata.generation = (live.metadata.generation ?? 1) + 1;
    }
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !KEPT_WHILE_DELETING.has(type.resource)
    ) {
      return this.store.remove(type, namespace, name);
    }
    return this.store.put(type, next);
  }

  /**
   * DELETE. Objects with finalizers (or a Foreground propagation) are marked with a
   * deletionTimestamp and stay until the finalizers are gone; scheduled pods terminate
   * gracefully; Orphan releases the dependents first.
   */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): { object: KubeObject; finished: boolean } {
    const live = this.get(type, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== live.metadata.uid) {
      throw errors.conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${live.metadata.uid}`,
      );
    }
    if (
      pre?.resourceVersion &&
      pre.resourceVersion !== live.metadata.resourceVersion
    ) {
      throw errors.conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${live.metadata.resourceVersion}`,
      );
    }
    if (options.dryRun) return { object: live, finished: true };
    const policy = options.propagationPolicy ?? 'Background';

    if (policy === 'Orphan') {
      for (const dep of this.store.dependentsOf(live.metadata.uid!)) {
        const depType = RESOURCE_TYPES.find(
          t => resourceKey(t) === dep.resource,
        )!;
        const obj = this.store.getByKey(dep.resource, dep.key);
        if (!obj) continue;
        this.mutate(depType, obj.metadata.namespace, obj.metadata.name, o => {
          o.metadata.ownerReferences = o.metadata.ownerReferences?.filter(
            r => r.uid !== live.metadata.uid,
          );
          if (!o.metadata.ownerReferences?.length)
            delete o.metadata.ownerReferences;
        });
      }
    }

    const finalizers = [...(live.metadata.finalizers ?? [])];
    if (
      policy === 'Foreground' &&
      this.store.dependentsOf(live.metadata.uid!).length > 0
    ) {
      if (!finalizers.includes(FOREGROUND_FINALIZER))
        finalizers.push(FOREGROUND_FINALIZER);
    }
    const isPod = type.group === '' && type.resource === 'pods';
    const grace = isPod
      ? options.gracePeriodSeconds ??
        live.spec?.terminationGracePeriodSeconds ??
        30
      : 0;
    const podRunning =
      isPod &&
      live.spec?.nodeName &&
      !['Succeeded', 'Failed'].includes(live.status?.phase);
    const isNamespace = type.group === '' && type.resource === 'namespaces';

    if (finalizers.length > 0 || (podRunning && grace > 0) || isNamespace) {
      if (live.metadata.deletionTimestamp) {
        // Already being deleted: as in kube-apiserver, a pod's grace period may only be
        // shortened (the deletionTimestamp moves up with it); a longer one changes nothing.
        const current = live.metadata.deletionGracePeriodSeconds;
        if (
          !isPod ||
          current === undefined ||
          options.gracePeriodSeconds === undefined ||
          grace >= current
        ) {
          return { object: live, finished: false };
        }
        const since =
          Date.parse(live.metadata.deletionTimestamp) - current * 1000;
        const object = this.mutate(type, namespace, name, o => {
          o.metadata.deletionTimestamp = nowTimestamp(since + grace * 1000);
          o.metadata.deletionGracePeriodSeconds = grace;
        })!;
        return { object, finished: false };
      }
      const object = this.mutate(type, namespace, name, o => {
        o.metadata.deletionTimestamp = nowTimestamp(Date.now() + grace * 1000);
        if (isPod) o.metadata.deletionGracePeriodSeconds = grace;
        if (finalizers.length) o.metadata.finalizers = finalizers;
        if (isNamespace) o.status = { ...o.status, phase: 'Terminating' };
      })!;
      return { object, finished: false };
    }
    const object = this.store.remove(type, namespace, name)!;
    return { object, finished: true };
  }
}

function sameObject(a: KubeObject, b: KubeObject) {
  const strip = (o: KubeObject) =>
    JSON.stringify({
      ...o,
      metadata: { ...o.metadata, resourceVersion: undefined },
    });
  return strip(a) === strip(b);
}

function objectKeyOf(obj: KubeObject) {
  return obj.metadata.namespace
    ? `${obj.metadata.namespace}/${obj.metadata.name}`
    : obj.metadata.name;
}

function needsSpec(type: ResourceType) {
  return (
    type.generation ||
    [
      'pods',
      'services',
      'persistentvolumeclaims',
      'persistentvolumes',
      'nodes',
      'namespaces',
      'resourcequotas',
      'limitranges',
    ].includes(type.resource)
  );
}

function specChanged(a: KubeObject, b: KubeObject) {
  const strip = (o: KubeObject) => {
    const { metadata, status, ...rest } = o;
    return JSON.stringify(rest);
  };
  return strip(a) !== strip(b);
}

/** Serializes like the real server: apiVersion, kind, metadata, spec, status first. */
function orderKeys(obj: KubeObject) {
  const { apiVersion, kind, metadata, spec, status, ...rest } = obj;
  for (const key of Object.keys(obj)) delete obj[key];
  Object.assign(obj, { apiVersion, kind, metadata });
  if (spec !== undefined) obj.spec = spec;
  Object.assign(obj, rest);
  if (status !== undefined) obj.status = status;
}
