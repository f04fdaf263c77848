import { ResourceType } from './resources';
import { KubeObject } from './types';

type Column = {
  name: string;
  type?: string;
  format?: string;
  priority?: number;
  cell: (obj: KubeObject, now: number) => string | number;
};

/** kubectl's HumanDuration, so AGE reads as it does against a real cluster. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const name: Column = {
  name: 'Name',
  format: 'name',
  cell: o => o.metadata.name,
};
const age: Column = {
  name: 'Age',
  cell: (o, now) =>
    humanDuration(now - Date.parse(o.metadata.creationTimestamp ?? '')),
};
const n = (v: unknown) => (typeof v === 'number' ? v : 0);

/** The STATUS column of `kubectl get pods`. */
export function podStatusText(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  let reason: string = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  for (const c of pod.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  return reason;
}

const COLUMNS: Record<string, Column[]> = {
  '/pods': [
    name,
    {
      name: 'Ready',
      cell: o => {
        const s: any[] = o.status?.containerStatuses ?? [];
        return `${s.filter(c => c.ready).length}/${
          o.spec?.containers?.length ?? 0
        }`;
      },
    },
    { name: 'Status', cell: podStatusText },
    {
      name: 'Restarts',
      type: 'string',
      cell: o =>
        String(
          (o.status?.containerStatuses ?? []).reduce(
            (sum: number, c: any) => sum + n(c.restartCount),
            0,
          ),
        ),
    },
    age,
    { name: 'IP', priority: 1, cell: o => o.status?.podIP ?? '<none>' },
    { name: 'Node', priority: 1, cell: o => o.spec?.nodeName ?? '<none>' },
  ],
  'apps/deployments': [
    name,
    {
      name: 'Ready',
      cell: o => `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas)}`,
    },
    {
      name: 'Up-to-date',
      type: 'integer',
      cell: o => n(o.status?.updatedReplicas),
    },
    {
      name: 'Available',
      type: 'integer',
      cell: o => n(o.status?.availableReplicas),
    },
    age,
    {
      name: 'Containers',
      priority: 1,
      cell: o =>
        (o.spec?.template?.spec?.containers ?? [])
          .map((c: any) => c.name)
          .join(','),
    },
    {
      name: 'Images',
      priority: 1,
      cell: o =>
        (o.spec?.template?.spec?.containers ?? [])
          .map((c: any) => c.image)
          .join(','),
    },
  ],
  'apps/replicasets': [
    name,
    { name: 'Desired', type: 'integer', cell: o => n(o.spec?.replicas) },
    { name: 'Current', type: 'integer', cell: o => n(o.status?.replicas) },
    { name: 'Ready', type: 'integer', cell: o => n(o.status?.readyReplicas) },
    age,
  ],
  'apps/statefulsets': [
    name,
    {
      name: 'Ready',
      cell: o => `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas)}`,
    },
    age,
  ],
  'policy/poddisruptionbudgets': [
    name,
    {
      name: 'Min Available',
      cell: o => String(o.spec?.minAvailable ?? 'N/A'),
    },
    {
      name: 'Max Unavailable',
      cell: o => String(o.spec?.maxUnavailable ?? 'N/A'),
    },
    {
      name: 'Allowed Disruptions',
      type: 'integer',
      cell: o => n(o.status?.disruptionsAllowed),
    },
    age,
  ],
  'apps/daemonsets': [
    name,
    {
      name: 'Desired',
      type: 'integer',
      cell: o => n(o.status?.desiredNumberScheduled),
    },
    {
      name: 'Current',
      type: 'integer',
      cell: o => n(o.status?.currentNumberScheduled),
    },
    { name: 'Ready', type: 'integer', cell: o => n(o.status?.numberReady) },
    age,
  ],
  '/services': [
    name,
    { name: 'Type', cell: o => o.spec?.type ?? 'ClusterIP' },
    { name: 'Cluster-IP', cell: o => o.spec?.clusterIP ?? '<none>' },
    { name: 'External-IP', cell: () => '<none>' },
    {
      name: 'Port(s)',
      cell: o =>
        (o.spec?.ports ?? [])
          .map((p: any) => `${p.port}/${p.protocol ?? 'TCP'}`)
          .join(',') || '<none>',
    },
    age,
  ],
  '/nodes': [
    name,
    {
      name: 'Status',
      cell: o => {
        const ready = (o.status?.conditions ?? []).find(
          (c: any) => c.type === 'Ready',
        );
        const text = ready?.status === 'True' ? 'Ready' : 'NotReady';
        return o.spec?.unschedulable ? `${text},SchedulingDisabled` : text;
      },
    },
    { name: 'Roles', cell: () => '<none>' },
    age,
    { name: 'Version', cell: o => o.status?.nodeInfo?.kubeletVersion ?? '' },
  ],
  '/endpoints': [
    name,
    {
      name: 'Endpoints',
      cell: o => {
        const all = (o.subsets ?? []).flatMap((s: any) =>
          (s.addresses ?? []).flatMap((a: any) =>
            (s.ports ?? []).map((p: any) => `${a.ip}:${p.port}`),
          ),
        );
        if (all.length === 0) return '<none>';
        return all.length > 3
          ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...`
          : all.join(',');
      },
    },
    age,
  ],
  '/namespaces': [
    name,
    { name: 'Status', cell: o => o.status?.phase ?? '' },
    age,
  ],
  '/events': [
    {
      name: 'Last Seen',
      cell: (o, now) =>
        humanDuration(
          now -
            Date.parse(o.lastTimestamp ?? o.metadata.creationTimestamp ?? ''),
        ),
    },
    { name: 'Type', cell: o => o.type ?? '' },
    { name: 'Reason', cell: o => o.reason ?? '' },
    {
      name: 'Object',
      cell: o =>
        `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${
          o.involvedObject?.name ?? ''
        }`,
    },
    { name: 'Message', cell: o => o.message ?? '' },
  ],
  '/persistentvolumeclaims': [
    name,
    { name: 'Status', cell: o => o.status?.phase ?? '' },
    { name: 'Volume', cell: o => o.spec?.volumeName ?? '' },
    { name: 'Capacity', cell: o => o.status?.capacity?.storage ?? '' },
    {
      name: 'Access Modes',
      cell: o =>
        (o.status?.accessModes ?? [])
          .map(
            (m: string) =>
              ({
                ReadWriteOnce: 'RWO',
                ReadOnlyMany: 'ROX',
                ReadWriteMany: 'RWX',
              }[m] ?? m),
          )
          .join(','),
    },
    { name: 'StorageClass', cell: o => o.spec?.storageClassName ?? '' },
    age,
  ],
  'batch/jobs': [
    name,
    {
      name: 'Completions',
      cell: o => `${n(o.status?.succeeded)}/${n(o.spec?.completions)}`,
    },
    age,
  ],
  'autoscaling/horizontalpodautoscalers': [
    name,
    {
      name: 'Reference',
      cell: o =>
        `${o.spec?.scaleTargetRef?.kind}/${o.spec?.scaleTargetRef?.name}`,
    },
    { name: 'MinPods', type: 'integer', cell: o => n(o.spec?.minReplicas) },
    { name: 'MaxPods', type: 'integer', cell: o => n(o.spec?.maxReplicas) },
    {
      name: 'Replicas',
      type: 'integer',
      cell: o => n(o.status?.currentReplicas),
    },
    age,
  ],
};

/** What a Table row carries, by `includeObject` (default: the object's metadata). */
function rowObject(obj: KubeObject, includeObject: string | undefined) {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return obj;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: obj.metadata,
  };
}

/** A `meta.k8s.io/v1` Table, what kubectl asks for when it prints `get` output. */
export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  includeObject: string | undefined,
) {
  const columns = COLUMNS[`${type.group}/${type.resource}`] ?? [name, age];
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map(c => ({
      name: c.name,
      type: c.type ?? 'string',
      format: c.format ?? '',
      description: '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map(obj => ({
      cells: columns.map(c => c.cell(obj, now)),
      object: rowObject(obj, includeObject),
    })),
  };
}
