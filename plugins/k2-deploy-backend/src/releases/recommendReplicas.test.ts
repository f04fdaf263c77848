import { K2ReleaseSpec } from '@internal/plugin-k2-common';
import { recommendReplicas } from './recommendReplicas';

const spec = {
  resources: {
    requests: { cpu: '500m', memory: '1Gi' },
    limits: { cpu: '1', memory: '2Gi' },
  },
} as K2ReleaseSpec;

describe('recommendReplicas', () => {
  it('divides the sum of usage by what one pod may use at the target', () => {
    // 4 pods at 600m each: 2400m ÷ (70% × 500m) = 6.9 → 7.
    const pods = Array(4).fill({
      containers: [{ usage: { cpu: '600000000n', memory: '300Mi' } }],
    });
    const r = recommendReplicas(spec, pods);
    expect(r).toMatchObject({
      pods: 4,
      cpuUsage: 2400,
      cpuTarget: 70,
      replicas: 7,
    });
  });

  it('follows memory when memory is the tighter bound, and the autoscaling targets', () => {
    const pods = [{ containers: [{ usage: { cpu: '10m', memory: '3Gi' } }] }];
    expect(
      recommendReplicas(
        {
          ...spec,
          autoscaling: {
            minReplicas: 1,
            maxReplicas: 9,
            memoryUtilization: 50,
          },
        },
        pods,
      ).replicas,
    ).toBe(6); // 3 GiB ÷ (50% × 1 GiB)
    expect(recommendReplicas(spec, []).replicas).toBe(1);
  });
});
