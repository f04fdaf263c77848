import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readEnvironmentModel } from '@internal/plugin-k2-common';
import { K2ClusterAccess, K2ClusterRegistry } from '@internal/plugin-k2-node';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api } from '@internal/sandbox-cluster/testUtils';
import { IncomingAlert } from '../incidents/IncidentStore';
import { ClusterChecks } from './ClusterChecks';

jest.setTimeout(60_000);

const NODE = 'test-a-worker-3';
const INTERVAL_MS = 30_000;

/*
 * The disk check of ClusterChecks against a sandbox cluster through K2's cluster
 * access layer: each pass reads the nodes' kubelet summaries, and what it records is
 * what the intake would get.
 */
describe('ClusterChecks: disk almost full', () => {
  let cluster: SandboxCluster;
  let access: K2ClusterAccess;
  const recorded: IncomingAlert[][] = [];
  const warnings: string[] = [];
  let checks: ClusterChecks;
  const sink = {
    async record(alerts: IncomingAlert[]) {
      recorded.push(alerts);
    },
  };

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test-a',
      tokens: ['test-a-token'],
      timeScale: 0.1,
    });
    await cluster.listen(0);
    const model = readEnvironmentModel(
      new ConfigReader({
        k2: {
          environments: [{ name: 'test', clusters: [{ name: 'test-a' }] }],
        },
      }),
    );
    access = new K2ClusterAccess({
      registry: new K2ClusterRegistry([
        {
          name: 'test-a',
          url: cluster.url,
          serviceAccountToken: 'test-a-token',
          environments: [{ name: 'test', weight: 1 }],
          skipTLSVerify: false,
          configKey: 'clusters.test-a',
        },
      ]),
      logger: mockServices.logger.mock(),
    });
    access.start();
    await access.waitForSync(20_000);
    const logger = mockServices.logger.mock({
      warn: (message: string) => {
        warnings.push(message);
      },
    });
    checks = new ClusterChecks({
      access,
      services: { claimants: () => [], get: async () => undefined },
      model,
      sink,
      platformSink: sink,
      logger,
      pendingAfterMs: 600_000,
      diskFullPercent: 85,
      intervalMs: INTERVAL_MS,
    });
  });

  afterAll(async () => {
    await access?.stop();
    await cluster?.stop();
  });

  const steer = async (usedPercent: number) => {
    const put = await api(cluster).put('/sandbox/disk', {
      node: NODE,
      usedPercent,
    });
    expect(put.status).toBe(200);
  };
  const diskFindings = () =>
    checks.state().findings.filter(f => f.check === 'node-disk-almost-full');

  it('finds a node at the threshold, holds it while its summary cannot be read (logged once), and resolves it once it is under again', async () => {
    await steer(84.9);
    await checks.pass(Date.parse('2026-11-26T10:00:05Z'));
    expect(diskFindings()).toEqual([]);
    expect(recorded).toEqual([]);

    // At the threshold: one firing alert of the cluster, from the start of the interval.
    await steer(85);
    await checks.pass(Date.parse('2026-11-26T10:00:35Z'));
    expect(diskFindings()).toEqual([
      expect.objectContaining({
        cluster: 'test-a',
        node: NODE,
        since: '2026-11-26T10:00:30.000Z',
        summary: `Node ${NODE} in cluster test-a: root filesystem 85% used (threshold 85%)`,
      }),
    ]);
    expect(recorded).toHaveLength(1);
    const [[firing]] = recorded;
    expect(firing).toMatchObject({
      status: 'firing',
      entityRef: 'cluster:test-a',
      environment: 'test',
      ruleKey: 'cluster:node-disk-almost-full',
      severity: 'warning',
      startsAt: '2026-11-26T10:00:30.000Z',
      labels: {
        alertname: 'NodeDiskAlmostFull',
        node: NODE,
        cluster: 'test-a',
      },
    });

    // Fuller still: the same finding, nothing written again.
    await steer(97);
    await checks.pass(Date.parse('2026-11-26T10:01:05Z'));
    expect(diskFindings().map(f => [f.since, f.summary])).toEqual([
      [
        '2026-11-26T10:00:30.000Z',
        `Node ${NODE} in cluster test-a: root filesystem 97% used (threshold 85%)`,
      ],
    ]);
    expect(recorded).toHaveLength(1);

    // The node proxy fails: no new finding for any node, the open one holds, and the
    // failure is logged once per node over several passes.
    const fault = await api(cluster).post('/sandbox/faults', {
      errors: { code: 503, seconds: 60, verbs: ['get'], resources: ['nodes'] },
    });
    expect(fault.status).toBe(200);
    await steer(30);
    await checks.pass(Date.parse('2026-11-26T10:01:35Z'));
    await checks.pass(Date.parse('2026-11-26T10:02:05Z'));
    expect(diskFindings().map(f => f.node)).toEqual([NODE]);
    expect(recorded).toHaveLength(1);
    expect(warnings.filter(w => w.includes('kubelet summary')).sort()).toEqual([
      expect.stringMatching(/node test-a-worker-1 in cluster test-a.*503/),
      expect.stringMatching(/node test-a-worker-2 in cluster test-a.*503/),
      expect.stringMatching(/node test-a-worker-3 in cluster test-a.*503/),
    ]);

    // Readable again and under the threshold: resolved, once.
    await api(cluster).delete('/sandbox/faults');
    await checks.pass(Date.parse('2026-11-26T10:02:35Z'));
    expect(diskFindings()).toEqual([]);
    expect(recorded).toHaveLength(2);
    expect(recorded[1]).toEqual([
      expect.objectContaining({
        status: 'resolved',
        fingerprint: firing.fingerprint,
        startsAt: firing.startsAt,
        endsAt: '2026-11-26T10:02:35.000Z',
      }),
    ]);
    await checks.pass(Date.parse('2026-11-26T10:03:05Z'));
    expect(recorded).toHaveLength(2);
  });
});
