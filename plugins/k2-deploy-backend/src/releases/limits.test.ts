import { K2Release } from '@internal/plugin-k2-common';
import { api } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  releaseFinished,
  serviceEntity,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(90_000);

const ledger = serviceEntity('ledger', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'finance',
  'k2.io/image': 'registry.k2.local/finance/ledger',
  'k2.io/priority-class': 'standard',
  'k2.io/node-selector': 'kubernetes.io/os=linux',
});
const greedy = serviceEntity('greedy', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'finance',
  'k2.io/image': 'registry.k2.local/finance/greedy',
  'k2.io/priority-class': 'system-node-critical',
});
const pinned = serviceEntity('pinned', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'finance',
  'k2.io/image': 'registry.k2.local/finance/pinned',
  'k2.io/node-selector': 'pool=gpu',
});

describe("an environment's limits, through the REST API, on a sandbox cluster", () => {
  const bed = useK2DeployTestBed({
    clusters: ['test'],
    backend: {
      entities: [ledger, greedy, pinned],
      k2: {
        environments: [
          {
            name: 'test',
            title: 'Production',
            clusters: [{ name: 'test' }],
            defaults: {
              replicas: 1,
              resources: { cpu: '500m', memory: '512Mi' },
              // Small requests, so four pods at the limits fit the sandbox's nodes.
              overcommit: { cpu: 16, memory: 16 },
            },
            release: { timeoutSeconds: 60, drainSeconds: 1 },
            limits: {
              maxCpu: '8',
              maxMemory: '16Gi',
              maxReplicas: 4,
              priorityClasses: ['standard'],
              nodeSelectors: ['kubernetes.io/os', 'pool=general'],
            },
          },
        ],
      },
    },
  });
  const cluster = bed.cluster('test');

  const base = (name: string) => `/api/k2-deploy/services/default/${name}`;

  async function releases(name: string): Promise<K2Release[]> {
    const res = await request(bed.backend.server)
      .get(`${base(name)}/releases?environment=test`)
      .set(as(ALICE));
    expect(res.status).toBe(200);
    return res.body.items;
  }

  async function deploymentStatus(name: string) {
    return (
      await api(cluster).get(
        `/apis/apps/v1/namespaces/finance/deployments/${name}`,
      )
    ).status;
  }

  const finished = (id: string) => releaseFinished(bed.backend, id);

  it('refuses CPU, memory and replicas over the limits with 400 naming field and limit, writing nothing', async () => {
    for (const [body, message] of [
      [
        { resources: { cpu: '64' } },
        "'resources.cpu' 64 is over Production's limit of 8 CPUs",
      ],
      [
        { resources: { cpu: '8001m' } },
        "'resources.cpu' 8001m is over Production's limit of 8 CPUs",
      ],
      [
        { resources: { memory: '17Gi' } },
        "'resources.memory' 17Gi is over Production's limit of 16Gi",
      ],
      [
        { replicas: 5 },
        "'replicas' 5 is over Production's limit of 4 replicas",
      ],
    ] as const) {
      const res = await request(bed.backend.server)
        .post(`${base('ledger')}/releases`)
        .set(as(ALICE))
        .send({ environment: 'test', image: '1.0.0', ...body });
      expect([body, res.status]).toEqual([body, 400]);
      expect(res.body.error.message).toBe(message);
    }
    expect(await releases('ledger')).toEqual([]);
    expect(await deploymentStatus('ledger')).toBe(404);
  });

  it('refuses a scale or an autoscaling maximum over the limit; the running release stays as it is', async () => {
    const created = await request(bed.backend.server)
      .post(`${base('ledger')}/releases`)
      .set(as(ALICE))
      .send({
        environment: 'test',
        image: '1.0.0',
        replicas: 4,
        resources: { cpu: '8', memory: '16Gi' },
      });
    expect(created.status).toBe(201);
    expect((await finished(created.body.id)).status).toBe('succeeded');

    const scale = await request(bed.backend.server)
      .post(`${base('ledger')}/environments/test/scale`)
      .set(as(ALICE))
      .send({ replicas: 5 });
    expect(scale.status).toBe(400);
    expect(scale.body.error.message).toBe(
      "'replicas' 5 is over Production's limit of 4 replicas",
    );
    const autoscaling = await request(bed.backend.server)
      .put(`${base('ledger')}/environments/test/autoscaling`)
      .set(as(ALICE))
      .send({ minReplicas: 2, maxReplicas: 40, cpuUtilization: 60 });
    expect(autoscaling.status).toBe(400);
    expect(autoscaling.body.error.message).toBe(
      "'maxReplicas' 40 is over Production's limit of 4 replicas",
    );

    expect((await releases('ledger')).map(r => r.id)).toEqual([
      created.body.id,
    ]);
    const deployment = await api(cluster).get(
      '/apis/apps/v1/namespaces/finance/deployments/ledger',
    );
    expect(deployment.body.spec.replicas).toBe(4);
    const hpa = await api(cluster).get(
      '/apis/autoscaling/v2/namespaces/finance/horizontalpodautoscalers/ledger',
    );
    expect(hpa.status).toBe(404);
    // The allowed placement reached the pods.
    expect(deployment.body.spec.template.spec).toMatchObject({
      priorityClassName: 'standard',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
    });
  });

  it('shows a priority class or node label outside the allow-list as a problem, and refuses to release it naming the annotation', async () => {
    for (const [name, message] of [
      [
        'greedy',
        "k2.io/priority-class 'system-node-critical' is not allowed in Production; allowed: standard",
      ],
      [
        'pinned',
        "k2.io/node-selector 'pool=gpu' is not allowed in Production; allowed: kubernetes.io/os, pool=general",
      ],
    ]) {
      const runtime = await request(bed.backend.server)
        .get(`${base(name)}/runtime`)
        .set(as(ALICE));
      expect(runtime.status).toBe(200);
      expect(runtime.body.problems).toContain(message);

      const res = await request(bed.backend.server)
        .post(`${base(name)}/releases`)
        .set(as(ALICE))
        .send({ environment: 'test', image: '1.0.0' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(message);
      expect(await releases(name)).toEqual([]);
      expect(await deploymentStatus(name)).toBe(404);
    }
  });
});
