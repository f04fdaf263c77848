import { podSignals } from './podSignals';

const AT = '2026-11-26T10:00:00Z';
const pod = (status: Record<string, unknown>, deleting = false) => ({
  metadata: {
    name: 'basket-1',
    namespace: 'shop',
    ...(deleting ? { deletionTimestamp: AT } : {}),
  },
  status,
});
const container = (fields: Record<string, unknown>) => ({
  name: 'app',
  ready: true,
  restartCount: 0,
  ...fields,
});

describe('podSignals', () => {
  it('reads an OOM kill as oomkilled, not as a crash loop, while the kubelet backs off', () => {
    expect(
      podSignals(
        pod({
          phase: 'Running',
          containerStatuses: [
            container({
              ready: false,
              restartCount: 4,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: {
                terminated: {
                  reason: 'OOMKilled',
                  exitCode: 137,
                  finishedAt: AT,
                },
              },
            }),
          ],
        }),
      ),
    ).toEqual({
      states: [],
      ended: [{ reason: 'oomkilled', at: Date.parse(AT) }],
    });
  });

  it('tells a crash loop from a single error exit', () => {
    const ended = {
      terminated: { reason: 'Error', exitCode: 1, finishedAt: AT },
    };
    expect(
      podSignals(
        pod({
          phase: 'Running',
          containerStatuses: [
            container({
              restartCount: 3,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: ended,
            }),
          ],
        }),
      ),
    ).toEqual({ states: ['crashloop'], ended: [] });
    expect(
      podSignals(
        pod({
          phase: 'Running',
          containerStatuses: [
            container({
              restartCount: 1,
              state: { running: { startedAt: AT } },
              lastState: ended,
            }),
          ],
        }),
      ).ended,
    ).toEqual([{ reason: 'error-exit', at: Date.parse(AT) }]);
  });

  it('reports an unschedulable pod, and since when a running pod is not ready', () => {
    expect(
      podSignals(
        pod({
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' },
          ],
        }),
      ).states,
    ).toEqual(['failed-scheduling']);
    expect(
      podSignals(
        pod({
          phase: 'Running',
          containerStatuses: [
            container({ ready: false, state: { running: { startedAt: AT } } }),
          ],
        }),
      ),
    ).toEqual({ states: [], ended: [], notReadySince: Date.parse(AT) });
  });

  it('says nothing of a healthy pod, a clean exit, or a pod being deleted', () => {
    const healthy = pod({
      phase: 'Running',
      containerStatuses: [
        container({
          restartCount: 1,
          state: { running: { startedAt: AT } },
          lastState: {
            terminated: { reason: 'Completed', exitCode: 0, finishedAt: AT },
          },
        }),
      ],
    });
    expect(podSignals(healthy)).toEqual({ states: [], ended: [] });
    const dying = pod(
      {
        phase: 'Running',
        containerStatuses: [
          container({ state: { waiting: { reason: 'CrashLoopBackOff' } } }),
        ],
      },
      true,
    );
    expect(podSignals(dying)).toEqual({ states: [], ended: [] });
  });
});
