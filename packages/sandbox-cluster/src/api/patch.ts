import { errors } from './errors';

/* eslint-disable no-param-reassign */

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw errors.badRequest(
      `the JSON patch path "${pointer}" is not a JSON pointer`,
    );
  }
  return pointer
    .slice(1)
    .split('/')
    .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveParent(doc: any, path: string[], pointer: string) {
  let target = doc;
  for (const key of path.slice(0, -1)) {
    target = Array.isArray(target) ? target[Number(key)] : target?.[key];
    if (target === undefined || target === null || typeof target !== 'object') {
      throw errors.invalidPatch(`doc is missing path: "${pointer}"`);
    }
  }
  return target;
}

function getAt(doc: any, pointer: string) {
  let target = doc;
  for (const key of decodePointer(pointer)) {
    target = Array.isArray(target) ? target[Number(key)] : target?.[key];
    if (target === undefined)
      throw errors.invalidPatch(`doc is missing path: "${pointer}"`);
  }
  return target;
}

function removeAt(doc: any, pointer: string) {
  const path = decodePointer(pointer);
  const parent = resolveParent(doc, path, pointer);
  const key = path[path.length - 1];
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!(index >= 0 && index < parent.length)) {
      throw errors.invalidPatch(
        `unable to remove nonexistent key: ${key}: missing value`,
      );
    }
    return parent.splice(index, 1)[0];
  }
  if (!(key in parent)) {
    throw errors.invalidPatch(
      `unable to remove nonexistent key: ${key}: missing value`,
    );
  }
  const value = parent[key];
  delete parent[key];
  return value;
}

function addAt(doc: any, pointer: string, value: any, replace: boolean) {
  const path = decodePointer(pointer);
  if (path.length === 0) return value;
  const parent = resolveParent(doc, path, pointer);
  const key = path[path.length - 1];
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (
      !(index >= 0 && index <= parent.length) ||
      (replace && index >= parent.length)
    ) {
      throw errors.invalidPatch(
        `add operation does not apply: doc is missing path: "${pointer}"`,
      );
    }
    parent.splice(index, replace ? 1 : 0, value);
  } else {
    if (replace && !(key in parent)) {
      throw errors.invalidPatch(
        `replace operation does not apply: doc is missing key: ${pointer}: missing value`,
      );
    }
    parent[key] = value;
  }
  return doc;
}

/** RFC 6902 JSON Patch (`application/json-patch+json`). */
export function applyJsonPatch(target: any, patch: unknown): any {
  if (!Array.isArray(patch)) {
    throw errors.badRequest(
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  }
  let doc = clone(target);
  for (const op of patch) {
    if (!isObject(op) || typeof op.path !== 'string') {
      throw errors.badRequest('invalid JSON patch operation: missing "path"');
    }
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, clone(op.value), false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, clone(op.value), true);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'copy':
        doc = addAt(doc, op.path, clone(getAt(doc, op.from)), false);
        break;
      case 'move': {
        const value = removeAt(doc, op.from);
        doc = addAt(doc, op.path, value, false);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, op.path)) !== JSON.stringify(op.value)) {
          throw errors.invalidPatch(
            `testing value ${op.path} failed: test failed`,
          );
        }
        break;
      default:
        throw errors.invalidPatch(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

/** RFC 7386 JSON Merge Patch (`application/merge-patch+json`). */
export function applyMergePatch(target: any, patch: any): any {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, any> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/**
 * The merge keys of the lists Kubernetes merges by key (`patchMergeKey` in the API
 * types). Lists not named here are atomic: a patch replaces them.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  env: 'name',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  addresses: 'type',
};

/** Primitive lists merged as sets rather than replaced. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

/** The merge key for a list field, or undefined when the list is atomic. */
export function mergeKeyFor(
  field: string,
  items: unknown[],
): string | undefined {
  if (field === 'ports') {
    return items.some(i => isObject(i) && 'containerPort' in i)
      ? 'containerPort'
      : 'port';
  }
  return MERGE_KEYS[field];
}

function sameKey(a: any, b: any, key: string) {
  return isObject(a) && isObject(b) && String(a[key]) === String(b[key]);
}

function mergeList(field: string, live: unknown, patch: any[]): any[] {
  const current = Array.isArray(live) ? live : [];
  if (patch.length > 0 && patch.every(p => !isObject(p))) {
    return MERGED_PRIMITIVE_LISTS.has(field)
      ? [...current, ...patch.filter(p => !current.includes(p))]
      : clone(patch);
  }
  if (patch.some(p => isObject(p) && p.$patch === 'replace')) {
    return patch
      .filter(p => !(isObject(p) && p.$patch === 'replace'))
      .map(stripDirectives);
  }
  const key = mergeKeyFor(field, [...current, ...patch]);
  if (!key) return patch.map(stripDirectives);
  const out = current.map(clone);
  for (const item of patch) {
    const index = out.findIndex(existing => sameKey(existing, item, key));
    if (isObject(item) && item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) {
      out[index] = applyStrategicMergePatch(out[index], item);
    } else {
      out.push(stripDirectives(item));
    }
  }
  return out;
}

function stripDirectives(value: any): any {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    if (v !== null) out[k] = stripDirectives(v);
  }
  return out;
}

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), approximated: maps
 * merge, lists merge by the Kubernetes merge keys in MERGE_KEYS and are otherwise
 * replaced, `null` deletes, and the directives `$patch` (replace/delete),
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` are
 * honoured (the element order directive is accepted and ignored).
 */
export function applyStrategicMergePatch(target: any, patch: any): any {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, any> = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key.startsWith('$setElementOrder/')) continue;
    if (key === '$retainKeys') continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(value)) {
        out[field] = out[field].filter((v: unknown) => !value.includes(v));
      }
      continue;
    }
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value)) {
      out[key] = mergeList(key, out[key], value);
    } else if (isObject(value)) {
      const merged = applyStrategicMergePatch(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const key of Object.keys(out)) {
      if (!patch.$retainKeys.includes(key)) delete out[key];
    }
  }
  return out;
}
