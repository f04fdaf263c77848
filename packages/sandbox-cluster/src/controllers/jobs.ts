import { nowTimestamp } from '../api/defaults';
import { Registry } from '../api/registry';
import { StoreEvent } from '../api/store';
import { KubeObject } from '../api/types';
import {
  EventRecorder,
  Timers,
  WorkQueue,
  controllerOf,
  nsKey,
  ownerRef,
  splitKey,
} from './runtime';
import { randomSuffix } from '../api/defaults';

/* eslint-disable no-param-reassign */

/**
 * Jobs: pods up to `parallelism` until `completions` succeed (Complete), or failures
 * exceed `backoffLimit` (Failed, BackoffLimitExceeded), or the Job is active longer
 * than `activeDeadlineSeconds` × the time scale (Failed, DeadlineExceeded; its running
 * pods are deleted). CronJobs are stored but do not fire (see the package README).
 */
export class JobController {
  private readonly queue: WorkQueue;
  private readonly jobs;
  private readonly pods;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly timers: Timers,
    private readonly timeScale: number,
  ) {
    this.jobs = registry.typeOf('batch', 'jobs');
    this.pods = registry.typeOf('', 'pods');
    this.queue = new WorkQueue(key => this.sync(key));
  }

  stop() {
    this.queue.stop();
  }

  onEvent(event: StoreEvent) {
    const { resource, object } = event;
    if (resource === this.jobs)
      this.queue.add(nsKey(object.metadata.namespace, object.metadata.name));
    if (resource === this.pods) {
      const owner = controllerOf(object);
      if (owner?.kind === 'Job')
        this.queue.add(nsKey(object.metadata.namespace, owner.name));
    }
  }

  private sync(key: string) {
    const [ns, name] = splitKey(key);
    const job = this.registry.find(this.jobs, ns, name);
    if (!job || job.metadata.deletionTimestamp) return;
    if (
      (job.status?.conditions ?? []).some(
        (c: any) =>
          ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
      )
    )
      return;
    const pods = this.registry.store
      .dependentsOf(job.metadata.uid!)
      .map(d => this.registry.store.getByKey(d.resource, d.key))
      .filter((p): p is KubeObject => p !== undefined && p.kind === 'Pod');
    const succeeded = pods.filter(p => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter(p => p.status?.phase === 'Failed').length;
    const active = pods.filter(
      p =>
        !['Succeeded', 'Failed'].includes(p.status?.phase) &&
        !p.metadata.deletionTimestamp,
    );
    const completions = job.spec.completions ?? 1;
    const parallelism = job.spec.parallelism ?? 1;
    const now = nowTimestamp();
    // As Kubernetes does: a suspended Job has no start time and its deadline does not
    // run; both start again when it is resumed.
    const deadlineMs =
      job.spec.activeDeadlineSeconds === undefined || job.spec.suspend
        ? undefined
        : job.spec.activeDeadlineSeconds * 1000 * this.timeScale;
    const startedAt = job.status?.startTime
      ? Date.parse(job.status.startTime)
      : Date.now();
    let condition: any;
    if (succeeded >= completions) {
      condition = {
        type: 'Complete',
        status: 'True',
        lastProbeTime: now,
        lastTransitionTime: now,
      };
      this.events.record(
        job,
        'Normal',
        'Completed',
        'Job completed',
        'job-controller',
      );
    } else if (failed > (job.spec.backoffLimit ?? 6)) {
      condition = {
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
        lastProbeTime: now,
        lastTransitionTime: now,
      };
      for (const p of active)
        this.registry.delete(this.pods, ns, p.metadata.name);
      this.events.record(
        job,
        'Warning',
        'BackoffLimitExceeded',
        'Job has reached the specified backoff limit',
        'job-controller',
      );
    } else if (
      deadlineMs !== undefined &&
      Date.now() - startedAt >= deadlineMs
    ) {
      condition = {
        type: 'Failed',
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
        lastProbeTime: now,
        lastTransitionTime: now,
      };
      for (const p of active)
        this.registry.delete(this.pods, ns, p.metadata.name);
      active.length = 0;
      this.events.record(
        job,
        'Warning',
        'DeadlineExceeded',
        'Job was active longer than specified deadline',
        'job-controller',
      );
    } else if (!job.spec.suspend) {
      const want =
        Math.min(parallelism, completions - succeeded) - active.length;
      for (let i = 0; i < want; i++) {
        const template = job.spec.template ?? {};
        const pod = this.registry.create(this.pods, ns, {
          metadata: {
            name: `${name}-${randomSuffix()}`,
            namespace: ns,
            labels: {
              ...template.metadata?.labels,
              'batch.kubernetes.io/job-name': name,
              'job-name': name,
              'controller-uid': job.metadata.uid!,
            },
            ...(template.metadata?.annotations
              ? { annotations: { ...template.metadata.annotations } }
              : {}),
            ownerReferences: [ownerRef(job)],
          },
          spec: structuredClone(template.spec),
        });
        active.push(pod);
        this.events.record(
          job,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${pod.metadata.name}`,
          'job-controller',
        );
      }
    }
    this.registry.mutate(
      this.jobs,
      ns,
      name,
      o => {
        o.status = {
          ...o.status,
          startTime: job.spec.suspend ? undefined : o.status?.startTime ?? now,
          active: active.length || undefined,
          succeeded: succeeded || undefined,
          failed: failed || undefined,
          ready: active.filter(p =>
            (p.status?.conditions ?? []).some(
              (c: any) => c.type === 'Ready' && c.status === 'True',
            ),
          ).length,
          ...(condition
            ? { conditions: [...(o.status?.conditions ?? []), condition] }
            : {}),
          ...(condition?.type === 'Complete' ? { completionTime: now } : {}),
        };
        for (const k of Object.keys(o.status))
          if (o.status[k] === undefined) delete o.status[k];
      },
      { status: true },
    );
    if (!condition && deadlineMs !== undefined) {
      this.timers.once(
        `job-deadline:${key}`,
        startedAt + deadlineMs - Date.now(),
        () => this.queue.add(key),
      );
    }
  }
}
