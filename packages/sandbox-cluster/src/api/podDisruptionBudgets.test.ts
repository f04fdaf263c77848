import fs from 'fs';
import os from 'os';
import path from 'path';
import { SandboxCluster } from '../cluster';
import { ApiClient, api, poll } from '../__testUtils__/http';
import { Kubectl, kubectlAvailable } from '../__testUtils__/kubectl';

/*
 * policy/v1 PodDisruptionBudgets, as K2's middleware instances with more than one
 * replica create them: served, discoverable, their status kept by the disruption
 * controller, and shown by kubectl as a cluster does.
 */

jest.setTimeout(30000);

let cluster: SandboxCluster;
let client: ApiClient;

beforeAll(async () => {
  cluster = new SandboxCluster({ name: 'c', tokens: ['tok'], timeScale: 0.1 });
  await cluster.listen(0);
  client = api(cluster);
});

afterAll(async () => {
  await cluster.close();
});

const budget = (name: string) => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name },
  spec: {
    maxUnavailable: 1,
    selector: { matchLabels: { 'app.kubernetes.io/instance': name } },
  },
});

describe('PodDisruptionBudgets', () => {
  it('lists policy/v1 poddisruptionbudgets in discovery with the short name pdb', async () => {
    const groups = await client.get('/apis');
    const policy = groups.body.groups.find((g: any) => g.name === 'policy');
    expect(policy).toMatchObject({
      preferredVersion: { groupVersion: 'policy/v1', version: 'v1' },
    });
    const resources = await client.get('/apis/policy/v1');
    expect(resources.status).toBe(200);
    const pdb = resources.body.resources.find(
      (r: any) => r.name === 'poddisruptionbudgets',
    );
    expect(pdb).toMatchObject({
      kind: 'PodDisruptionBudget',
      namespaced: true,
      shortNames: ['pdb'],
    });
    expect(resources.body.resources.map((r: any) => r.name).sort()).toEqual([
      'poddisruptionbudgets',
      'poddisruptionbudgets/status',
    ]);
  });

  it('creates, reads, lists and deletes one over the REST API', async () => {
    const base = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
    const created = await client.post(base, budget('cache'));
    expect(created.status).toBe(201);
    expect(created.body.metadata.generation).toBe(1);

    const read = await client.get(`${base}/cache`);
    expect(read.body.spec).toEqual(budget('cache').spec);
    const list = await client.get(base);
    expect(list.body.kind).toBe('PodDisruptionBudgetList');
    expect(list.body.items.map((i: any) => i.metadata.name)).toEqual(['cache']);

    expect((await client.request('DELETE', `${base}/cache`)).status).toBe(200);
    expect((await client.get(`${base}/cache`)).status).toBe(404);
  });
});

describe('the disruption controller', () => {
  const base = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
  const status = async (name: string) =>
    (await client.get(`${base}/${name}`)).body.status ?? {};

  it('counts the StatefulSet’s ready pods against the budget, and follows its scale', async () => {
    const sts = '/apis/apps/v1/namespaces/default/statefulsets';
    const labels = { 'app.kubernetes.io/instance': 'ledger' };
    expect(
      (
        await client.post(sts, {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'ledger' },
          spec: {
            replicas: 3,
            serviceName: 'ledger',
            podManagementPolicy: 'Parallel',
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: 'db', image: 'ledger/db:1' }] },
            },
          },
        })
      ).status,
    ).toBe(201);
    expect((await client.post(base, budget('ledger'))).status).toBe(201);
    const strict = {
      ...budget('ledger-strict'),
      spec: { minAvailable: '100%', selector: { matchLabels: labels } },
    };
    expect((await client.post(base, strict)).status).toBe(201);

    await poll('ledger to be healthy', async () => {
      const s = await status('ledger');
      return s.currentHealthy === 3 ? s : undefined;
    });
    expect(await status('ledger')).toMatchObject({
      observedGeneration: 1,
      expectedPods: 3,
      currentHealthy: 3,
      desiredHealthy: 2,
      disruptionsAllowed: 1,
      conditions: [
        expect.objectContaining({
          type: 'DisruptionAllowed',
          status: 'True',
          reason: 'SufficientPods',
        }),
      ],
    });
    expect(await status('ledger-strict')).toMatchObject({
      expectedPods: 3,
      desiredHealthy: 3,
      disruptionsAllowed: 0,
      conditions: [
        expect.objectContaining({
          status: 'False',
          reason: 'InsufficientPods',
        }),
      ],
    });

    const scaled = await client.request('PATCH', `${sts}/ledger`, {
      body: { spec: { replicas: 5 } },
      contentType: 'application/merge-patch+json',
    });
    expect(scaled.status).toBe(200);
    await poll('ledger to expect five pods', async () => {
      const s = await status('ledger');
      return s.expectedPods === 5 && s.currentHealthy === 5 ? s : undefined;
    });
    expect(await status('ledger')).toMatchObject({
      desiredHealthy: 4,
      disruptionsAllowed: 1,
    });
  });
});

const describeKubectl = kubectlAvailable() ? describe : describe.skip;

describeKubectl('kubectl', () => {
  it('finds pdb in api-resources, applies one and prints it as a table', async () => {
    const kubectl = new Kubectl([cluster]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-pdb-'));
    try {
      const resources = await kubectl.run('c', 'api-resources');
      expect(resources.code).toBe(0);
      expect(resources.stdout).toMatch(
        /poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget/,
      );

      const file = path.join(dir, 'pdb.json');
      fs.writeFileSync(file, JSON.stringify(budget('queue')));
      const apply = await kubectl.run('c', 'apply', '-f', file);
      expect(apply.stdout).toContain(
        'poddisruptionbudget.policy/queue created',
      );

      const get = await kubectl.run('c', 'get', 'pdb', 'queue');
      expect(get.code).toBe(0);
      expect(get.stdout).toMatch(/NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE/);
      expect(get.stdout).toMatch(/queue\s+N\/A\s+1\s+0\s+\d+s/);
    } finally {
      kubectl.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
