import { SandboxCluster } from '../cluster';
import { KubeObject } from '../api/types';
import { isPodReady } from '../controllers/runtime';
import { poll as until } from '../__testUtils__/http';

jest.setTimeout(30000);

describe('kubelet failure modes', () => {
  let cluster: SandboxCluster;
  /** Every waiting reason each pod's first container has shown, in order. */
  let waitingReasons: Map<string, string[]>;
  /** Event reasons per pod, in the order the events were created. */
  let eventLog: Map<string, KubeObject[]>;

  beforeEach(() => {
    cluster = new SandboxCluster({ name: 'x', tokens: ['t'], timeScale: 0.05 });
    waitingReasons = new Map();
    eventLog = new Map();
    cluster.store.onChange(event => {
      if (event.resource.group !== '' || event.type === 'DELETED') return;
      if (event.resource.resource === 'pods') {
        const reason =
          event.object.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        const seen = waitingReasons.get(event.object.metadata.name) ?? [];
        if (reason && seen[seen.length - 1] !== reason) seen.push(reason);
        waitingReasons.set(event.object.metadata.name, seen);
      } else if (
        event.resource.resource === 'events' &&
        event.type === 'ADDED' &&
        event.object.involvedObject?.kind === 'Pod'
      ) {
        const name = event.object.involvedObject.name;
        eventLog.set(name, [...(eventLog.get(name) ?? []), event.object]);
      }
    });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  const podType = () => cluster.type('', 'pods');
  const podsOf = (app: string) =>
    cluster.store
      .list(podType(), 'default')
      .filter(p => p.metadata.labels?.app === app);
  const firstPod = (app: string) => podsOf(app)[0];
  const containerStatus = (pod: KubeObject | undefined) =>
    pod?.status?.containerStatuses?.[0];
  const eventsOf = (pod: KubeObject) =>
    cluster.store
      .list(cluster.type('', 'events'), 'default')
      .filter(e => e.involvedObject?.uid === pod.metadata.uid);
  const condition = (pod: KubeObject, type: string) =>
    (pod.status?.conditions ?? []).find((c: any) => c.type === type);

  function deploy(
    app: string,
    image: string,
    options: {
      annotations?: Record<string, string>;
      resources?: object;
    } = {},
  ) {
    cluster.registry.create(cluster.type('apps', 'deployments'), 'default', {
      metadata: { name: app },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app } },
        template: {
          metadata: {
            labels: { app },
            ...(options.annotations
              ? { annotations: options.annotations }
              : {}),
          },
          spec: {
            containers: [
              {
                name: 'main',
                image,
                ...(options.resources ? { resources: options.resources } : {}),
              },
            ],
          },
        },
      },
    });
  }

  it('shows ErrImagePull, then ImagePullBackOff, with Failed and BackOff events', async () => {
    deploy('pull', 'x:1-pullerror');
    await until('ImagePullBackOff', () =>
      podsOf('pull').some(
        p => containerStatus(p)?.state?.waiting?.reason === 'ImagePullBackOff',
      ),
    );
    const pod = firstPod('pull');
    expect(waitingReasons.get(pod.metadata.name)).toEqual([
      'ContainerCreating',
      'ErrImagePull',
      'ImagePullBackOff',
    ]);
    expect(pod.status.phase).toBe('Pending');
    expect(containerStatus(pod)).toMatchObject({
      ready: false,
      restartCount: 0,
    });
    expect(containerStatus(pod).state.waiting.message).toBe(
      'Back-off pulling image "x:1-pullerror"',
    );
    expect(condition(pod, 'Ready')?.status).toBe('False');

    const events = eventsOf(pod);
    const failed = events.filter(e => e.reason === 'Failed');
    expect(failed.every(e => e.type === 'Warning')).toBe(true);
    expect(failed.map(e => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Failed to pull image "x:1-pullerror": /),
        'Error: ErrImagePull',
        'Error: ImagePullBackOff',
      ]),
    );
    // As in Kubernetes, the image back-off itself is a Normal event; the Warning is
    // the "Error: ImagePullBackOff" Failed event next to it.
    const backOff = events.find(e => e.reason === 'BackOff');
    expect(backOff?.message).toBe('Back-off pulling image "x:1-pullerror"');
    expect(backOff?.source).toMatchObject({ component: 'kubelet' });
    expect(backOff?.involvedObject.fieldPath).toBe('spec.containers{main}');
    // No container ever started.
    expect(events.map(e => e.reason)).not.toContain('Started');
  });

  it('restarts a crashing container with CrashLoopBackOff and an Error last state', async () => {
    deploy('crash', 'x:1-crashloop');
    await until('two restarts', () =>
      podsOf('crash').some(p => (containerStatus(p)?.restartCount ?? 0) >= 2),
    );
    const pod = firstPod('crash');
    const status = containerStatus(pod);
    expect(status.lastState.terminated).toMatchObject({
      reason: 'Error',
      exitCode: 1,
    });
    expect(waitingReasons.get(pod.metadata.name)).toContain('CrashLoopBackOff');
    expect(pod.status.phase).toBe('Running');

    let restarts = status.restartCount;
    await until('the restart count to grow', () => {
      const now = containerStatus(firstPod('crash'))?.restartCount ?? 0;
      const grew = now > restarts;
      restarts = Math.max(restarts, now);
      return grew;
    });
    expect(containerStatus(firstPod('crash')).restartCount).toBeGreaterThan(2);

    const backOff = eventsOf(pod).find(e => e.reason === 'BackOff');
    expect(backOff?.type).toBe('Warning');
    expect(backOff?.message).toMatch(
      /^Back-off restarting failed container main in pod /,
    );
    expect(backOff?.count).toBeGreaterThanOrEqual(2);
  });

  it('keeps a never-ready container Running but not Ready, with Unhealthy events', async () => {
    deploy('stuck', 'x:1-neverready');
    await until('an Unhealthy event', () => {
      const pod = firstPod('stuck');
      return pod && eventsOf(pod).some(e => e.reason === 'Unhealthy');
    });
    const pod = firstPod('stuck');
    expect(pod.status.phase).toBe('Running');
    expect(containerStatus(pod).state.running).toBeDefined();
    expect(containerStatus(pod).ready).toBe(false);
    expect(containerStatus(pod).restartCount).toBe(0);
    expect(isPodReady(pod)).toBe(false);
    expect(condition(pod, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    const unhealthy = eventsOf(pod).find(e => e.reason === 'Unhealthy')!;
    expect(unhealthy.type).toBe('Warning');
    expect(unhealthy.message).toMatch(/^Readiness probe failed: /);
  });

  it.each([
    ['by image tag', 'oom-tag', 'x:1-oomkill', {}],
    [
      'by annotation',
      'oom-annotation',
      'x:1',
      { 'sandbox.k2.io/failure': 'oom-killed' },
    ],
  ])(
    'kills a container out of memory (%s) with OOMKilled, exit code 137',
    async (_how, app, image, annotations) => {
      deploy(app, image, {
        annotations: {
          ...annotations,
          'sandbox.k2.io/oom-after-seconds': '1',
        },
        resources: { limits: { memory: '256Mi' } },
      });
      await until('an OOM kill', () =>
        podsOf(app).some(
          p => containerStatus(p)?.lastState?.terminated !== undefined,
        ),
      );
      const status = containerStatus(firstPod(app));
      expect(status.lastState.terminated).toMatchObject({
        reason: 'OOMKilled',
        exitCode: 137,
      });
      expect(status.restartCount).toBeGreaterThanOrEqual(1);
    },
  );

  it('records Scheduled, Pulling, Pulled, Created, Started in order for a healthy pod', async () => {
    deploy('ok', 'x:1');
    await until('a ready pod', () => podsOf('ok').some(p => isPodReady(p)));
    const pod = firstPod('ok');
    const reasons = (eventLog.get(pod.metadata.name) ?? []).map(e => e.reason);
    expect(reasons).toEqual([
      'Scheduled',
      'Pulling',
      'Pulled',
      'Created',
      'Started',
    ]);
    const events = eventLog.get(pod.metadata.name)!;
    expect(events.every(e => e.type === 'Normal')).toBe(true);
    expect(events[0].source.component).toBe('default-scheduler');
    expect(events[0].message).toBe(
      `Successfully assigned default/${pod.metadata.name} to ${pod.spec.nodeName}`,
    );
    expect(events.slice(1).every(e => e.source.component === 'kubelet')).toBe(
      true,
    );
    expect(condition(pod, 'PodScheduled')?.status).toBe('True');
    expect(pod.status.podIP).toMatch(/^10\.244\./);
  });

  it('leaves a pod that fits no node Pending and Unschedulable', async () => {
    deploy('huge', 'x:1', { resources: { requests: { cpu: '64' } } });
    await until('a FailedScheduling event', () => {
      const pod = firstPod('huge');
      return pod && eventsOf(pod).some(e => e.reason === 'FailedScheduling');
    });
    const pod = firstPod('huge');
    expect(pod.status.phase).toBe('Pending');
    expect(pod.spec.nodeName).toBeUndefined();
    expect(condition(pod, 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
    });
    expect(condition(pod, 'PodScheduled').message).toMatch(/Insufficient cpu/);
    const failed = eventsOf(pod).find(e => e.reason === 'FailedScheduling')!;
    expect(failed.type).toBe('Warning');
    expect(failed.message).toMatch(
      /^0\/3 nodes are available: 3 Insufficient cpu\./,
    );
    expect(failed.source.component).toBe('default-scheduler');
  });

  describe('logs over HTTP', () => {
    const auth = { Authorization: 'Bearer t' };
    const logUrl = (pod: string, query: string) =>
      `${cluster.url}/api/v1/namespaces/default/pods/${pod}/log?${query}`;

    it('serves the previous run of a crashing container, ending in a fatal line', async () => {
      await cluster.listen(0);
      deploy('crash', 'x:1-crashloop');
      await until('a terminated previous run', () =>
        podsOf('crash').some(p => containerStatus(p)?.lastState?.terminated),
      );
      const pod = firstPod('crash');
      const res = await fetch(logUrl(pod.metadata.name, 'previous=true'), {
        headers: auth,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const lines = (await res.text()).split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(1);
      expect(lines[lines.length - 1]).toMatch(
        /fatal|panic|Traceback|Exception|^\s+at /i,
      );
    });

    it('serves the last run of a container waiting to restart, as the kubelet does', async () => {
      await cluster.listen(0);
      deploy('crash', 'x:1-crashloop');
      const pod = await until('a container waiting after a run', () =>
        podsOf('crash').find(
          p =>
            containerStatus(p)?.state?.waiting &&
            containerStatus(p)?.lastState?.terminated,
        ),
      );
      const read = async (query: string) => {
        const res = await fetch(logUrl(pod.metadata.name, query), {
          headers: auth,
        });
        expect(res.status).toBe(200);
        return res.text();
      };
      const current = await read('tailLines=50');
      expect(current.split('\n').filter(Boolean).length).toBeGreaterThan(1);
      expect(current).toBe(await read('tailLines=50&previous=true'));
    });

    it('shows an OOM kill in lastState over the API and serves the killed run with previous=true', async () => {
      await cluster.listen(0);
      deploy('oom', 'registry.example.com/payments/ledger-java:2.1-oomkill', {
        annotations: { 'sandbox.k2.io/oom-after-seconds': '20' },
        resources: { limits: { memory: '512Mi' } },
      });
      const name = (await until('the pod', () => firstPod('oom'))).metadata
        .name;
      const getPod = async () => {
        const res = await fetch(
          `${cluster.url}/api/v1/namespaces/default/pods/${name}`,
          { headers: auth },
        );
        expect(res.status).toBe(200);
        return res.json();
      };
      const first = await until('an OOM kill', async () => {
        const s = (await getPod()).status?.containerStatuses?.[0];
        return s?.lastState?.terminated ? s : undefined;
      });
      const killed = first.lastState.terminated;
      expect(killed).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
      expect(first.restartCount).toBeGreaterThanOrEqual(1);
      expect(killed.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
      const startedAt = Date.parse(killed.startedAt);
      const finishedAt = Date.parse(killed.finishedAt);
      expect(killed.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(killed.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(finishedAt).toBeGreaterThanOrEqual(startedAt);

      // The previous run's lines: all from the killed run, the JVM's OOM at the end.
      const res = await fetch(logUrl(name, 'previous=true&timestamps=true'), {
        headers: auth,
      });
      expect(res.status).toBe(200);
      const lines = (await res.text()).split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) {
        const at = Date.parse(line.slice(0, line.indexOf(' ')));
        // RFC 3339 seconds in the status, nanoseconds in the log.
        expect(at).toBeGreaterThanOrEqual(startedAt);
        expect(at).toBeLessThan(finishedAt + 1000);
      }
      expect(lines.join('\n')).toMatch(/OutOfMemoryError|Heap usage/);

      // It restarts with a new container, and is OOM-killed again.
      const second = await until('a second OOM kill', async () => {
        const s = (await getPod()).status?.containerStatuses?.[0];
        return s?.restartCount > first.restartCount ? s : undefined;
      });
      expect(second.lastState.terminated).toMatchObject({
        reason: 'OOMKilled',
        exitCode: 137,
      });
      expect(second.lastState.terminated.containerID).not.toBe(
        killed.containerID,
      );
      expect(
        Date.parse(second.lastState.terminated.startedAt),
      ).toBeGreaterThanOrEqual(finishedAt);
      const again = await fetch(logUrl(name, 'previous=true'), {
        headers: auth,
      });
      expect(again.status).toBe(200);
      expect((await again.text()).length).toBeGreaterThan(0);
    });

    it('follows a running container and streams new lines', async () => {
      await cluster.listen(0);
      deploy('ok', 'x:1');
      await until('a running container', () =>
        podsOf('ok').some(p => containerStatus(p)?.state?.running),
      );
      const pod = firstPod('ok');
      const controller = new AbortController();
      const res = await fetch(
        logUrl(pod.metadata.name, 'follow=true&timestamps=true'),
        { headers: auth, signal: controller.signal },
      );
      expect(res.status).toBe(200);
      // The response has started: the lines up to now were written at once, so a
      // line stamped later than this can only come from following the log.
      const responded = Date.now();
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      /** Lines stamped after the response started: what `follow` adds. */
      const fresh: string[] = [];
      let ended = false;
      const reading = (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) {
              ended = true;
              return;
            }
            buffer += decoder.decode(value, { stream: true });
            let i = buffer.indexOf('\n');
            while (i >= 0) {
              const line = buffer.slice(0, i);
              buffer = buffer.slice(i + 1);
              const stamp = Date.parse(line.slice(0, line.indexOf(' ')));
              if (stamp > responded) fresh.push(line);
              i = buffer.indexOf('\n');
            }
          }
        } catch {
          // Aborted below.
        }
      })();
      try {
        // Periodic lines come every 5 s by default; the stream polls every 0.5 s.
        await until(
          'a new log line on the followed stream',
          () => Boolean(fresh.length > 0 || ended),
          7500,
        );
        expect(ended).toBe(false);
        expect(fresh.length).toBeGreaterThan(0);
        expect(fresh[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z \S/);
      } finally {
        controller.abort();
        await reading;
      }
    });
  });
});
