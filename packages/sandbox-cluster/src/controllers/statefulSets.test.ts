import { SandboxCluster } from '../cluster';
import { KubeObject } from '../api/types';
import { StoreEvent } from '../api/store';
import { controllerOf, isPodReady } from './runtime';
import { poll as until } from '../__testUtils__/http';

jest.setTimeout(30000);

describe('StatefulSet and DaemonSet controllers', () => {
  let cluster: SandboxCluster;

  beforeEach(() => {
    cluster = new SandboxCluster({ name: 'x', tokens: ['t'], timeScale: 0.05 });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  const podType = () => cluster.type('', 'pods');
  const stsType = () => cluster.type('apps', 'statefulsets');

  /** Live pods owned by the named controller, by name. */
  const ownedPods = (kind: string, owner: string, namespace = 'default') =>
    cluster.store
      .list(podType(), namespace)
      .filter(p => {
        const ref = controllerOf(p);
        return ref?.kind === kind && ref.name === owner;
      })
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

  const isOwnedBy = (pod: KubeObject | undefined, kind: string, name: string) =>
    pod !== undefined &&
    controllerOf(pod)?.kind === kind &&
    controllerOf(pod)?.name === name;

  const becameReady = (event: StoreEvent) =>
    event.type !== 'DELETED' &&
    isPodReady(event.object) &&
    !(event.previous && isPodReady(event.previous));

  const startedDeleting = (event: StoreEvent) =>
    event.type === 'MODIFIED' &&
    event.object.metadata.deletionTimestamp !== undefined &&
    event.previous?.metadata.deletionTimestamp === undefined;

  function createStatefulSet(name: string, replicas: number, image: string) {
    cluster.registry.create(stsType(), 'default', {
      metadata: { name },
      spec: {
        replicas,
        serviceName: name,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'db', image }] },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'standard',
              resources: { requests: { storage: '1Gi' } },
            },
          },
        ],
      },
    });
  }

  const sts = (name: string) =>
    cluster.registry.find(stsType(), 'default', name)!;

  const settled = (name: string, replicas: number, image: string) => {
    const pods = ownedPods('StatefulSet', name);
    const status = sts(name).status ?? {};
    return (
      pods.length === replicas &&
      pods.every(
        p =>
          isPodReady(p) &&
          !p.metadata.deletionTimestamp &&
          p.spec.containers[0].image === image,
      ) &&
      status.readyReplicas === replicas &&
      status.updatedReplicas === replicas &&
      status.currentRevision === status.updateRevision
    );
  };

  it('creates ordinal pods one at a time, each after the previous is Ready, with bound claims', async () => {
    const log: string[] = [];
    /** For each created pod: the StatefulSet's pods that were Ready at that moment. */
    const readyAtCreation = new Map<string, string[]>();
    cluster.store.onChange(event => {
      if (event.resource.resource !== 'pods' || event.resource.group !== '')
        return;
      if (!isOwnedBy(event.object, 'StatefulSet', 'db')) return;
      const name = event.object.metadata.name;
      if (event.type === 'ADDED') {
        log.push(`created ${name}`);
        readyAtCreation.set(
          name,
          ownedPods('StatefulSet', 'db')
            .filter(p => p.metadata.name !== name && isPodReady(p))
            .map(p => p.metadata.name),
        );
      } else if (becameReady(event)) {
        log.push(`ready ${name}`);
      }
    });

    createStatefulSet('db', 3, 'db:1');
    await until('3 ready StatefulSet pods and a settled status', () =>
      settled('db', 3, 'db:1'),
    );

    expect(log).toEqual([
      'created db-0',
      'ready db-0',
      'created db-1',
      'ready db-1',
      'created db-2',
      'ready db-2',
    ]);
    expect(readyAtCreation.get('db-0')).toEqual([]);
    expect(readyAtCreation.get('db-1')).toEqual(['db-0']);
    expect(readyAtCreation.get('db-2')).toEqual(['db-0', 'db-1']);

    // Stable identity: hostname, subdomain and a claim per ordinal.
    for (const pod of ownedPods('StatefulSet', 'db')) {
      expect(pod.spec.hostname).toBe(pod.metadata.name);
      expect(pod.spec.subdomain).toBe('db');
      expect(pod.metadata.labels?.['statefulset.kubernetes.io/pod-name']).toBe(
        pod.metadata.name,
      );
      expect(pod.spec.volumes).toContainEqual({
        name: 'data',
        persistentVolumeClaim: { claimName: `data-${pod.metadata.name}` },
      });
    }

    const pvcType = cluster.type('', 'persistentvolumeclaims');
    await until('the three claims to be Bound', () =>
      ['data-db-0', 'data-db-1', 'data-db-2'].every(
        n =>
          cluster.registry.find(pvcType, 'default', n)?.status?.phase ===
          'Bound',
      ),
    );
    for (const n of ['data-db-0', 'data-db-1', 'data-db-2']) {
      const pvc = cluster.registry.find(pvcType, 'default', n)!;
      expect(pvc.spec.storageClassName).toBe('standard');
      expect(pvc.spec.volumeName).toBe(`pvc-${pvc.metadata.uid}`);
      const pv = cluster.registry.find(
        cluster.type('', 'persistentvolumes'),
        undefined,
        pvc.spec.volumeName,
      );
      expect(pv?.status?.phase).toBe('Bound');
      expect(pv?.spec.claimRef).toMatchObject({
        namespace: 'default',
        name: n,
      });
    }

    const status = sts('db').status;
    expect(status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
    });
    expect(status.currentRevision).toBe(status.updateRevision);
  });

  it('rolls an image update from the highest ordinal down, one pod at a time', async () => {
    createStatefulSet('db', 3, 'db:1');
    await until('3 ready pods on db:1', () => settled('db', 3, 'db:1'));
    const oldRevision = sts('db').status.updateRevision;

    const deletions: string[] = [];
    const violations: string[] = [];
    cluster.store.onChange(event => {
      if (event.resource.resource !== 'pods' || event.resource.group !== '')
        return;
      if (!isOwnedBy(event.object, 'StatefulSet', 'db')) return;
      if (!startedDeleting(event)) return;
      const name = event.object.metadata.name;
      deletions.push(name);
      // One at a time: every other pod is Ready and none is terminating.
      for (const p of ownedPods('StatefulSet', 'db')) {
        if (p.metadata.name === name) continue;
        if (!isPodReady(p) || p.metadata.deletionTimestamp)
          violations.push(`${name} deleted while ${p.metadata.name} unready`);
      }
      // Higher ordinals are already updated.
      const ordinal = Number(name.slice('db-'.length));
      for (const p of ownedPods('StatefulSet', 'db')) {
        if (Number(p.metadata.name.slice('db-'.length)) <= ordinal) continue;
        if (p.spec.containers[0].image !== 'db:2')
          violations.push(`${name} deleted before ${p.metadata.name} updated`);
      }
    });

    cluster.registry.mutate(stsType(), 'default', 'db', o => {
      o.spec.template.spec.containers[0].image = 'db:2';
    });
    await until('3 ready pods on db:2', () => settled('db', 3, 'db:2'));

    expect(deletions).toEqual(['db-2', 'db-1', 'db-0']);
    expect(violations).toEqual([]);
    const status = sts('db').status;
    expect(status.updateRevision).not.toBe(oldRevision);
    expect(status.currentRevision).toBe(status.updateRevision);
    expect(status.readyReplicas).toBe(3);
  });

  it('scales down from the highest ordinal, waiting for each pod to be gone', async () => {
    createStatefulSet('db', 3, 'db:1');
    await until('3 ready pods', () => settled('db', 3, 'db:1'));

    const log: string[] = [];
    cluster.store.onChange(event => {
      if (event.resource.resource !== 'pods' || event.resource.group !== '')
        return;
      const pod = event.object;
      if (!isOwnedBy(pod, 'StatefulSet', 'db')) return;
      if (startedDeleting(event)) log.push(`delete ${pod.metadata.name}`);
      if (event.type === 'DELETED') log.push(`gone ${pod.metadata.name}`);
    });

    cluster.registry.mutate(stsType(), 'default', 'db', o => {
      o.spec.replicas = 1;
    });
    await until('only db-0 left, Ready', () => {
      const pods = ownedPods('StatefulSet', 'db');
      return (
        pods.length === 1 &&
        pods[0].metadata.name === 'db-0' &&
        isPodReady(pods[0]) &&
        sts('db').status?.replicas === 1 &&
        sts('db').status?.readyReplicas === 1
      );
    });

    expect(log).toEqual([
      'delete db-2',
      'gone db-2',
      'delete db-1',
      'gone db-1',
    ]);
    // Claims stay behind for a later scale-up, as in Kubernetes.
    const pvcType = cluster.type('', 'persistentvolumeclaims');
    expect(
      cluster.store
        .list(pvcType, 'default')
        .map(p => p.metadata.name)
        .sort(),
    ).toEqual(['data-db-0', 'data-db-1', 'data-db-2']);
  });

  it('runs one DaemonSet pod per node, and one more on a new node', async () => {
    const dsType = cluster.type('apps', 'daemonsets');
    cluster.registry.create(dsType, 'kube-system', {
      metadata: { name: 'node-agent' },
      spec: {
        selector: { matchLabels: { app: 'node-agent' } },
        template: {
          metadata: { labels: { app: 'node-agent' } },
          spec: { containers: [{ name: 'agent', image: 'agent:1' }] },
        },
      },
    });
    const nodeNames = () =>
      cluster.store
        .list(cluster.type('', 'nodes'))
        .map(n => n.metadata.name)
        .sort();
    const agents = () => ownedPods('DaemonSet', 'node-agent', 'kube-system');
    const onePerNode = (count: number) => {
      const pods = agents();
      const ds = cluster.registry.find(dsType, 'kube-system', 'node-agent')!;
      return (
        pods.length === count &&
        pods.every(p => isPodReady(p)) &&
        new Set(pods.map(p => p.spec.nodeName)).size === count &&
        ds.status?.numberReady === count &&
        ds.status?.desiredNumberScheduled === count
      );
    };

    expect(nodeNames()).toHaveLength(3);
    await until('3 ready agents on 3 nodes', () => onePerNode(3));
    expect(
      agents()
        .map(p => p.spec.nodeName)
        .sort(),
    ).toEqual(nodeNames());

    cluster.addNodes(1);
    expect(nodeNames()).toHaveLength(4);
    await until('4 ready agents on 4 nodes', () => onePerNode(4));
    expect(
      agents()
        .map(p => p.spec.nodeName)
        .sort(),
    ).toEqual(nodeNames());
    const ds = cluster.registry.find(dsType, 'kube-system', 'node-agent')!;
    expect(ds.status).toMatchObject({
      currentNumberScheduled: 4,
      desiredNumberScheduled: 4,
      numberReady: 4,
      numberMisscheduled: 0,
    });
  });
});
