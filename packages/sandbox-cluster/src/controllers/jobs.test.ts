import { SandboxCluster } from '../cluster';
import { KubeObject } from '../api/types';
import { controllerOf } from './runtime';
import { poll as until } from '../__testUtils__/http';

jest.setTimeout(30000);

describe('Job controller', () => {
  let cluster: SandboxCluster;

  beforeEach(() => {
    cluster = new SandboxCluster({ name: 'x', tokens: ['t'], timeScale: 0.05 });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  const jobType = () => cluster.type('batch', 'jobs');
  const job = (name: string) =>
    cluster.registry.find(jobType(), 'default', name)!;
  const jobPods = (name: string) =>
    cluster.store
      .list(cluster.type('', 'pods'), 'default')
      .filter(
        p => controllerOf(p)?.kind === 'Job' && controllerOf(p)?.name === name,
      );
  const isActive = (p: KubeObject) =>
    !p.metadata.deletionTimestamp &&
    p.status?.phase !== 'Succeeded' &&
    p.status?.phase !== 'Failed';
  const condition = (name: string, type: string) =>
    (job(name).status?.conditions ?? []).find(
      (c: any) => c.type === type && c.status === 'True',
    );
  const jobEvents = (name: string) =>
    cluster.store
      .list(cluster.type('', 'events'), 'default')
      .filter(
        e =>
          e.involvedObject?.kind === 'Job' && e.involvedObject?.name === name,
      );

  function createJob(name: string, spec: object, image: string) {
    cluster.registry.create(jobType(), 'default', {
      metadata: { name },
      spec: {
        ...spec,
        template: {
          metadata: { labels: { app: name } },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'work', image }],
          },
        },
      },
    });
  }

  it('runs 3 completions at most 2 at a time and ends Complete', async () => {
    let maxActive = 0;
    const created = new Set<string>();
    cluster.store.onChange(event => {
      if (event.resource.resource !== 'pods' || event.resource.group !== '')
        return;
      if (controllerOf(event.object)?.name !== 'batch') return;
      if (event.type === 'ADDED') created.add(event.object.metadata.name);
      maxActive = Math.max(maxActive, jobPods('batch').filter(isActive).length);
    });

    createJob('batch', { completions: 3, parallelism: 2 }, 'batch:1');
    await until('the Job to be Complete', () =>
      Boolean(condition('batch', 'Complete')),
    );

    const status = job('batch').status;
    expect(status.succeeded).toBe(3);
    expect(status.failed).toBeUndefined();
    expect(status.active).toBeUndefined();
    expect(status.completionTime).toBeDefined();
    expect(status.startTime).toBeDefined();
    expect(condition('batch', 'Failed')).toBeUndefined();
    expect(maxActive).toBe(2);
    expect(created.size).toBe(3);
    const pods = jobPods('batch');
    expect(pods.map(p => p.status.phase)).toEqual([
      'Succeeded',
      'Succeeded',
      'Succeeded',
    ]);
    for (const pod of pods) {
      expect(pod.metadata.labels?.['batch.kubernetes.io/job-name']).toBe(
        'batch',
      );
      expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({
        reason: 'Completed',
        exitCode: 0,
      });
    }
    expect(jobEvents('batch').map(e => e.reason)).toContain('Completed');
  });

  it('fails a crash-looping Job with BackoffLimitExceeded after backoffLimit + 1 failures', async () => {
    createJob('broken', { backoffLimit: 1 }, 'batch:1-crashloop');
    await until('the Job to be Failed', () =>
      Boolean(condition('broken', 'Failed')),
    );

    const failed = condition('broken', 'Failed');
    expect(failed.reason).toBe('BackoffLimitExceeded');
    expect(condition('broken', 'Complete')).toBeUndefined();
    const status = job('broken').status;
    expect(status.failed).toBe(2);
    expect(status.succeeded).toBeUndefined();
    const pods = jobPods('broken');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.status.phase).toBe('Failed');
      // restartPolicy Never: the container is not restarted in place.
      expect(pod.status.containerStatuses[0].restartCount).toBe(0);
      expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({
        reason: 'Error',
        exitCode: 1,
      });
    }
    expect(
      jobEvents('broken').some(
        e => e.type === 'Warning' && e.reason === 'BackoffLimitExceeded',
      ),
    ).toBe(true);
  });

  it('fails a Job active longer than activeDeadlineSeconds with DeadlineExceeded and deletes its pod', async () => {
    // 40 s × time scale 0.05 = 2 s; the pod would run 600 s × 0.05 = 30 s.
    cluster.registry.create(jobType(), 'default', {
      metadata: { name: 'slow' },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 40,
        template: {
          metadata: { annotations: { 'sandbox.k2.io/run-seconds': '600' } },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'work', image: 'batch:1' }],
          },
        },
      },
    });
    await until('the Job to have a running pod', () =>
      jobPods('slow').some(p => p.status?.phase === 'Running'),
    );
    await until('the Job to be Failed', () =>
      Boolean(condition('slow', 'Failed')),
    );

    expect(condition('slow', 'Failed')).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    expect(condition('slow', 'Complete')).toBeUndefined();
    expect(job('slow').status.active).toBeUndefined();
    await until('the pod to be gone', () => jobPods('slow').length === 0);
    expect(
      jobEvents('slow').some(
        e => e.type === 'Warning' && e.reason === 'DeadlineExceeded',
      ),
    ).toBe(true);
  });

  it('completes a Job within its activeDeadlineSeconds', async () => {
    cluster.registry.create(jobType(), 'default', {
      metadata: { name: 'quick' },
      spec: {
        activeDeadlineSeconds: 600,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'work', image: 'batch:1' }],
          },
        },
      },
    });
    await until('the Job to be Complete', () =>
      Boolean(condition('quick', 'Complete')),
    );
    expect(condition('quick', 'Failed')).toBeUndefined();
  });

  it('runs no deadline while a Job is suspended, and counts it from the resume', async () => {
    // 20 s × time scale 0.05 = 1 s of deadline; the pod runs 2 s × 0.05.
    cluster.registry.create(jobType(), 'default', {
      metadata: { name: 'held' },
      spec: {
        suspend: true,
        backoffLimit: 0,
        activeDeadlineSeconds: 20,
        template: {
          metadata: { annotations: { 'sandbox.k2.io/run-seconds': '2' } },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'work', image: 'batch:1' }],
          },
        },
      },
    });
    // Suspended for three times its deadline: no pod, no start time, not failed.
    await new Promise(resolve => setTimeout(resolve, 3000));
    expect(jobPods('held')).toEqual([]);
    expect(job('held').status?.startTime).toBeUndefined();
    expect(condition('held', 'Failed')).toBeUndefined();

    cluster.registry.mutate(jobType(), 'default', 'held', o => {
      o.spec.suspend = false;
    });
    await until('the Job to be Complete', () =>
      Boolean(condition('held', 'Complete')),
    );
    expect(condition('held', 'Failed')).toBeUndefined();
    expect(job('held').status.startTime).toEqual(expect.any(String));
  });
});
