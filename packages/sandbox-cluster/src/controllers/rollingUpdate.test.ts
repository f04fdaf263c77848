import { SandboxCluster } from '../cluster';
import { isPodReady } from './runtime';
import { poll as until } from '../__testUtils__/http';

jest.setTimeout(30000);

describe('Deployment rolling updates', () => {
  let cluster: SandboxCluster;

  beforeEach(() => {
    cluster = new SandboxCluster({
      name: 'rollout',
      tokens: ['t'],
      timeScale: 0.05,
    });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  const deployments = () => cluster.type('apps', 'deployments');
  const pods = () =>
    cluster.store
      .list(cluster.type('', 'pods'), 'default')
      .filter(p => p.metadata.labels?.app === 'web');
  const readyPods = (image?: string) =>
    pods().filter(
      p =>
        isPodReady(p) &&
        !p.metadata.deletionTimestamp &&
        (!image || p.spec.containers[0].image === image),
    ).length;

  function create(replicas: number, strategy: object) {
    cluster.registry.create(deployments(), 'default', {
      metadata: { name: 'web' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        strategy,
        template: {
          metadata: {
            labels: { app: 'web' },
            annotations: { 'sandbox.k2.io/ready-after-seconds': '4' },
          },
          spec: { containers: [{ name: 'web', image: 'web:1' }] },
        },
      },
    });
  }

  function rollTo(image: string) {
    cluster.registry.mutate(deployments(), 'default', 'web', d => {
      d.spec.template.spec.containers[0].image = image;
    });
  }

  it('with maxUnavailable 0 rolls pod by pod and never drops below the desired ready count', async () => {
    create(4, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    await until('4 ready pods', () => readyPods('web:1') === 4);

    let minReady = Infinity;
    let maxPods = 0;
    let newPodsSeen = 0;
    const newPods = new Set<string>();
    const readyWhenCreated: number[] = [];
    cluster.store.onChange(event => {
      if (event.resource.resource !== 'pods') return;
      minReady = Math.min(minReady, readyPods());
      const active = pods().filter(p => !p.metadata.deletionTimestamp).length;
      maxPods = Math.max(maxPods, active);
      const image = event.object.spec?.containers?.[0]?.image;
      if (image === 'web:2' && !newPods.has(event.object.metadata.name)) {
        newPods.add(event.object.metadata.name);
        // Each new pod appears only when the previous new pods are ready (one at a time).
        readyWhenCreated.push(readyPods('web:2') - newPodsSeen);
        newPodsSeen++;
      }
    });
    rollTo('web:2');
    await until('the rollout to finish', () => {
      const d = cluster.registry.find(deployments(), 'default', 'web')!;
      return (
        readyPods('web:2') === 4 &&
        pods().length === 4 &&
        d.status?.updatedReplicas === 4 &&
        d.status?.availableReplicas === 4 &&
        d.status?.conditions?.some(
          (c: any) => c.reason === 'NewReplicaSetAvailable',
        )
      );
    });
    expect(minReady).toBeGreaterThanOrEqual(4);
    expect(maxPods).toBeLessThanOrEqual(5);
    expect(newPods.size).toBe(4);
    expect(readyWhenCreated).toEqual([0, 0, 0, 0]);
    const rs = cluster.store.list(
      cluster.type('apps', 'replicasets'),
      'default',
    );
    expect(
      rs
        .map(r => [
          r.metadata.annotations?.['deployment.kubernetes.io/revision'],
          r.spec.replicas,
        ])
        .sort(),
    ).toEqual([
      ['1', 0],
      ['2', 4],
    ]);
  });

  it('reports a stuck rollout as ProgressDeadlineExceeded and keeps the old pods serving', async () => {
    create(2, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    await until('2 ready pods', () => readyPods('web:1') === 2);
    cluster.registry.mutate(deployments(), 'default', 'web', d => {
      d.spec.progressDeadlineSeconds = 1;
      d.spec.template.spec.containers[0].image = 'web:2-neverready';
    });
    await until('the deadline condition', () =>
      cluster.registry
        .find(deployments(), 'default', 'web')!
        .status?.conditions?.some(
          (c: any) =>
            c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
        ),
    );
    expect(readyPods('web:1')).toBe(2);
  });

  it('Recreate stops all old pods before starting new ones', async () => {
    create(3, { type: 'Recreate' });
    await until('3 ready pods', () => readyPods('web:1') === 3);
    let overlap = false;
    cluster.store.onChange(event => {
      if (event.resource.resource !== 'pods') return;
      const images = new Set(pods().map(p => p.spec.containers[0].image));
      if (images.has('web:1') && images.has('web:2')) overlap = true;
    });
    rollTo('web:2');
    await until('3 new ready pods', () => readyPods('web:2') === 3);
    expect(overlap).toBe(false);
  });
});
