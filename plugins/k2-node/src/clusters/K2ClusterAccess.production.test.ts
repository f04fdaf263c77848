import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ForwardedError, NotAllowedError } from '@backstage/errors';
import { readEnvironmentModel } from '@internal/plugin-k2-common';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import {
  expectCacheMatchesList,
  seedTwoServices,
  startSandbox,
} from './__testUtils__/sandbox';
import { K2ClusterAccess } from './K2ClusterAccess';

jest.setTimeout(60_000);

const CLUSTER_KEY = 'kubernetes.clusterLocatorMethods[0].clusters[0]';

/**
 * K2's cluster access as the backend builds it: from the Kubernetes plugin's cluster
 * declaration and `k2.clusterAccess`, with short retry timings.
 */
function accessFromConfig(
  cluster: Record<string, unknown>,
  clusterAccess: Record<string, unknown> = {},
) {
  const config = new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            { name: 'alpha', authProvider: 'serviceAccount', ...cluster },
          ],
        },
      ],
    },
    k2: {
      environments: [{ name: 'test', clusters: [{ name: 'alpha' }] }],
      clusterAccess: {
        backoff: { initial: { milliseconds: 100 }, max: { seconds: 1 } },
        silentWatchTimeout: { seconds: 2 },
        ...clusterAccess,
      },
    },
  });
  const logger = mockServices.logger.mock();
  // One logger for every component, so a test reads what the operator's log shows.
  logger.child.mockImplementation(() => logger);
  const access = K2ClusterAccess.fromConfig({
    config,
    model: readEnvironmentModel(config),
    logger,
  });
  return { access, logger };
}

const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'svc-a-files',
    namespace: 'shop',
    labels: {
      'app.kubernetes.io/managed-by': 'k2',
      'backstage.io/kubernetes-id': 'svc-a',
    },
  },
  data: { a: '1' },
};

/** The first error the cluster's health shows that matches `pattern`. */
async function healthError(access: K2ClusterAccess, pattern: RegExp) {
  const health = await poll(`a health error matching ${pattern}`, () => {
    const h = access.health()[0];
    return h.error && pattern.test(h.error.message) ? h : undefined;
  });
  return health;
}

describe('K2ClusterAccess on the production paths', () => {
  let cluster: SandboxCluster;
  let access: K2ClusterAccess | undefined;

  beforeEach(async () => {
    cluster = await startSandbox();
    seedTwoServices(cluster);
  });

  afterEach(async () => {
    await access?.stop();
    access = undefined;
    await cluster.stop();
  });

  it('reads and writes over TLS, trusting the API server through caData', async () => {
    ({ access } = accessFromConfig({
      url: cluster.tlsUrl,
      serviceAccountToken: cluster.tokens[0],
      caData: cluster.caData,
    }));
    expect(cluster.tlsUrl).toMatch(/^https:/);
    access.start();
    await access.waitForSync(10_000);
    // The health view shows the cluster as any other, and its pods are served.
    expect(access.health()[0]).toMatchObject({ status: 'ok', stale: false });
    expect(access.cache('alpha').byService('pods', 'svc-a')).toHaveLength(3);
    await expectCacheMatchesList(access, cluster);
    const applied = await access.apply('alpha', configMap);
    expect(applied.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'k2' }),
    ]);
  });

  it('refuses an API server certificate it cannot trust, and says to set caData or caFile', async () => {
    ({ access } = accessFromConfig({
      url: cluster.tlsUrl,
      serviceAccountToken: cluster.tokens[0],
    }));
    access.start();
    const health = await healthError(access, /TLS certificate/);
    // What the operator reads on the cluster health view: which cluster, why, what to set.
    expect(health).toMatchObject({ status: 'degraded', stale: true });
    expect(health.error?.message).toMatch(
      new RegExp(
        `^cluster 'alpha': the TLS certificate of the API server at https://127\\.0\\.0\\.1:\\d+ is self-signed and K2 does not trust it \\(DEPTH_ZERO_SELF_SIGNED_CERT\\); set caData or caFile of ${CLUSTER_KEY.replace(
          /[[\].]/g,
          '\\$&',
        )} to the certificate authority that signed it`,
      ),
    );
    expect(access.cache('alpha').store('pods').size).toBe(0);
    // A release or any other write fails with the same explanation, and nothing is sent.
    cluster.counters.reset();
    const write = access.apply('alpha', configMap);
    await expect(write).rejects.toThrow(ForwardedError);
    await expect(write).rejects.toThrow(
      /Could not apply ConfigMap shop\/svc-a-files in cluster 'alpha'.*set caData or caFile/,
    );
    expect(cluster.counters.total('patch')).toBe(0);
  });

  it('names the cluster and the token setting when the cluster does not accept its token', async () => {
    ({ access } = accessFromConfig({
      url: cluster.url,
      serviceAccountToken: 'a-token-the-cluster-never-issued',
    }));
    access.start();
    const health = await healthError(access, /401/);
    expect(health).toMatchObject({ status: 'degraded', stale: true });
    expect(health.error?.message).toMatch(
      `401 Unauthorized; cluster 'alpha' does not accept K2's service account token: set a valid serviceAccountToken of ${CLUSTER_KEY}`,
    );
    const write = access.apply('alpha', configMap);
    await expect(write).rejects.toThrow(NotAllowedError);
    await expect(write).rejects.toThrow(
      `ConfigMap shop/svc-a-files in cluster 'alpha': apply ConfigMap svc-a-files: 401 Unauthorized; cluster 'alpha' does not accept K2's service account token: set a valid serviceAccountToken of ${CLUSTER_KEY}`,
    );
    expect(cluster.counters.total('unauthorized')).toBeGreaterThan(0);
  });

  it('says which permission the service account lacks when the cluster answers 403', async () => {
    ({ access } = accessFromConfig({
      url: cluster.url,
      serviceAccountToken: cluster.tokens[0],
    }));
    access.start();
    await access.waitForSync(10_000);
    const fault = await api(cluster).post('/sandbox/faults', {
      errors: { code: 403, seconds: 30, verbs: ['patch'] },
    });
    expect(fault.status).toBe(200);
    const write = access.apply('alpha', configMap);
    await expect(write).rejects.toThrow(NotAllowedError);
    await expect(write).rejects.toThrow(
      /^ConfigMap shop\/svc-a-files in cluster 'alpha': apply ConfigMap svc-a-files: 403 .*cannot patch resource "configmaps".*; K2's service account lacks this permission in cluster 'alpha': grant it the access docs\/configuration\.md lists under Clusters$/,
    );
    // Reads are not affected: the page views keep their data.
    expect(access.health()[0].status).toBe('ok');
  });

  it('gives up on a slow API server after k2.clusterAccess.requestTimeout, naming the cluster', async () => {
    ({ access } = accessFromConfig(
      { url: cluster.url, serviceAccountToken: cluster.tokens[0] },
      { requestTimeout: { milliseconds: 400 } },
    ));
    access.start();
    await access.waitForSync(10_000);
    await api(cluster).post('/sandbox/faults', {
      latency: { ms: 3_000, seconds: 3 },
    });
    const started = Date.now();
    const write = access.apply('alpha', configMap);
    await expect(write).rejects.toThrow(ForwardedError);
    await expect(write).rejects.toThrow(
      /Could not apply ConfigMap shop\/svc-a-files in cluster 'alpha'; caused by Error: cluster 'alpha': PATCH \/api\/v1\/namespaces\/shop\/configmaps\/svc-a-files timed out after 400 ms; the API server at http:\/\/127\.0\.0\.1:\d+ did not answer within k2\.clusterAccess\.requestTimeout/,
    );
    // The caller hears about it at the deadline, not when the server gets round to it.
    expect(Date.now() - started).toBeLessThan(2_000);

    // Lists meet the same deadline: a relist during the slowness shows on the health
    // view, and the cache catches up once the server answers in time again.
    await api(cluster).post('/sandbox/watches/expire', {});
    await healthError(access, /timed out after 400 ms/);
    await poll(
      'the cluster back to ok',
      () => access!.health()[0].status === 'ok',
      15_000,
    );
    await expectCacheMatchesList(access, cluster);
  });

  it('starts a paged list over when its continue token expires mid-list (410), serving no partial list', async () => {
    let logger;
    ({ access, logger } = accessFromConfig(
      { url: cluster.url, serviceAccountToken: cluster.tokens[0] },
      { pageSize: 2 },
    ));
    const pods = () => access!.cache('alpha').byService('pods', 'svc-a');
    /** svc-a's pod count whenever a pod change reaches a subscriber. */
    const seen: number[] = [];
    const unsubscribe = access.subscribe(change => {
      if (change.resource === 'pods') seen.push(pods().length);
    });
    // The first three continued pages each meet a compaction.
    const fault = await api(cluster).post('/sandbox/faults', {
      continueTokens: { expire: 3 },
    });
    expect(fault.status).toBe(200);
    access.start();
    await access.waitForSync(10_000);
    unsubscribe();

    const relists = Object.values(access.cache('alpha').counters()).reduce(
      (sum, c) => sum + c.relists,
      0,
    );
    expect(relists).toBeGreaterThanOrEqual(3);
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringMatching(/expired \(410\); relisting/),
    );
    // Only a complete list reaches the page views: all of svc-a's pods at once.
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([3]));
    expect(access.health()[0]).toMatchObject({
      status: 'ok',
      stale: false,
      pendingResources: [],
    });
    await expectCacheMatchesList(access, cluster);
  });
  it('opens a shell over wss with the token and caData, and names the token setting when refused', async () => {
    ({ access } = accessFromConfig({
      url: cluster.tlsUrl,
      serviceAccountToken: cluster.tokens[0],
      caData: cluster.caData,
    }));
    access.start();
    await access.waitForSync(10_000);
    const [pod] = access.cache('alpha').byService('pods', 'svc-a');
    const target = { namespace: 'shop', name: pod.metadata.name };
    let output = '';
    const shell = await access.exec('alpha', target, {
      container: 'svc-a',
      command: ['sh'],
      stdin: true,
      tty: true,
      onOutput: chunk => {
        output += chunk.toString('utf8');
      },
    });
    shell.write('echo $HOSTNAME; exit 0\r');
    await expect(shell.ended).resolves.toEqual({ exitCode: 0 });
    expect(output).toContain(`\r\n${pod.metadata.name}\r\n`);
    await access.stop();

    ({ access } = accessFromConfig({
      url: cluster.tlsUrl,
      serviceAccountToken: 'a-token-the-cluster-never-issued',
      caData: cluster.caData,
    }));
    const refused = access.exec('alpha', target, {
      container: 'svc-a',
      command: ['sh'],
      onOutput: () => undefined,
    });
    await expect(refused).rejects.toThrow(NotAllowedError);
    await expect(refused).rejects.toThrow(
      `401 Unauthorized; cluster 'alpha' does not accept K2's service account token: set a valid serviceAccountToken of ${CLUSTER_KEY}`,
    );
  });
});
