import { nowTimestamp, quantity } from '../api/defaults';
import { Registry } from '../api/registry';
import { labelSelectorFromObject, matchesLabels } from '../api/selectors';
import { KubeObject } from '../api/types';
import { UsageModel } from '../metrics/usage';
import { EventRecorder, isPodReady, setCondition } from './runtime';

/* eslint-disable no-param-reassign */

const TOLERANCE = 0.1;

/**
 * The HorizontalPodAutoscaler (autoscaling/v2) on simulated usage: for CPU and memory
 * Resource metrics with Utilization or AverageValue targets, desired replicas =
 * ceil(current × usage ÷ target) outside a 10% tolerance, clamped to min/max, with a
 * scale-down stabilization window. It scales the target through its replicas, as the
 * real controller does through the scale subresource.
 */
export class HpaController {
  private readonly hpas;
  private readonly pods;
  private readonly recommendations = new Map<
    string,
    { time: number; replicas: number }[]
  >();

  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly usage: UsageModel,
    private readonly stabilizationMs: number,
  ) {
    this.hpas = registry.typeOf('autoscaling', 'horizontalpodautoscalers');
    this.pods = registry.typeOf('', 'pods');
  }

  syncAll(now = Date.now()) {
    for (const hpa of this.registry.store.list(this.hpas)) this.sync(hpa, now);
  }

  private sync(hpa: KubeObject, now: number) {
    const ns = hpa.metadata.namespace;
    const ref = hpa.spec.scaleTargetRef ?? {};
    const type =
      ref.kind === 'StatefulSet'
        ? this.registry.typeOf('apps', 'statefulsets')
        : this.registry.typeOf('apps', 'deployments');
    const target = this.registry.find(type, ns, ref.name);
    const key = `${ns}/${hpa.metadata.name}`;
    if (!target) {
      this.registry.mutate(
        this.hpas,
        ns,
        hpa.metadata.name,
        o => {
          o.status = o.status ?? {};
          setCondition(o.status, {
            type: 'AbleToScale',
            status: 'False',
            reason: 'FailedGetScale',
            message: `the HPA controller was unable to get the target's current scale: ${type.resource}.apps "${ref.name}" not found`,
          });
        },
        { status: true },
      );
      return;
    }
    const current = target.spec.replicas ?? 1;
    const selector = labelSelectorFromObject(target.spec.selector);
    const pods = this.registry.store
      .list(this.pods, ns)
      .filter(
        p =>
          isPodReady(p) &&
          !p.metadata.deletionTimestamp &&
          matchesLabels(selector, p.metadata.labels),
      );
    const metrics: any[] = hpa.spec.metrics ?? [
      {
        type: 'Resource',
        resource: {
          name: 'cpu',
          target: { type: 'Utilization', averageUtilization: 80 },
        },
      },
    ];
    let desired = hpa.spec.minReplicas ?? 1;
    const currentMetrics: any[] = [];
    for (const metric of metrics) {
      if (metric.type !== 'Resource' || pods.length === 0) continue;
      const resource = metric.resource.name as 'cpu' | 'memory';
      let used = 0;
      let requested = 0;
      for (const pod of pods) {
        for (const c of pod.spec.containers ?? []) {
          const u = this.usage.containerUsage(pod, c.name, now);
          used += resource === 'cpu' ? u.cpuCores : u.memoryWorkingSetBytes;
          requested += quantity(c.resources?.requests?.[resource] ?? 0) || 0;
        }
      }
      const average = used / pods.length;
      let ratio: number;
      const t = metric.resource.target ?? {};
      if (t.type === 'AverageValue') {
        ratio = average / quantity(t.averageValue);
      } else {
        if (requested === 0) continue;
        ratio = used / requested / ((t.averageUtilization ?? 80) / 100);
      }
      const utilization =
        requested > 0 ? Math.round((used / requested) * 100) : undefined;
      currentMetrics.push({
        type: 'Resource',
        resource: {
          name: resource,
          current: {
            ...(utilization !== undefined
              ? { averageUtilization: utilization }
              : {}),
            averageValue:
              resource === 'cpu'
                ? `${Math.round(average * 1000)}m`
                : `${Math.round(average)}`,
          },
        },
      });
      const proposal =
        Math.abs(ratio - 1) <= TOLERANCE
          ? current
          : Math.ceil(ratio * pods.length);
      desired = Math.max(desired, proposal);
    }
    const min = hpa.spec.minReplicas ?? 1;
    const max = hpa.spec.maxReplicas;
    let limited = false;
    if (desired > max) {
      desired = max;
      limited = true;
    }
    if (desired < min) {
      desired = min;
      limited = true;
    }
    // Scale-down stabilization: use the highest recommendation within the window.
    const history = (this.recommendations.get(key) ?? []).filter(
      r => now - r.time < this.stabilizationMs,
    );
    history.push({ time: now, replicas: desired });
    this.recommendations.set(key, history);
    const stabilized =
      desired < current
        ? Math.min(current, Math.max(...history.map(r => r.replicas)))
        : desired;

    if (stabilized !== current) {
      this.registry.mutate(type, ns, ref.name, o => {
        o.spec.replicas = stabilized;
      });
      const m = currentMetrics[0]?.resource;
      this.events.record(
        hpa,
        'Normal',
        'SuccessfulRescale',
        `New size: ${stabilized}; reason: ${
          m
            ? `${m.name} resource utilization (percentage of request) ${
                stabilized > current ? 'above' : 'below'
              } target`
            : 'All metrics below target'
        }`,
        'horizontal-pod-autoscaler',
      );
    }
    this.registry.mutate(
      this.hpas,
      ns,
      hpa.metadata.name,
      o => {
        const status = o.status ?? {};
        status.observedGeneration = o.metadata.generation;
        status.currentReplicas = current;
        status.desiredReplicas = stabilized;
        status.currentMetrics = currentMetrics;
        if (stabilized !== current) status.lastScaleTime = nowTimestamp(now);
        setCondition(status, {
          type: 'AbleToScale',
          status: 'True',
          reason: 'ReadyForNewScale',
          message: 'recommended size matches current size',
        });
        setCondition(
          status,
          currentMetrics.length > 0
            ? {
                type: 'ScalingActive',
                status: 'True',
                reason: 'ValidMetricFound',
                message:
                  'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
              }
            : {
                type: 'ScalingActive',
                status: 'False',
                reason: 'FailedGetResourceMetric',
                message:
                  'the HPA was unable to compute the replica count: no ready pods or no resource requests',
              },
        );
        setCondition(
          status,
          limited
            ? {
                type: 'ScalingLimited',
                status: 'True',
                reason: desired >= max ? 'TooManyReplicas' : 'TooFewReplicas',
                message: `the desired replica count is ${
                  desired >= max ? 'more' : 'less'
                } than the ${
                  desired >= max ? 'maximum' : 'minimum'
                } replica count`,
              }
            : {
                type: 'ScalingLimited',
                status: 'False',
                reason: 'DesiredWithinRange',
                message: 'the desired count is within the acceptable range',
              },
        );
        o.status = status;
      },
      { status: true },
    );
  }
}
