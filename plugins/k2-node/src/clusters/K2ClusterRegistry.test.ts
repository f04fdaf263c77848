import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  K2ConfigError,
  readEnvironmentModel,
} from '@internal/plugin-k2-common';
import { SandboxCluster } from '@internal/sandbox-cluster';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { K2ClusterAccess } from './K2ClusterAccess';

const KEY = 'kubernetes.clusterLocatorMethods[0].clusters[1]';

/**
 * Starts K2's cluster access as the backend does at start-up, from a Kubernetes plugin
 * declaration with a cluster only the stock plugin uses (first) and K2's `alpha`.
 */
function startWith(alpha: Record<string, unknown>) {
  const config = new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            // Not in any environment: K2 leaves it to the Kubernetes plugin.
            { name: 'legacy', url: 'ftp://nowhere', authProvider: 'google' },
            { name: 'alpha', authProvider: 'serviceAccount', ...alpha },
          ],
        },
      ],
    },
    k2: { environments: [{ name: 'test', clusters: [{ name: 'alpha' }] }] },
  });
  return K2ClusterAccess.fromConfig({
    config,
    model: readEnvironmentModel(config),
    logger: mockServices.logger.mock(),
  });
}

/** The start-up error, as the backend prints it. */
function startError(alpha: Record<string, unknown>): K2ConfigError {
  try {
    startWith(alpha);
  } catch (error) {
    expect(error).toBeInstanceOf(K2ConfigError);
    return error as K2ConfigError;
  }
  throw new Error('K2 started with a broken cluster declaration');
}

describe('K2ClusterRegistry: cluster declarations K2 cannot use stop the start', () => {
  const url = 'https://127.0.0.1:6443';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-registry-'));
  const sandbox = new SandboxCluster({ name: 'ca', tokens: ['t'] });

  afterAll(async () => {
    await sandbox.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts with a token and the CA as caData or caFile, ignoring clusters no environment names', async () => {
    const caFile = path.join(dir, 'ca.crt');
    fs.writeFileSync(caFile, Buffer.from(sandbox.caData, 'base64'));
    for (const tls of [{ caData: sandbox.caData }, { caFile }]) {
      const access = startWith({ url, serviceAccountToken: 't', ...tls });
      expect(access.listClusters()).toEqual([
        expect.objectContaining({ name: 'alpha', url, configKey: KEY }),
      ]);
      await access.stop();
    }
  });

  it('refuses another authProvider, naming the key and what K2 needs', () => {
    const error = startError({ url, authProvider: 'oidc' });
    expect(error.key).toBe(`${KEY}.authProvider`);
    expect(error.message).toBe(
      `Invalid K2 configuration at '${KEY}.authProvider': K2 watches cluster 'alpha' with its own service account, so the cluster needs authProvider 'serviceAccount' (it has 'oidc')`,
    );
  });

  it('refuses a cluster without a token when the backend runs outside a pod', () => {
    expect(fs.existsSync('/var/run/secrets/kubernetes.io/serviceaccount')).toBe(
      false,
    );
    const error = startError({ url });
    expect(error.message).toBe(
      `Invalid K2 configuration at '${KEY}.serviceAccountToken': no token for cluster 'alpha', and the backend does not run in a pod with a mounted service account token`,
    );
  });

  it.each([
    ['not a URL', 'api.example.com:6443'],
    ['another scheme', 'ftp://127.0.0.1:6443'],
    ['no host', 'https://'],
  ])('refuses a url that is %s', (_, bad) => {
    const error = startError({ url: bad, serviceAccountToken: 't' });
    expect(error.message).toBe(
      `Invalid K2 configuration at '${KEY}.url': '${bad}' is not an http(s) URL; set the URL of the API server of cluster 'alpha'`,
    );
  });

  it('refuses caData that is not a base64-encoded PEM certificate', () => {
    for (const caData of [
      'not base64 at all',
      // The PEM itself instead of its base64 encoding: a common slip.
      Buffer.from(sandbox.caData, 'base64').toString('utf8'),
    ]) {
      const error = startError({ url, serviceAccountToken: 't', caData });
      expect(error.message).toBe(
        `Invalid K2 configuration at '${KEY}.caData': must be the base64-encoded PEM certificate of the authority that signed the API server certificate of cluster 'alpha'`,
      );
    }
  });

  it('refuses a caFile it cannot read or that holds no certificate', () => {
    const missing = path.join(dir, 'missing.crt');
    expect(
      startError({ url, serviceAccountToken: 't', caFile: missing }).message,
    ).toBe(
      `Invalid K2 configuration at '${KEY}.caFile': cannot read '${missing}' (ENOENT), the certificate authority of cluster 'alpha'`,
    );
    const garbage = path.join(dir, 'garbage.crt');
    fs.writeFileSync(garbage, 'hello');
    expect(
      startError({ url, serviceAccountToken: 't', caFile: garbage }).message,
    ).toBe(
      `Invalid K2 configuration at '${KEY}.caFile': '${garbage}' is not a PEM certificate (the authority of cluster 'alpha')`,
    );
  });

  it('includes a cluster an environment names only for its builds, with no environment share', async () => {
    const declared = (name: string) => ({
      name,
      authProvider: 'serviceAccount',
      url,
      serviceAccountToken: 't',
    });
    const config = new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          { type: 'config', clusters: [declared('alpha'), declared('ci')] },
        ],
      },
      k2: {
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'alpha' }],
            builds: { cluster: 'ci' },
          },
        ],
      },
    });
    const access = K2ClusterAccess.fromConfig({
      config,
      model: readEnvironmentModel(config),
      logger: mockServices.logger.mock(),
    });
    expect(access.listClusters().map(c => [c.name, c.environments])).toEqual([
      ['alpha', [{ name: 'test', weight: 1 }]],
      ['ci', []],
    ]);
    await access.stop();
  });
});
