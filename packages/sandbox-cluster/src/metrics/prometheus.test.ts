import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { renderMetrics, ScrapeInput } from './prometheus';
import { KObject, UsageModel } from './usage';

const MI = 2 ** 20;
const NOW = Date.parse('2025-01-01T12:00:00Z');
const PROMTOOL = '/usr/bin/promtool';

/**
 * promtool (Debian's prometheus package) validates the exposition format. `./k2 test`
 * sets K2_REQUIRE_PROMTOOL=1 once it has the tool, and then a missing binary fails
 * these checks; run by hand without it, they are reported as skipped, never passed.
 */
const havePromtool = fs.existsSync(PROMTOOL);
if (!havePromtool && process.env.K2_REQUIRE_PROMTOOL === '1') {
  throw new Error(
    `${PROMTOOL} is missing and K2_REQUIRE_PROMTOOL=1 says the exposition format must be validated; install it (apt-get install -y prometheus)`,
  );
}
const itWithPromtool = havePromtool ? it : it.skip;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Parsed {
  samples: Sample[];
  help: Map<string, string>;
  type: Map<string, string>;
}

function unescapeLabel(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** A strict-enough parser of the text format for assertions. */
function parseExposition(text: string): Parsed {
  expect(text.endsWith('\n')).toBe(true);
  const samples: Sample[] = [];
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const seenSamplesOf = new Set<string>();
  let current = '';
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(
      line,
    );
    if (comment) {
      const [, kind, name, rest] = comment;
      const map = kind === 'HELP' ? help : type;
      if (map.has(name)) {
        throw new Error(`second ${kind} for ${name}`);
      }
      if (seenSamplesOf.has(name)) {
        throw new Error(`${kind} for ${name} after its samples`);
      }
      map.set(name, rest);
      current = name;
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match) {
      throw new Error(`unparseable line: ${line}`);
    }
    const [, name, body, value] = match;
    if (name !== current) {
      throw new Error(`sample of ${name} outside its family block`);
    }
    seenSamplesOf.add(name);
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
    let position = 0;
    while (position < body.length) {
      labelPattern.lastIndex = position;
      const label = labelPattern.exec(body);
      if (!label) {
        throw new Error(`bad labels: ${line}`);
      }
      if (label[1] in labels) {
        throw new Error(`duplicate label ${label[1]}: ${line}`);
      }
      labels[label[1]] = unescapeLabel(label[2]);
      position = labelPattern.lastIndex;
    }
    samples.push({ name, labels, value: Number(value) });
  }
  return { samples, help, type };
}

function find(parsed: Parsed, name: string, labels: Record<string, string>) {
  return parsed.samples.filter(
    s =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The one sample of `name` with exactly `labels`. */
function exact(
  parsed: Parsed,
  name: string,
  labels: Record<string, string>,
): number {
  const matches = parsed.samples.filter(
    s =>
      s.name === name &&
      JSON.stringify(sorted(s.labels)) === JSON.stringify(sorted(labels)),
  );
  if (matches.length !== 1) {
    throw new Error(
      `expected one ${name}${JSON.stringify(labels)}, found ${
        matches.length
      }; candidates: ${JSON.stringify(
        parsed.samples.filter(s => s.name === name).map(s => s.labels),
      )}`,
    );
  }
  return matches[0].value;
}

function sorted(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
}

const WEB_UID = '0f3c2a71-5b0e-4c4e-9d7c-1f2e3d4c5b6a';
const CRASH_UID = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

function webPod(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-7d9f8b6c5d-x2x9k',
      namespace: 'shop',
      uid: WEB_UID,
      labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' },
      ownerReferences: [
        {
          kind: 'ReplicaSet',
          name: 'web-7d9f8b6c5d',
          uid: 'rs-uid',
          controller: true,
        },
      ],
      creationTimestamp: '2025-01-01T11:00:00Z',
    },
    spec: {
      nodeName: 'sandbox-node-1',
      priorityClassName: 'high',
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/shop/web:1.4.2',
          resources: {
            requests: { cpu: '250m', memory: '256Mi' },
            limits: { cpu: '1', memory: '512Mi' },
          },
        },
        {
          name: 'envoy',
          image: 'envoyproxy/envoy:v1.29.0',
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
        },
      ],
    },
    status: {
      phase: 'Running',
      hostIP: '10.0.0.11',
      podIP: '10.244.1.17',
      startTime: '2025-01-01T11:00:01Z',
      qosClass: 'Burstable',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      containerStatuses: [
        {
          name: 'web',
          image: 'registry.example.com/shop/web:1.4.2',
          imageID: 'registry.example.com/shop/web@sha256:aaaa',
          containerID: `containerd://${'a'.repeat(64)}`,
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: '2025-01-01T11:00:05Z' } },
        },
        {
          name: 'envoy',
          image: 'envoyproxy/envoy:v1.29.0',
          imageID: 'docker.io/envoyproxy/envoy@sha256:bbbb',
          containerID: `containerd://${'b'.repeat(64)}`,
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: '2025-01-01T11:00:04Z' } },
        },
      ],
    },
  };
}

function crashPod(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'worker-6c8d9f7b4-qq7zt',
      namespace: 'shop',
      uid: CRASH_UID,
      ownerReferences: [
        {
          kind: 'ReplicaSet',
          name: 'worker-6c8d9f7b4',
          uid: 'rs2',
          controller: true,
        },
      ],
      deletionTimestamp: '2025-01-01T12:00:30Z',
    },
    spec: {
      nodeName: 'sandbox-node-1',
      containers: [
        {
          name: 'worker',
          image: 'registry.example.com/shop/worker:2.0.0',
          resources: { limits: { memory: '128Mi' } },
        },
      ],
    },
    status: {
      phase: 'Running',
      hostIP: '10.0.0.11',
      podIP: '10.244.1.18',
      startTime: '2025-01-01T11:30:00Z',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        {
          name: 'worker',
          image: 'registry.example.com/shop/worker:2.0.0',
          imageID: 'registry.example.com/shop/worker@sha256:cccc',
          containerID: `containerd://${'c'.repeat(64)}`,
          ready: false,
          restartCount: 3,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: 'back-off 40s restarting failed container',
            },
          },
          lastState: {
            terminated: {
              reason: 'OOMKilled',
              exitCode: 137,
              startedAt: '2025-01-01T11:58:00Z',
              finishedAt: '2025-01-01T11:59:00Z',
            },
          },
        },
      ],
    },
  };
}

function fixture(): ScrapeInput {
  return {
    cluster: 'sandbox',
    now: NOW,
    usage: new UsageModel(),
    pods: [webPod(), crashPod()],
    nodes: [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'sandbox-node-1' },
        spec: {},
        status: {
          nodeInfo: { kubeletVersion: 'v1.31.0' },
          addresses: [
            { type: 'InternalIP', address: '10.0.0.11' },
            { type: 'Hostname', address: 'sandbox-node-1' },
          ],
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'MemoryPressure', status: 'False' },
          ],
          capacity: { cpu: '8', memory: '32Gi', pods: '110' },
          allocatable: { cpu: '7910m', memory: '31Gi', pods: '110' },
        },
      },
    ],
    deployments: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'web',
          namespace: 'shop',
          generation: 4,
          labels: {
            'app.kubernetes.io/name': 'web',
            team: 'checkout "core"\\eu\nwest',
          },
        },
        spec: { replicas: 3 },
        status: {
          observedGeneration: 4,
          replicas: 3,
          readyReplicas: 2,
          availableReplicas: 2,
          unavailableReplicas: 1,
          updatedReplicas: 3,
        },
      },
    ],
    replicasets: [
      {
        metadata: {
          name: 'web-7d9f8b6c5d',
          namespace: 'shop',
          ownerReferences: [
            { kind: 'Deployment', name: 'web', uid: 'd1', controller: true },
          ],
        },
      },
      { metadata: { name: 'orphan-rs', namespace: 'shop' } },
    ],
    statefulsets: [
      {
        metadata: { name: 'db', namespace: 'shop' },
        spec: { replicas: 3 },
        status: { readyReplicas: 2, currentReplicas: 3, updatedReplicas: 1 },
      },
    ],
    hpas: [
      {
        metadata: { name: 'web', namespace: 'shop' },
        spec: { minReplicas: 2, maxReplicas: 10 },
        status: { currentReplicas: 3, desiredReplicas: 4 },
      },
    ],
  };
}

function promtoolCheck(text: string): {
  status: number | null;
  output: string;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-metrics-'));
  const file = path.join(dir, 'metrics.prom');
  try {
    fs.writeFileSync(file, text);
    const fd = fs.openSync(file, 'r');
    try {
      const result = spawnSync(PROMTOOL, ['check', 'metrics'], {
        stdio: [fd, 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 60_000,
      });
      return {
        status: result.status,
        output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
      };
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('renderMetrics', () => {
  const text = renderMetrics(fixture());
  const parsed = parseExposition(text);

  const webContainer = (container: string, image: string, hash: string) => ({
    namespace: 'shop',
    pod: 'web-7d9f8b6c5d-x2x9k',
    container,
    image,
    name: `k8s_${container}_web-7d9f8b6c5d-x2x9k_shop_${WEB_UID}_0`,
    id: `/kubepods/burstable/pod${WEB_UID}/${hash.repeat(64)}`,
    node: 'sandbox-node-1',
  });
  const web = webContainer('web', 'registry.example.com/shop/web:1.4.2', 'a');
  const envoy = webContainer('envoy', 'envoyproxy/envoy:v1.29.0', 'b');
  const webPodLevel = {
    namespace: 'shop',
    pod: 'web-7d9f8b6c5d-x2x9k',
    container: '',
    image: '',
    name: '',
    id: `/kubepods/burstable/pod${WEB_UID}`,
    node: 'sandbox-node-1',
  };
  const webPodLabels = {
    namespace: 'shop',
    pod: 'web-7d9f8b6c5d-x2x9k',
    uid: WEB_UID,
  };
  const crashLabels = {
    namespace: 'shop',
    pod: 'worker-6c8d9f7b4-qq7zt',
    uid: CRASH_UID,
  };

  it('does not add a cluster label', () => {
    expect(parsed.samples.some(s => 'cluster' in s.labels)).toBe(false);
  });

  it('has HELP and TYPE once for every family', () => {
    const names = new Set(parsed.samples.map(s => s.name));
    for (const name of names) {
      expect(parsed.help.has(name)).toBe(true);
      expect(parsed.type.has(name)).toBe(true);
    }
    expect(parsed.type.get('container_cpu_usage_seconds_total')).toBe(
      'counter',
    );
    expect(parsed.type.get('kube_pod_container_status_restarts_total')).toBe(
      'counter',
    );
    expect(parsed.type.get('container_memory_working_set_bytes')).toBe('gauge');
  });

  it('has no duplicate series', () => {
    const keys = parsed.samples.map(
      s => `${s.name}${JSON.stringify(sorted(s.labels))}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('renders cAdvisor series for running containers', () => {
    const cpuWeb = exact(parsed, 'container_cpu_usage_seconds_total', web);
    const cpuEnvoy = exact(parsed, 'container_cpu_usage_seconds_total', envoy);
    expect(cpuWeb).toBeGreaterThan(0);
    expect(
      exact(parsed, 'container_cpu_usage_seconds_total', webPodLevel),
    ).toBeCloseTo(cpuWeb + cpuEnvoy, 6);

    const usage = exact(parsed, 'container_memory_usage_bytes', web);
    const cache = exact(parsed, 'container_memory_cache', web);
    const workingSet = exact(parsed, 'container_memory_working_set_bytes', web);
    const rss = exact(parsed, 'container_memory_rss', web);
    expect(usage).toBeGreaterThan(0.35 * 512 * MI);
    expect(usage).toBeLessThan(0.55 * 512 * MI);
    expect(workingSet).toBeLessThanOrEqual(usage);
    expect(workingSet).toBeGreaterThanOrEqual(usage - cache);
    expect(rss).toBe(usage - cache);
    expect(
      exact(parsed, 'container_memory_working_set_bytes', webPodLevel),
    ).toBe(
      workingSet + exact(parsed, 'container_memory_working_set_bytes', envoy),
    );
    expect(exact(parsed, 'container_memory_usage_bytes', webPodLevel)).toBe(
      usage + exact(parsed, 'container_memory_usage_bytes', envoy),
    );

    expect(exact(parsed, 'container_spec_memory_limit_bytes', web)).toBe(
      512 * MI,
    );
    expect(exact(parsed, 'container_spec_memory_limit_bytes', envoy)).toBe(0);
    expect(exact(parsed, 'container_spec_cpu_quota', web)).toBe(100000);
    expect(find(parsed, 'container_spec_cpu_quota', envoy)).toEqual([]);
    expect(exact(parsed, 'container_spec_cpu_period', envoy)).toBe(100000);
  });

  it('renders no cAdvisor series for containers that are not running', () => {
    expect(
      find(parsed, 'container_cpu_usage_seconds_total', {
        container: 'worker',
      }),
    ).toEqual([]);
    expect(
      find(parsed, 'container_memory_working_set_bytes', {
        pod: 'worker-6c8d9f7b4-qq7zt',
        container: '',
      }),
    ).toHaveLength(1);
  });

  it('renders kube-state-metrics pod series', () => {
    expect(
      exact(parsed, 'kube_pod_info', {
        ...webPodLabels,
        host_ip: '10.0.0.11',
        pod_ip: '10.244.1.17',
        node: 'sandbox-node-1',
        created_by_kind: 'ReplicaSet',
        created_by_name: 'web-7d9f8b6c5d',
        priority_class: 'high',
      }),
    ).toBe(1);
    expect(
      exact(parsed, 'kube_pod_info', {
        ...crashLabels,
        host_ip: '10.0.0.11',
        pod_ip: '10.244.1.18',
        node: 'sandbox-node-1',
        created_by_kind: 'ReplicaSet',
        created_by_name: 'worker-6c8d9f7b4',
        priority_class: '',
      }),
    ).toBe(1);
    for (const phase of [
      'Pending',
      'Running',
      'Succeeded',
      'Failed',
      'Unknown',
    ]) {
      expect(
        exact(parsed, 'kube_pod_status_phase', { ...webPodLabels, phase }),
      ).toBe(phase === 'Running' ? 1 : 0);
    }
    expect(
      exact(parsed, 'kube_pod_status_ready', {
        ...webPodLabels,
        condition: 'true',
      }),
    ).toBe(1);
    expect(
      exact(parsed, 'kube_pod_status_ready', {
        ...crashLabels,
        condition: 'false',
      }),
    ).toBe(1);
    expect(
      exact(parsed, 'kube_pod_status_ready', {
        ...crashLabels,
        condition: 'true',
      }),
    ).toBe(0);
    expect(
      exact(parsed, 'kube_pod_owner', {
        ...webPodLabels,
        owner_kind: 'ReplicaSet',
        owner_name: 'web-7d9f8b6c5d',
        owner_is_controller: 'true',
      }),
    ).toBe(1);
    expect(exact(parsed, 'kube_pod_start_time', webPodLabels)).toBe(
      Date.parse('2025-01-01T11:00:01Z') / 1000,
    );
    expect(exact(parsed, 'kube_pod_deletion_timestamp', crashLabels)).toBe(
      Date.parse('2025-01-01T12:00:30Z') / 1000,
    );
    expect(find(parsed, 'kube_pod_deletion_timestamp', webPodLabels)).toEqual(
      [],
    );
  });

  it('renders kube-state-metrics container series', () => {
    const webC = { ...webPodLabels, container: 'web' };
    const worker = { ...crashLabels, container: 'worker' };
    expect(
      exact(parsed, 'kube_pod_container_info', {
        ...webC,
        image: 'registry.example.com/shop/web:1.4.2',
        image_id: 'registry.example.com/shop/web@sha256:aaaa',
        container_id: `containerd://${'a'.repeat(64)}`,
      }),
    ).toBe(1);
    expect(exact(parsed, 'kube_pod_container_status_ready', webC)).toBe(1);
    expect(exact(parsed, 'kube_pod_container_status_running', webC)).toBe(1);
    expect(exact(parsed, 'kube_pod_container_status_waiting', webC)).toBe(0);
    expect(exact(parsed, 'kube_pod_container_status_terminated', webC)).toBe(0);
    expect(
      exact(parsed, 'kube_pod_container_status_restarts_total', webC),
    ).toBe(0);

    expect(exact(parsed, 'kube_pod_container_status_ready', worker)).toBe(0);
    expect(exact(parsed, 'kube_pod_container_status_running', worker)).toBe(0);
    expect(exact(parsed, 'kube_pod_container_status_waiting', worker)).toBe(1);
    expect(
      exact(parsed, 'kube_pod_container_status_restarts_total', worker),
    ).toBe(3);
    expect(
      exact(parsed, 'kube_pod_container_status_waiting_reason', {
        ...worker,
        reason: 'CrashLoopBackOff',
      }),
    ).toBe(1);
    expect(
      find(parsed, 'kube_pod_container_status_waiting_reason', webC),
    ).toEqual([]);
    expect(
      exact(parsed, 'kube_pod_container_status_last_terminated_reason', {
        ...worker,
        reason: 'OOMKilled',
      }),
    ).toBe(1);
    expect(
      exact(
        parsed,
        'kube_pod_container_status_last_terminated_exitcode',
        worker,
      ),
    ).toBe(137);
    expect(
      find(parsed, 'kube_pod_container_status_last_terminated_reason', webC),
    ).toEqual([]);

    const resources = { ...webC, node: 'sandbox-node-1' };
    expect(
      exact(parsed, 'kube_pod_container_resource_requests', {
        ...resources,
        resource: 'cpu',
        unit: 'core',
      }),
    ).toBe(0.25);
    expect(
      exact(parsed, 'kube_pod_container_resource_requests', {
        ...resources,
        resource: 'memory',
        unit: 'byte',
      }),
    ).toBe(256 * MI);
    expect(
      exact(parsed, 'kube_pod_container_resource_limits', {
        ...resources,
        resource: 'cpu',
        unit: 'core',
      }),
    ).toBe(1);
    expect(
      exact(parsed, 'kube_pod_container_resource_limits', {
        ...resources,
        resource: 'memory',
        unit: 'byte',
      }),
    ).toBe(512 * MI);
    expect(
      find(parsed, 'kube_pod_container_resource_limits', {
        container: 'envoy',
      }),
    ).toEqual([]);
  });

  it('renders workload series', () => {
    const deployment = { namespace: 'shop', deployment: 'web' };
    const expected: Record<string, number> = {
      kube_deployment_spec_replicas: 3,
      kube_deployment_status_replicas: 3,
      kube_deployment_status_replicas_available: 2,
      kube_deployment_status_replicas_unavailable: 1,
      kube_deployment_status_replicas_updated: 3,
      kube_deployment_status_replicas_ready: 2,
      kube_deployment_status_observed_generation: 4,
      kube_deployment_metadata_generation: 4,
    };
    for (const [name, value] of Object.entries(expected)) {
      expect(exact(parsed, name, deployment)).toBe(value);
    }
    expect(
      exact(parsed, 'kube_deployment_labels', {
        ...deployment,
        label_app_kubernetes_io_name: 'web',
        label_team: 'checkout "core"\\eu\nwest',
      }),
    ).toBe(1);
    expect(text).toContain('label_team="checkout \\"core\\"\\\\eu\\nwest"');

    expect(
      exact(parsed, 'kube_replicaset_owner', {
        namespace: 'shop',
        replicaset: 'web-7d9f8b6c5d',
        owner_kind: 'Deployment',
        owner_name: 'web',
        owner_is_controller: 'true',
      }),
    ).toBe(1);
    expect(
      exact(parsed, 'kube_replicaset_owner', {
        namespace: 'shop',
        replicaset: 'orphan-rs',
        owner_kind: '<none>',
        owner_name: '<none>',
        owner_is_controller: '<none>',
      }),
    ).toBe(1);

    const sts = { namespace: 'shop', statefulset: 'db' };
    expect(exact(parsed, 'kube_statefulset_replicas', sts)).toBe(3);
    expect(exact(parsed, 'kube_statefulset_status_replicas_ready', sts)).toBe(
      2,
    );
    expect(exact(parsed, 'kube_statefulset_status_replicas_current', sts)).toBe(
      3,
    );
    expect(exact(parsed, 'kube_statefulset_status_replicas_updated', sts)).toBe(
      1,
    );

    const hpa = { namespace: 'shop', horizontalpodautoscaler: 'web' };
    expect(
      exact(parsed, 'kube_horizontalpodautoscaler_spec_min_replicas', hpa),
    ).toBe(2);
    expect(
      exact(parsed, 'kube_horizontalpodautoscaler_spec_max_replicas', hpa),
    ).toBe(10);
    expect(
      exact(
        parsed,
        'kube_horizontalpodautoscaler_status_current_replicas',
        hpa,
      ),
    ).toBe(3);
    expect(
      exact(
        parsed,
        'kube_horizontalpodautoscaler_status_desired_replicas',
        hpa,
      ),
    ).toBe(4);
  });

  it('renders node series', () => {
    const node = { node: 'sandbox-node-1' };
    expect(
      exact(parsed, 'kube_node_info', {
        ...node,
        kubelet_version: 'v1.31.0',
        internal_ip: '10.0.0.11',
      }),
    ).toBe(1);
    for (const [condition, status, value] of [
      ['Ready', 'true', 1],
      ['Ready', 'false', 0],
      ['Ready', 'unknown', 0],
      ['MemoryPressure', 'false', 1],
      ['MemoryPressure', 'true', 0],
    ] as const) {
      expect(
        exact(parsed, 'kube_node_status_condition', {
          ...node,
          condition,
          status,
        }),
      ).toBe(value);
    }
    const resource = (r: string, unit: string) => ({
      ...node,
      resource: r,
      unit,
    });
    expect(
      exact(parsed, 'kube_node_status_allocatable', resource('cpu', 'core')),
    ).toBe(7.91);
    expect(
      exact(parsed, 'kube_node_status_allocatable', resource('memory', 'byte')),
    ).toBe(31 * 2 ** 30);
    expect(
      exact(parsed, 'kube_node_status_capacity', resource('pods', 'integer')),
    ).toBe(110);
    expect(
      exact(parsed, 'kube_node_status_capacity', resource('cpu', 'core')),
    ).toBe(8);
    expect(exact(parsed, 'kube_node_spec_unschedulable', node)).toBe(0);
  });

  it('follows steers in the cAdvisor series', () => {
    const input = fixture();
    input.usage.steer('shop', 'web', { cpu: 2, memory: 1024 * MI });
    const steered = parseExposition(renderMetrics(input));
    const memory =
      exact(steered, 'container_memory_usage_bytes', web) +
      exact(steered, 'container_memory_usage_bytes', envoy);
    expect(memory).toBeGreaterThan(0.98 * 1024 * MI);
    expect(memory).toBeLessThan(1.02 * 1024 * MI);
    // The counter keeps climbing at the steered rate.
    const before = exact(
      steered,
      'container_cpu_usage_seconds_total',
      webPodLevel,
    );
    input.now += 60_000;
    const later = parseExposition(renderMetrics(input));
    const after = exact(
      later,
      'container_cpu_usage_seconds_total',
      webPodLevel,
    );
    expect(after - before).toBeGreaterThan(0.98 * 120);
    expect(after - before).toBeLessThan(1.02 * 120);
  });

  itWithPromtool('passes promtool check metrics', () => {
    const input = fixture();
    // A larger cluster too, so every code path ends up in the check.
    input.pods.push(...syntheticPods(50));
    const { status, output } = promtoolCheck(renderMetrics(input));
    // promtool exits 0 when clean, 3 for lint findings only (naming, HELP),
    // 1 for parse errors. Lint-style findings are acceptable.
    const acceptable =
      status === 0 || (status === 3 && !/error|parsing/i.test(output));
    expect({ status, output, acceptable }).toEqual({
      status,
      output,
      acceptable: true,
    });
  });
});

describe('renderMetrics for one node (the kubelet cAdvisor scrape)', () => {
  function nodeInput(node: string): ScrapeInput {
    const input = fixture();
    const elsewhere = webPod();
    elsewhere.metadata.name = 'web-7d9f8b6c5d-other';
    elsewhere.metadata.uid = '11111111-2222-4333-8444-555555555555';
    elsewhere.spec.nodeName = 'sandbox-node-2';
    input.pods.push(elsewhere);
    return { ...input, node };
  }

  it('renders only the container_* families of the pods on that node, without a node label', () => {
    const parsed = parseExposition(renderMetrics(nodeInput('sandbox-node-1')));
    const families = new Set(parsed.samples.map(s => s.name));
    expect([...families].sort()).toEqual(
      [
        'container_cpu_usage_seconds_total',
        'container_memory_cache',
        'container_memory_rss',
        'container_memory_usage_bytes',
        'container_memory_working_set_bytes',
        'container_spec_cpu_period',
        'container_spec_cpu_quota',
        'container_spec_memory_limit_bytes',
      ].sort(),
    );
    expect([...parsed.help.keys()].every(n => n.startsWith('container_'))).toBe(
      true,
    );
    // Both pods on the node; the crash-looping one only with its pod cgroup, as it has
    // no running container.
    expect(
      new Set(parsed.samples.map(s => `${s.labels.pod}/${s.labels.container}`)),
    ).toEqual(
      new Set([
        'web-7d9f8b6c5d-x2x9k/web',
        'web-7d9f8b6c5d-x2x9k/envoy',
        'web-7d9f8b6c5d-x2x9k/',
        'worker-6c8d9f7b4-qq7zt/',
      ]),
    );
    for (const sample of parsed.samples) {
      expect(Object.keys(sample.labels).sort()).toEqual(
        ['container', 'id', 'image', 'name', 'namespace', 'pod'].sort(),
      );
    }
    expect(
      exact(parsed, 'container_spec_memory_limit_bytes', {
        namespace: 'shop',
        pod: 'web-7d9f8b6c5d-x2x9k',
        container: 'web',
        image: 'registry.example.com/shop/web:1.4.2',
        name: `k8s_web_web-7d9f8b6c5d-x2x9k_shop_${WEB_UID}_0`,
        id: `/kubepods/burstable/pod${WEB_UID}/${'a'.repeat(64)}`,
      }),
    ).toBe(512 * MI);
  });

  it('has the same values as the cluster-wide scrape', () => {
    const node = parseExposition(renderMetrics(nodeInput('sandbox-node-2')));
    const all = parseExposition(
      renderMetrics({ ...nodeInput('x'), node: undefined }),
    );
    expect(node.samples.length).toBeGreaterThan(0);
    for (const sample of node.samples) {
      expect(sample.labels.pod).toBe('web-7d9f8b6c5d-other');
      expect(
        exact(all, sample.name, { ...sample.labels, node: 'sandbox-node-2' }),
      ).toBe(sample.value);
    }
    const cadvisorSeries = all.samples.filter(
      s =>
        s.name.startsWith('container_') && s.labels.node === 'sandbox-node-2',
    );
    expect(node.samples).toHaveLength(cadvisorSeries.length);
  });

  itWithPromtool('passes promtool check metrics', () => {
    const input = nodeInput('node-7');
    input.pods.push(...syntheticPods(50));
    const text = renderMetrics(input);
    expect(text).toContain('pod="svc-7-');
    const { status, output } = promtoolCheck(text);
    const acceptable =
      status === 0 || (status === 3 && !/error|parsing/i.test(output));
    expect({ status, output, acceptable }).toEqual({
      status,
      output,
      acceptable: true,
    });
  });

  it('renders nothing for a node without running pods', () => {
    expect(renderMetrics(nodeInput('sandbox-node-9'))).toBe('');
  });
});

function syntheticPods(count: number): KObject[] {
  const pods: KObject[] = [];
  for (let i = 0; i < count; i++) {
    const deployment = `svc-${i % 97}`;
    const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const name = `${deployment}-5f7c9d8b6-${i.toString(36).padStart(5, 'a')}`;
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: `ns-${i % 40}`,
        uid,
        ownerReferences: [
          {
            kind: 'ReplicaSet',
            name: `${deployment}-5f7c9d8b6`,
            uid: `rs-${deployment}`,
            controller: true,
          },
        ],
      },
      spec: {
        nodeName: `node-${i % 50}`,
        containers: [
          {
            name: 'app',
            image: `registry.example.com/${deployment}:1.0.${i % 7}`,
            resources: {
              requests: { cpu: '100m', memory: '128Mi' },
              limits: { cpu: '500m', memory: '256Mi' },
            },
          },
          {
            name: 'sidecar',
            image: 'registry.example.com/sidecar:2.3.1',
            resources: { requests: { cpu: '10m', memory: '32Mi' } },
          },
        ],
      },
      status: {
        phase: 'Running',
        hostIP: `10.0.${Math.floor(i / 250)}.${i % 250}`,
        podIP: `10.244.${Math.floor(i / 250)}.${i % 250}`,
        startTime: '2025-01-01T10:00:00Z',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: ['app', 'sidecar'].map(c => ({
          name: c,
          image: `registry.example.com/${c}:1`,
          imageID: `registry.example.com/${c}@sha256:${i}`,
          containerID: `containerd://${uid.replace(/-/g, '')}${c}`,
          ready: true,
          restartCount: i % 3,
          state: { running: { startedAt: '2025-01-01T10:00:10Z' } },
        })),
      },
    });
  }
  return pods;
}
