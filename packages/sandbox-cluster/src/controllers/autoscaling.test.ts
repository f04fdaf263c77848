import { SandboxCluster } from '../cluster';
import { isPodReady } from './runtime';
import { poll as until } from '../__testUtils__/http';

jest.setTimeout(30000);

describe('HorizontalPodAutoscaler controller', () => {
  let cluster: SandboxCluster;

  beforeEach(() => {
    // timeScale 0.005 makes the 300 s scale-down stabilization window 1.5 s.
    cluster = new SandboxCluster({
      name: 'x',
      tokens: ['t'],
      timeScale: 0.005,
      hpaSyncMs: 200,
    });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  const deployType = () => cluster.type('apps', 'deployments');
  const hpaType = () => cluster.type('autoscaling', 'horizontalpodautoscalers');
  const deployment = () =>
    cluster.registry.find(deployType(), 'default', 'api')!;
  const hpa = () => cluster.registry.find(hpaType(), 'default', 'api')!;
  const readyPods = () =>
    cluster.store
      .list(cluster.type('', 'pods'), 'default')
      .filter(
        p =>
          p.metadata.labels?.app === 'api' &&
          isPodReady(p) &&
          !p.metadata.deletionTimestamp,
      );
  const hpaEvents = () =>
    cluster.store
      .list(cluster.type('', 'events'), 'default')
      .filter(
        e =>
          e.involvedObject?.kind === 'HorizontalPodAutoscaler' &&
          e.involvedObject?.name === 'api',
      );
  const cpuUtilization = (): number | undefined =>
    hpa().status?.currentMetrics?.find(
      (m: any) => m.type === 'Resource' && m.resource?.name === 'cpu',
    )?.resource?.current?.averageUtilization;

  it('scales a Deployment up on high CPU and back down to minReplicas', async () => {
    cluster.registry.create(deployType(), 'default', {
      metadata: { name: 'api' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: {
            containers: [
              {
                name: 'api',
                image: 'api:1',
                resources: { requests: { cpu: '500m', memory: '256Mi' } },
              },
            ],
          },
        },
      },
    });
    await until('2 ready pods', () => readyPods().length === 2);

    let maxReplicas = 0;
    cluster.store.onChange(event => {
      if (event.resource === deployType() && event.type !== 'DELETED')
        maxReplicas = Math.max(maxReplicas, event.object.spec.replicas ?? 0);
    });

    // 1 core per pod against a 500m request: 200% utilization.
    cluster.usage.steer('default', 'api', { cpu: 1.0 });
    cluster.registry.create(hpaType(), 'default', {
      metadata: { name: 'api' },
      spec: {
        scaleTargetRef: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'api',
        },
        minReplicas: 1,
        maxReplicas: 6,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: 50 },
            },
          },
        ],
      },
    });

    await until('a scale-up beyond 2 replicas', () => {
      const replicas = deployment().spec.replicas;
      return replicas > 2 && cpuUtilization() !== undefined;
    });
    expect(deployment().spec.replicas).toBeLessThanOrEqual(6);
    const utilization = cpuUtilization()!;
    expect(utilization).toBeGreaterThanOrEqual(190);
    expect(utilization).toBeLessThanOrEqual(210);
    const status = hpa().status;
    expect(status.currentMetrics[0].resource.current.averageValue).toMatch(
      /^\d+m$/,
    );
    expect(status.lastScaleTime).toBeDefined();
    expect(
      status.conditions.find((c: any) => c.type === 'ScalingActive'),
    ).toMatchObject({ status: 'True', reason: 'ValidMetricFound' });
    const rescale = hpaEvents().find(e => e.reason === 'SuccessfulRescale');
    expect(rescale?.type).toBe('Normal');
    expect(rescale?.message).toMatch(
      /^New size: \d; reason: cpu resource utilization \(percentage of request\) above target$/,
    );

    // 200% against a 50% target wants 4× the pods; the maximum caps it at 6.
    await until('6 ready pods', () => readyPods().length === 6);
    await until('the HPA to report the maximum', () => {
      const s = hpa().status;
      return (
        s?.currentReplicas === 6 &&
        s?.conditions?.some(
          (c: any) =>
            c.type === 'ScalingLimited' &&
            c.status === 'True' &&
            c.reason === 'TooManyReplicas',
        )
      );
    });
    expect(deployment().spec.replicas).toBe(6);

    // 0.05 cores per pod: 10% utilization, far below the target.
    cluster.usage.steer('default', 'api', { cpu: 0.05 });
    await until('a scale-down to minReplicas', () => {
      const s = hpa().status;
      return (
        deployment().spec.replicas === 1 &&
        readyPods().length === 1 &&
        s?.currentReplicas === 1 &&
        s?.desiredReplicas === 1
      );
    });
    expect(maxReplicas).toBeLessThanOrEqual(6);
    const low = cpuUtilization()!;
    expect(low).toBeGreaterThanOrEqual(5);
    expect(low).toBeLessThanOrEqual(15);
    expect(
      hpaEvents().some(
        e =>
          e.reason === 'SuccessfulRescale' &&
          /^New size: 1; reason: .* below target$/.test(e.message),
      ),
    ).toBe(true);
  });
});
