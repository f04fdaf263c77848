import { StatusError } from './errors';
import { mergeKeyFor } from './patch';
import { ResourceType } from './resources';
import { KubeObject, ManagedFieldsEntry } from './types';

/* eslint-disable no-param-reassign */

/**
 * Field ownership for server-side apply, in the API's `FieldsV1` vocabulary: a path is a
 * list of segments `f:<field>`, `k:<json key of a list item>` and `.` (the list item
 * itself). Leaves are primitives, atomic lists and empty maps.
 */
type Path = string[];
const SEP = '\u0000';

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Metadata fields the server owns; never part of anyone's field set. */
const SERVER_FIELDS = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** Flattens an object into leaf paths and their JSON values. */
export function leaves(obj: any, includeStatus = false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: any, path: Path, field: string) => {
    if (Array.isArray(value)) {
      const key = mergeKeyFor(field, value);
      if (key && value.every(isObject)) {
        for (const item of value) {
          const itemPath = [
            ...path,
            `k:${JSON.stringify({ [key]: item[key] })}`,
          ];
          out.set([...itemPath, '.'].join(SEP), '{}');
          for (const [k, v] of Object.entries(item))
            walk(v, [...itemPath, `f:${k}`], k);
        }
        return;
      }
      out.set(path.join(SEP), JSON.stringify(value));
      return;
    }
    if (isObject(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0 && path.length > 0) {
        out.set(path.join(SEP), '{}');
        return;
      }
      for (const [k, v] of entries) walk(v, [...path, `f:${k}`], k);
      return;
    }
    out.set(path.join(SEP), JSON.stringify(value));
  };
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'status' && !includeStatus) continue;
    if (k === 'metadata' && isObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (SERVER_FIELDS.has(mk) || mk === 'name' || mk === 'namespace')
          continue;
        walk(mv, ['f:metadata', `f:${mk}`], mk);
      }
      continue;
    }
    walk(v, [`f:${k}`], k);
  }
  return out;
}

/** Converts a set of paths into the nested `fieldsV1` form. */
export function toFieldsV1(paths: Iterable<string>): Record<string, any> {
  const root: Record<string, any> = {};
  for (const path of paths) {
    let node = root;
    for (const segment of path.split(SEP)) {
      node[segment] = node[segment] ?? {};
      node = node[segment];
    }
  }
  return root;
}

export function fromFieldsV1(
  fields: Record<string, any> | undefined,
): Set<string> {
  const out = new Set<string>();
  const walk = (node: Record<string, any>, path: Path) => {
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length > 0) {
      out.add(path.join(SEP));
      return;
    }
    for (const key of keys) walk(node[key], [...path, key]);
  };
  walk(fields ?? {}, []);
  return out;
}

function within(path: string, prefix: string) {
  return path === prefix || path.startsWith(prefix + SEP);
}

/** Removes the field (or list item) at a path from an object, in place. */
function removePath(obj: any, path: string) {
  const segments = path.split(SEP);
  let parent: any = obj;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1 || segments[i + 1] === '.';
    if (segment.startsWith('f:')) {
      const key = segment.slice(2);
      if (!isObject(parent) || !(key in parent)) return;
      if (last) {
        delete parent[key];
        return;
      }
      parent = parent[key];
    } else if (segment.startsWith('k:')) {
      const key = JSON.parse(segment.slice(2));
      if (!Array.isArray(parent)) return;
      const [name, value] = Object.entries(key)[0];
      const index = parent.findIndex(
        item => isObject(item) && String(item[name]) === String(value),
      );
      if (index < 0) return;
      if (last) {
        parent.splice(index, 1);
        return;
      }
      parent = parent[index];
    }
  }
}

/** Merges an applied configuration into the live object: maps and keyed lists merge. */
function mergeApplied(live: any, applied: any, field = ''): any {
  if (Array.isArray(applied)) {
    const key = mergeKeyFor(field, applied);
    if (!key || !applied.every(isObject) || !Array.isArray(live))
      return applied;
    const out = [...live];
    for (const item of applied) {
      const index = out.findIndex(
        e => isObject(e) && String(e[key]) === String(item[key]),
      );
      if (index >= 0) out[index] = mergeApplied(out[index], item);
      else out.push(item);
    }
    return out;
  }
  if (!isObject(applied) || !isObject(live)) return applied;
  const out: Record<string, any> = { ...live };
  for (const [k, v] of Object.entries(applied))
    out[k] = mergeApplied(live[k], v, k);
  return out;
}

function entrySet(entry: ManagedFieldsEntry) {
  return fromFieldsV1(entry.fieldsV1);
}

function findEntry(
  managed: ManagedFieldsEntry[],
  manager: string,
  operation: 'Apply' | 'Update',
  subresource?: string,
) {
  return managed.find(
    m =>
      m.manager === manager &&
      m.operation === operation &&
      m.subresource === subresource,
  );
}

function setEntry(
  managed: ManagedFieldsEntry[],
  apiVersion: string,
  manager: string,
  operation: 'Apply' | 'Update',
  paths: Set<string>,
  subresource?: string,
): ManagedFieldsEntry[] {
  const rest = managed.filter(
    m =>
      !(
        m.manager === manager &&
        m.operation === operation &&
        m.subresource === subresource
      ),
  );
  if (paths.size === 0) return rest;
  return [
    ...rest,
    {
      manager,
      operation,
      apiVersion,
      time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1([...paths].sort()),
      ...(subresource ? { subresource } : {}),
    },
  ];
}

/**
 * Records an Update operation: the fields whose value the change set or altered become
 * the manager's, and leave every other manager's set; removed fields leave all sets.
 */
export function trackUpdate(
  previous: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  apiVersion: string,
  subresource?: string,
) {
  const status = subresource === 'status';
  const before = leaves(previous, status);
  const after = leaves(next, status);
  const changed = new Set<string>();
  for (const [path, value] of after)
    if (before.get(path) !== value) changed.add(path);
  let managed = [...(previous?.metadata.managedFields ?? [])];
  managed = managed.map(entry => {
    const paths = entrySet(entry);
    let touched = false;
    for (const path of paths) {
      if (!after.has(path) || changed.has(path)) {
        if (
          !(subresource === undefined && path.startsWith('f:status')) ||
          status
        ) {
          paths.delete(path);
          touched = true;
        }
      }
    }
    return touched
      ? { ...entry, fieldsV1: toFieldsV1([...paths].sort()) }
      : entry;
  });
  managed = managed.filter(entry => Object.keys(entry.fieldsV1).length > 0);
  if (changed.size > 0) {
    const own = findEntry(managed, manager, 'Update', subresource);
    const paths = own ? entrySet(own) : new Set<string>();
    for (const path of changed) paths.add(path);
    managed = setEntry(
      managed,
      apiVersion,
      manager,
      'Update',
      paths,
      subresource,
    );
  }
  next.metadata.managedFields = managed.length > 0 ? managed : undefined;
  if (!next.metadata.managedFields) delete next.metadata.managedFields;
}

/**
 * Server-side apply of `applied` by `manager` onto `live` (undefined when creating).
 * Fields another manager owns with a different value are conflicts (409) unless
 * `force`; fields this manager applied before and no longer applies are removed unless
 * another manager also owns them.
 */
export function serverSideApply(
  type: ResourceType,
  live: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  force: boolean,
  apiVersion: string,
  subresource?: string,
): KubeObject {
  const status = subresource === 'status';
  const appliedPaths = new Set(leaves(applied, status).keys());
  const liveValues = leaves(live, status);
  const appliedValues = leaves(applied, status);
  let managed = [...(live?.metadata.managedFields ?? [])];

  const conflicts: {
    manager: string;
    path: string;
    field: string;
    using: string;
  }[] = [];
  for (const entry of managed) {
    if (entry.manager === manager) continue;
    for (const path of entrySet(entry)) {
      if (!appliedPaths.has(path)) continue;
      if (liveValues.get(path) !== appliedValues.get(path)) {
        conflicts.push({
          manager: entry.manager,
          path,
          field: fieldPathText(path),
          // The real message names the API version for managers that updated.
          using:
            entry.operation === 'Update' ? ` using ${entry.apiVersion}` : '',
        });
      }
    }
  }
  if (conflicts.length > 0 && !force) {
    const described = conflicts.map(
      c => `conflict with "${c.manager}"${c.using}: ${c.field}`,
    );
    throw new StatusError(
      409,
      'Conflict',
      `Apply failed with ${conflicts.length} conflict${
        conflicts.length > 1 ? 's' : ''
      }: ${described.join('\n')}`,
      {
        name: applied.metadata.name,
        ...(type.group ? { group: type.group } : {}),
        kind: type.resource,
        causes: conflicts.map(c => ({
          reason: 'FieldManagerConflict',
          message: `conflict with "${c.manager}"${c.using}`,
          field: c.field,
        })),
      },
    );
  }

  // Conflicting fields taken over with force leave their previous owners.
  const taken = new Set(conflicts.map(c => c.path));
  managed = managed
    .map(entry => {
      if (entry.manager === manager) return entry;
      const paths = entrySet(entry);
      let touched = false;
      for (const path of taken) {
        if (paths.delete(path)) touched = true;
      }
      return touched
        ? { ...entry, fieldsV1: toFieldsV1([...paths].sort()) }
        : entry;
    })
    .filter(entry => Object.keys(entry.fieldsV1).length > 0);

  const base: any = live ? JSON.parse(JSON.stringify(live)) : { metadata: {} };
  const merged = mergeApplied(base, stripServerFields(applied)) as KubeObject;

  const previous = findEntry(managed, manager, 'Apply', subresource);
  if (previous) {
    const others = new Set<string>();
    for (const entry of managed) {
      if (entry === previous) continue;
      for (const path of entrySet(entry)) others.add(path);
    }
    for (const path of entrySet(previous)) {
      if (appliedPaths.has(path)) continue;
      const ownedElsewhere = [...others].some(o =>
        within(o, path.endsWith(`${SEP}.`) ? path.slice(0, -2) : path),
      );
      if (!ownedElsewhere) removePath(merged, path);
    }
  }
  managed = setEntry(
    managed,
    apiVersion,
    manager,
    'Apply',
    appliedPaths,
    subresource,
  );
  merged.metadata.managedFields = managed;
  return merged;
}

/** `.spec.template.spec.containers[name="web"].image`, as the API prints a path. */
function fieldPathText(path: string) {
  return path
    .split(SEP)
    .filter(segment => segment !== '.')
    .map(segment => {
      if (segment.startsWith('f:')) return `.${segment.slice(2)}`;
      const key = JSON.parse(segment.slice(2));
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

function stripServerFields(obj: KubeObject): KubeObject {
  const metadata: any = { ...obj.metadata };
  for (const key of SERVER_FIELDS) delete metadata[key];
  return { ...obj, metadata };
}
