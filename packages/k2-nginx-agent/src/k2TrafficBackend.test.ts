import {
  mockCredentials,
  startTestBackend,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import k2CorePlugin from '@internal/plugin-k2-backend';
import k2TrafficPlugin from '@internal/plugin-k2-traffic-backend';
import { SandboxCluster } from '@internal/sandbox-cluster';
import fs from 'fs';
import path from 'path';
import { parseAgentConfig } from './config';
import { K2Client } from './K2Client';
import { LiveConfig } from './LiveConfig';
import { createJsonLogger } from './log';
import { NginxAgent } from './NginxAgent';
import {
  NGINX,
  NginxHost,
  eventually,
  freePort,
  request,
  startUpstream,
} from './__testUtils__';

const itWithNginx = NGINX ? it : it.skip;
const TOKEN = 'edge-test-agent-token-0123456789abcdef';
const ALICE = 'user:default/alice';
const DOMAIN = 'basket.test.k2.example.com';
/** A certificate K2's config names, at a path this Nginx host does not have. */
const MISSING_CERT = '/nonexistent/k2-agent-test/basket.crt';
const MISSING_KEY = '/nonexistent/k2-agent-test/basket.key';

jest.setTimeout(180_000);

/**
 * K2's default site template with its listens moved to loopback ports, as an admin's
 * template directory would: the real Nginx in this test cannot take ports 80 and 443.
 */
function loopbackTemplates(dir: string, httpPort: number, httpsPort: number) {
  const shipped = path.join(
    path.dirname(
      require.resolve('@internal/plugin-k2-traffic-backend/package.json'),
    ),
    'templates',
  );
  const template = fs.readFileSync(
    path.join(shipped, 'default.conf.hbs'),
    'utf8',
  );
  const moved = template
    .replace(/listen 80;/g, `listen 127.0.0.1:${httpPort};`)
    .replace(/listen 443 ssl;/g, `listen 127.0.0.1:${httpsPort} ssl;`);
  if (!moved.includes(`127.0.0.1:${httpPort}`)) {
    throw new Error(`K2's default template no longer has 'listen 80;'`);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'default.conf.hbs'), moved);
  fs.copyFileSync(
    path.join(shipped, 'default.schema.json'),
    path.join(dir, 'default.schema.json'),
  );
}

/**
 * The agent against K2's real Traffic backend: its OpenAPI-validated agent routes, its
 * bundles (rendered from a published site, hashed, gated by the backend's own nginx -t)
 * and its record of what each host applied — the parts the stand-in only imitates.
 */
describe('k2-nginx-agent against the real k2-traffic backend', () => {
  let cluster: SandboxCluster;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let host: NginxHost;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let stopAgent: () => Promise<void>;
  const lines: string[] = [];
  let httpPort: number;

  const api = (p: string) =>
    `http://localhost:${backend.server.port()}/api/k2-traffic${p}`;
  const asAlice = {
    authorization: `Bearer ${mockCredentials.user.token(ALICE)}`,
    'content-type': 'application/json',
  };
  const hostStatus = async () => {
    const res = await fetch(api('/clusters'), { headers: asAlice });
    const body = await res.json();
    const edge = body.items.find((c: { name: string }) => c.name === 'edge');
    return {
      version: edge.version as string,
      host: edge.hosts.find((h: { name: string }) => h.name === 'nginx-1'),
    };
  };
  const publish = async (site: Record<string, unknown>, message: string) => {
    const res = await fetch(
      api('/services/default/basket/environments/test/site/versions'),
      {
        method: 'POST',
        headers: asAlice,
        body: JSON.stringify({ site, message }),
      },
    );
    const body = await res.json();
    if (res.status !== 201) {
      throw new Error(
        `publish answered ${res.status}: ${JSON.stringify(body)}`,
      );
    }
  };

  beforeAll(async () => {
    if (!NGINX) return;
    host = new NginxHost();
    httpPort = await freePort();
    const templates = path.join(host.prefix, 'k2-templates');
    loopbackTemplates(templates, httpPort, await freePort());
    upstream = await startUpstream('basket v1');
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['test-token'],
      timeScale: 0.1,
    });
    await cluster.listen(0);
    const basket = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'basket',
        namespace: 'default',
        annotations: {
          'backstage.io/kubernetes-id': 'basket',
          'k2.io/environments': 'test',
          'k2.io/namespace': 'shop',
        },
      },
      spec: { type: 'service', owner: 'group:default/shop-team' },
    };
    backend = await startTestBackend({
      features: [
        k2TrafficPlugin,
        k2CorePlugin,
        catalogServiceMock.factory({ entities: [basket] }),
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    {
                      name: 'test',
                      url: cluster.url,
                      authProvider: 'serviceAccount',
                      serviceAccountToken: 'test-token',
                    },
                  ],
                },
              ],
            },
            k2: {
              environments: [
                {
                  name: 'test',
                  clusters: [{ name: 'test' }],
                  wildcardDomain: 'k2.example.com',
                },
              ],
              traffic: {
                templatesDirectory: templates,
                clusters: [
                  {
                    name: 'edge',
                    environments: ['test'],
                    hosts: ['nginx-1'],
                    agentToken: TOKEN,
                    certificates: [
                      {
                        name: 'basket',
                        certificate: MISSING_CERT,
                        key: MISSING_KEY,
                      },
                    ],
                  },
                ],
              },
            },
          },
        }),
      ],
    });

    const config = parseAgentConfig(
      [
        ...host.agentArgs,
        '--k2-url',
        `http://localhost:${backend.server.port()}`,
        '--cluster',
        'edge',
        '--host',
        'nginx-1',
      ],
      { K2_AGENT_TOKEN: TOKEN },
    );
    if (config === 'help') throw new Error('unexpected help');
    const agent = new NginxAgent({
      ...config,
      live: await LiveConfig.open(config),
      client: new K2Client(config),
      log: createJsonLogger([TOKEN], line => lines.push(line)),
    });
    const running = agent.run();
    stopAgent = async () => {
      agent.stop();
      await running;
    };
    await host.start();
  });

  afterAll(async () => {
    if (!NGINX) return;
    await stopAgent?.();
    await backend?.stop();
    await cluster?.stop();
    await upstream?.close();
    await host?.stop();
  });

  itWithNginx(
    "applies K2's bundles, serves the published site, and K2 shows what the host applied and why it refused one",
    async () => {
      // The cluster's first bundle (no site yet) is applied and reported.
      const empty = await eventually(async () => {
        const s = await hostStatus();
        return s.version && s.host.appliedVersion === s.version ? s : undefined;
      }, "K2 to record the host's first bundle");
      expect(empty.host).toMatchObject({ drift: false });

      await publish(
        {
          template: 'default',
          upstreams: [
            {
              name: 'app',
              members: [{ address: '127.0.0.1', port: upstream.port }],
            },
          ],
          locations: [{ path: '/', upstream: 'app' }],
        },
        'Basket behind Nginx',
      );
      const applied = await eventually(async () => {
        const s = await hostStatus();
        return s.version !== empty.version &&
          s.host.appliedVersion === s.version
          ? s
          : undefined;
      }, 'K2 to record the published bundle as applied');
      expect(applied.host).toEqual({
        name: 'nginx-1',
        appliedVersion: applied.version,
        reportedAt: expect.any(String),
        drift: false,
      });
      // The test domain K2 gave the site reaches the member through the real Nginx.
      await eventually(async () => {
        const res = await request(httpPort, DOMAIN);
        return res.body === 'basket v1' ? res : undefined;
      }, `nginx to proxy ${DOMAIN}`);
      expect(host.readLive('k2.conf')).toContain(
        'include k2/sites/test/default/basket.conf;',
      );

      // K2's nginx -t passes (it checks with a certificate of its own), but this host
      // has no file at the certificate's path: the host's nginx -t refuses the bundle.
      await publish(
        {
          template: 'default',
          tls: { certificate: 'basket', redirectHttp: false },
          upstreams: [
            {
              name: 'app',
              members: [{ address: '127.0.0.1', port: upstream.port }],
            },
          ],
          locations: [{ path: '/', upstream: 'app' }],
        },
        'HTTPS',
      );
      const refused = await eventually(async () => {
        const s = await hostStatus();
        return s.version !== applied.version && s.host.error ? s : undefined;
      }, "K2 to record the host's refusal");
      // The host still runs the version it applied before; K2 shows the drift.
      expect(refused.host).toEqual({
        name: 'nginx-1',
        appliedVersion: applied.version,
        reportedAt: expect.any(String),
        error: expect.stringContaining(
          `nginx -t rejected the bundle:\n[emerg] cannot load certificate "${MISSING_CERT}"`,
        ),
        drift: true,
      });
      expect(refused.host.error).not.toContain('.k2-agent');
      // The last good bundle stays live and keeps serving.
      expect(host.readLive('sites/test/default/basket.conf')).not.toContain(
        'ssl_certificate',
      );
      expect(await request(httpPort, DOMAIN)).toEqual({
        status: 200,
        body: 'basket v1',
      });
      expect(lines.join('')).not.toContain(TOKEN);
    },
  );
});
