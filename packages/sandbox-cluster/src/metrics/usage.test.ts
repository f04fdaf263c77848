/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectWithin"] }] */
import { KObject, UsageModel, parseQuantity } from './usage';

const MI = 2 ** 20;
const T0 = Date.parse('2025-01-01T12:00:00Z');
const STARTED = '2025-01-01T11:00:00Z';
const STARTED_MS = Date.parse(STARTED);

interface PodOptions {
  name: string;
  namespace?: string;
  uid?: string;
  owner?: { kind: string; name: string };
  annotations?: Record<string, string>;
  containers?: {
    name: string;
    image?: string;
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  }[];
  startedAt?: string;
  phase?: string;
}

function makePod(options: PodOptions): KObject {
  const containers = options.containers ?? [
    {
      name: 'main',
      requests: { cpu: '200m', memory: '128Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    },
  ];
  const startedAt = options.startedAt ?? STARTED;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      namespace: options.namespace ?? 'team-a',
      uid:
        options.uid ?? `uid-${options.namespace ?? 'team-a'}-${options.name}`,
      annotations: options.annotations,
      ownerReferences: options.owner
        ? [
            {
              kind: options.owner.kind,
              name: options.owner.name,
              uid: `uid-${options.owner.name}`,
              controller: true,
            },
          ]
        : undefined,
    },
    spec: {
      nodeName: 'node-1',
      containers: containers.map(c => ({
        name: c.name,
        image: c.image ?? `registry.example.com/${c.name}:1.0.0`,
        resources: { requests: c.requests, limits: c.limits },
      })),
    },
    status: {
      phase: options.phase ?? 'Running',
      startTime: startedAt,
      containerStatuses: containers.map(c => ({
        name: c.name,
        ready: true,
        restartCount: 0,
        state: { running: { startedAt } },
      })),
    },
  };
}

function rsPod(name: string, deployment: string, namespace = 'team-a') {
  return makePod({
    name: `${deployment}-7d9f8b6c5d-${name}`,
    namespace,
    owner: { kind: 'ReplicaSet', name: `${deployment}-7d9f8b6c5d` },
  });
}

function expectWithin(actual: number, expected: number, fraction: number) {
  expect(actual).toBeGreaterThanOrEqual(expected * (1 - fraction) - 1e-9);
  expect(actual).toBeLessThanOrEqual(expected * (1 + fraction) + 1e-9);
}

/** Times spread over more than one wave period. */
const TIMES = Array.from({ length: 40 }, (_, i) => T0 + i * 17_000);

describe('parseQuantity', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['1Gi', 1073741824],
    ['512Mi', 536870912],
    ['100M', 1e8],
    ['1e3', 1000],
    ['1.5', 1.5],
    ['250m', 0.25],
    ['300m', 0.3],
    ['1k', 1000],
    ['4Ki', 4096],
    ['100n', 1e-7],
    ['1E', 1e18],
    ['.5', 0.5],
    [' 2Gi ', 2 * 2 ** 30],
    [3, 3],
  ])('parses %p', (text, expected) => {
    expect(parseQuantity(text)).toBeCloseTo(expected, 12);
  });

  it.each(['', 'abc', '1Xi', '1.2.3', 'm', '--1', '1 Gi', 'Gi'])(
    'gives NaN for %p',
    text => {
      expect(parseQuantity(text)).toBeNaN();
    },
  );

  it('gives NaN for undefined', () => {
    expect(parseQuantity(undefined)).toBeNaN();
  });
});

describe('UsageModel.workloadOf', () => {
  it('strips the pod-template hash of a ReplicaSet owner', () => {
    expect(UsageModel.workloadOf(rsPod('abcde', 'web'))).toBe('web');
    expect(UsageModel.workloadOf(rsPod('abcde', 'my-web-app'))).toBe(
      'my-web-app',
    );
  });

  it('uses the pod-template-hash label when it is there', () => {
    const pod = makePod({
      name: 'api-v2-5c6d-xyz12',
      owner: { kind: 'ReplicaSet', name: 'api-v2-5c6d' },
    });
    pod.metadata.labels = { 'pod-template-hash': '5c6d' };
    expect(UsageModel.workloadOf(pod)).toBe('api-v2');
  });

  it('uses the StatefulSet, DaemonSet and Job names', () => {
    expect(
      UsageModel.workloadOf(
        makePod({ name: 'db-0', owner: { kind: 'StatefulSet', name: 'db' } }),
      ),
    ).toBe('db');
    expect(
      UsageModel.workloadOf(
        makePod({
          name: 'agent-x1y2z',
          owner: { kind: 'DaemonSet', name: 'agent' },
        }),
      ),
    ).toBe('agent');
    expect(
      UsageModel.workloadOf(
        makePod({
          name: 'migrate-28391-abcde',
          owner: { kind: 'Job', name: 'migrate-28391' },
        }),
      ),
    ).toBe('migrate-28391');
  });

  it('uses the pod name for bare pods', () => {
    expect(UsageModel.workloadOf(makePod({ name: 'debug-shell' }))).toBe(
      'debug-shell',
    );
  });
});

describe('UsageModel.containerUsage', () => {
  it('defaults to 15% of the CPU request and 45% of the memory limit, ±15%', () => {
    const model = new UsageModel();
    const pod = rsPod('aaaaa', 'web');
    for (const now of TIMES) {
      const usage = model.containerUsage(pod, 'main', now);
      expectWithin(usage.cpuCores, 0.2 * 0.15, 0.15);
      expectWithin(usage.memoryUsageBytes, 512 * MI * 0.45, 0.15);
    }
  });

  it('defaults to 0.05 cores and 128Mi without request and limit', () => {
    const model = new UsageModel();
    const pod = makePod({ name: 'bare', containers: [{ name: 'main' }] });
    const usage = model.containerUsage(pod, 'main', T0);
    expectWithin(usage.cpuCores, 0.05, 0.15);
    expectWithin(usage.memoryUsageBytes, 128 * MI, 0.15);
  });

  it('is deterministic and varies between pods and over time', () => {
    const model = new UsageModel();
    const a = rsPod('aaaaa', 'web');
    const b = rsPod('bbbbb', 'web');
    expect(model.containerUsage(a, 'main', T0)).toEqual(
      new UsageModel().containerUsage(a, 'main', T0),
    );
    const cpuA = TIMES.map(t => model.containerUsage(a, 'main', t).cpuCores);
    const cpuB = TIMES.map(t => model.containerUsage(b, 'main', t).cpuCores);
    expect(cpuA).not.toEqual(cpuB);
    expect(new Set(cpuA.map(v => v.toFixed(6))).size).toBeGreaterThan(10);
  });

  it('keeps the memory breakdown consistent', () => {
    const model = new UsageModel();
    for (const pod of [rsPod('aaaaa', 'web'), makePod({ name: 'x' })]) {
      for (const now of TIMES) {
        const u = model.containerUsage(pod, 'main', now);
        expect(Number.isInteger(u.memoryUsageBytes)).toBe(true);
        expectWithin(u.memoryCacheBytes, u.memoryUsageBytes * 0.2, 0.001);
        expect(u.memoryWorkingSetBytes).toBeLessThanOrEqual(u.memoryUsageBytes);
        expect(u.memoryWorkingSetBytes).toBeGreaterThanOrEqual(
          u.memoryUsageBytes - u.memoryCacheBytes,
        );
        expect(u.memoryRssBytes).toBe(u.memoryUsageBytes - u.memoryCacheBytes);
      }
    }
  });

  it('steers exactly the pods of one workload, within ±2%', () => {
    const model = new UsageModel();
    const web1 = rsPod('aaaaa', 'web');
    const web2 = rsPod('bbbbb', 'web');
    const api = rsPod('ccccc', 'api');
    const otherNamespace = rsPod('ddddd', 'web', 'team-b');
    const webDb = makePod({
      name: 'web-0',
      owner: { kind: 'StatefulSet', name: 'web-db' },
    });
    const before = [api, otherNamespace, webDb].map(p =>
      TIMES.map(t => model.containerUsage(p, 'main', t)),
    );

    model.steer('team-a', 'web', { cpu: 0.8, memory: 300 * MI });
    expect(model.steers()).toEqual([
      {
        namespace: 'team-a',
        workload: 'web',
        usage: { cpu: 0.8, memory: 300 * MI },
      },
    ]);
    for (const pod of [web1, web2]) {
      for (const now of TIMES) {
        const usage = model.containerUsage(pod, 'main', now);
        expectWithin(usage.cpuCores, 0.8, 0.02);
        expectWithin(usage.memoryUsageBytes, 300 * MI, 0.02);
      }
    }
    const after = [api, otherNamespace, webDb].map(p =>
      TIMES.map(t => model.containerUsage(p, 'main', t)),
    );
    expect(after).toEqual(before);

    model.steer('team-a', 'web', { cpu: 0.1 });
    for (const now of TIMES) {
      const usage = model.containerUsage(web1, 'main', now);
      expectWithin(usage.cpuCores, 0.1, 0.02);
      // Memory is back to the default: 45% of the 512Mi limit ±15%.
      expectWithin(usage.memoryUsageBytes, 512 * MI * 0.45, 0.15);
    }

    model.steer('team-a', 'web', undefined);
    expect(model.steers()).toEqual([]);
    expect(model.containerUsage(web1, 'main', T0)).toEqual(
      new UsageModel().containerUsage(web1, 'main', T0),
    );
  });

  it('splits a steer over the containers of a pod by their requests', () => {
    const model = new UsageModel();
    const pod = makePod({
      name: 'web-7d9f8b6c5d-aaaaa',
      owner: { kind: 'ReplicaSet', name: 'web-7d9f8b6c5d' },
      containers: [
        {
          name: 'app',
          requests: { cpu: '300m' },
          limits: { memory: '768Mi' },
        },
        {
          name: 'proxy',
          requests: { cpu: '100m' },
          limits: { memory: '256Mi' },
        },
      ],
    });
    model.steer('team-a', 'web', { cpu: 1, memory: 1024 * MI });
    for (const now of TIMES) {
      const app = model.containerUsage(pod, 'app', now);
      const proxy = model.containerUsage(pod, 'proxy', now);
      expectWithin(app.cpuCores, 0.75, 0.02);
      expectWithin(proxy.cpuCores, 0.25, 0.02);
      expectWithin(app.cpuCores + proxy.cpuCores, 1, 0.02);
      expectWithin(app.memoryUsageBytes, 768 * MI, 0.02);
      expectWithin(proxy.memoryUsageBytes, 256 * MI, 0.02);
    }
  });

  it('uses the usage annotations, within ±2%, below a steer', () => {
    const model = new UsageModel();
    const pod = makePod({
      name: 'annotated',
      annotations: {
        'sandbox.k2.io/cpu-usage': '250m',
        'sandbox.k2.io/memory-usage': '300Mi',
      },
    });
    for (const now of TIMES) {
      const usage = model.containerUsage(pod, 'main', now);
      expectWithin(usage.cpuCores, 0.25, 0.02);
      expectWithin(usage.memoryUsageBytes, 300 * MI, 0.02);
    }
    model.steer('team-a', 'annotated', { cpu: 2 });
    const steered = model.containerUsage(pod, 'main', T0);
    expectWithin(steered.cpuCores, 2, 0.02);
    expectWithin(steered.memoryUsageBytes, 300 * MI, 0.02);
  });

  it('ignores garbage annotations', () => {
    const model = new UsageModel();
    const pod = makePod({
      name: 'garbage',
      annotations: { 'sandbox.k2.io/cpu-usage': 'lots' },
    });
    expectWithin(model.containerUsage(pod, 'main', T0).cpuCores, 0.03, 0.15);
  });

  it('uses nothing for pods that are not running and waiting containers', () => {
    const model = new UsageModel();
    const pending = makePod({ name: 'pending', phase: 'Pending' });
    expect(model.containerUsage(pending, 'main', T0).cpuCores).toBe(0);
    const crashing = makePod({ name: 'crashing' });
    crashing.status.containerStatuses[0].state = {
      waiting: { reason: 'CrashLoopBackOff' },
    };
    expect(model.containerUsage(crashing, 'main', T0)).toEqual({
      cpuCores: 0,
      memoryUsageBytes: 0,
      memoryCacheBytes: 0,
      memoryWorkingSetBytes: 0,
      memoryRssBytes: 0,
    });
    expect(
      model.containerUsage(makePod({ name: 'x' }), 'nope', T0).cpuCores,
    ).toBe(0);
  });

  describe('OOM failure mode', () => {
    const startedAt = '2025-01-01T12:00:00Z';

    it('grows memory linearly from 50% to 100% of the limit', () => {
      const model = new UsageModel();
      const pod = makePod({
        name: 'leaky',
        startedAt,
        annotations: { 'sandbox.k2.io/failure': 'oom-killed' },
        containers: [{ name: 'main', limits: { memory: '256Mi' } }],
      });
      const at = (seconds: number) =>
        model.containerUsage(pod, 'main', T0 + seconds * 1000);
      expect(at(0).memoryUsageBytes).toBe(128 * MI);
      expect(at(15).memoryUsageBytes).toBe(192 * MI);
      expect(at(29).memoryUsageBytes).toBeLessThan(256 * MI);
      expect(at(30).memoryUsageBytes).toBe(256 * MI);
      expect(at(30).memoryWorkingSetBytes).toBe(256 * MI);
      expect(at(120).memoryUsageBytes).toBe(256 * MI);
      let previous = 0;
      for (let s = 0; s <= 30; s++) {
        const u = at(s);
        expect(u.memoryUsageBytes).toBeGreaterThanOrEqual(previous);
        expect(u.memoryWorkingSetBytes).toBeLessThanOrEqual(u.memoryUsageBytes);
        previous = u.memoryUsageBytes;
      }
    });

    it('follows an oomkill image tag and oom-after-seconds', () => {
      const model = new UsageModel();
      const pod = makePod({
        name: 'leaky-image',
        startedAt,
        annotations: { 'sandbox.k2.io/oom-after-seconds': '10' },
        containers: [
          {
            name: 'main',
            image: 'registry.example.com:5000/app:1.0-oomkill',
            limits: { memory: '1Gi' },
          },
          { name: 'sidecar', image: 'registry.example.com/oomkill/proxy:1' },
        ],
      });
      expect(
        model.containerUsage(pod, 'main', T0 + 5000).memoryUsageBytes,
      ).toBe(768 * MI);
      expect(
        model.containerUsage(pod, 'main', T0 + 10_000).memoryUsageBytes,
      ).toBe(1024 * MI);
      // Only the tag counts, not the repository path.
      expectWithin(
        model.containerUsage(pod, 'sidecar', T0 + 10_000).memoryUsageBytes,
        128 * MI,
        0.15,
      );
    });

    it('starts over with a new run', () => {
      const model = new UsageModel();
      const pod = makePod({
        name: 'leaky',
        startedAt,
        annotations: { 'sandbox.k2.io/failure': 'oom-killed' },
        containers: [{ name: 'main', limits: { memory: '256Mi' } }],
      });
      expect(
        model.containerUsage(pod, 'main', T0 + 60_000).memoryUsageBytes,
      ).toBe(256 * MI);
      pod.status.containerStatuses[0].state.running.startedAt =
        '2025-01-01T12:01:00Z';
      expect(
        model.containerUsage(pod, 'main', T0 + 60_000).memoryUsageBytes,
      ).toBe(128 * MI);
    });
  });
});

describe('UsageModel.cpuSecondsTotal', () => {
  it('integrates the rate from the run start', () => {
    const model = new UsageModel();
    const pod = rsPod('aaaaa', 'web');
    model.steer('team-a', 'web', { cpu: 2 });
    const first = model.cpuSecondsTotal(pod, 'main', T0);
    expectWithin(first, (2 * (T0 - STARTED_MS)) / 1000, 0.02);
    const later = model.cpuSecondsTotal(pod, 'main', T0 + 60_000);
    expectWithin(later - first, 120, 0.02);
  });

  it('never decreases across time and steer changes', () => {
    const model = new UsageModel();
    const pod = rsPod('aaaaa', 'web');
    let previous = -1;
    let now = T0;
    const values: number[] = [];
    for (let i = 0; i < 200; i++) {
      if (i === 50) model.steer('team-a', 'web', { cpu: 4 });
      if (i === 100) model.steer('team-a', 'web', { cpu: 0.01 });
      if (i === 150) model.steer('team-a', 'web', undefined);
      const value = model.cpuSecondsTotal(pod, 'main', now);
      expect(value).toBeGreaterThanOrEqual(previous);
      values.push(value);
      previous = value;
      now += 15_000;
    }
    // The steered stretch climbs at 4 cores: 49 intervals of 15 s.
    expectWithin(values[99] - values[50], 4 * 15 * 49, 0.02);
    expectWithin(values[149] - values[100], 0.01 * 15 * 49, 0.02);
    // Going back in time does not decrease it either.
    expect(model.cpuSecondsTotal(pod, 'main', T0)).toBe(previous);
  });

  it('resets for a new run and freezes while not running', () => {
    const model = new UsageModel();
    const pod = rsPod('aaaaa', 'web');
    model.steer('team-a', 'web', { cpu: 1 });
    const before = model.cpuSecondsTotal(pod, 'main', T0);
    expect(before).toBeGreaterThan(3000);

    const status = pod.status.containerStatuses[0];
    status.state = { terminated: { reason: 'Error', exitCode: 1 } };
    expect(model.cpuSecondsTotal(pod, 'main', T0 + 30_000)).toBe(before);

    status.restartCount = 1;
    status.state = { running: { startedAt: '2025-01-01T12:01:00Z' } };
    const restarted = model.cpuSecondsTotal(pod, 'main', T0 + 90_000);
    expectWithin(restarted, 30, 0.02);
    expect(model.cpuSecondsTotal(pod, 'main', T0 + 150_000)).toBeGreaterThan(
      restarted,
    );
  });

  it('forgets pruned pods only', () => {
    const model = new UsageModel();
    const kept = rsPod('aaaaa', 'web');
    const gone = rsPod('bbbbb', 'web');
    model.steer('team-a', 'web', { cpu: 1 });
    model.cpuSecondsTotal(kept, 'main', T0);
    model.cpuSecondsTotal(gone, 'main', T0);
    // A rate change the counters integrate.
    model.steer('team-a', 'web', { cpu: 3 });
    const keptBefore = model.cpuSecondsTotal(kept, 'main', T0 + 600_000);
    const goneBefore = model.cpuSecondsTotal(gone, 'main', T0 + 600_000);

    model.prune(new Set([kept.metadata.uid as string]));
    const keptAfter = model.cpuSecondsTotal(kept, 'main', T0 + 600_000);
    const goneAfter = model.cpuSecondsTotal(gone, 'main', T0 + 600_000);
    expect(keptAfter).toBe(keptBefore);
    // Started over: integrated from the run start at the current rate.
    expect(goneAfter).not.toBe(goneBefore);
    expectWithin(goneAfter, (3 * (T0 + 600_000 - STARTED_MS)) / 1000, 0.02);
  });
});
