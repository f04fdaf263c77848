import { ConfigReader } from '@backstage/config';
import { readEnvironmentModel } from '@internal/plugin-k2-common';
import { readTrafficConfig } from './readTrafficConfig';

const TOKEN = 'a-cluster-agent-token-of-32-chars-or-more';

const environments = [
  {
    name: 'test',
    clusters: [{ name: 'test' }],
    wildcardDomain: 'k2.example.com',
  },
  { name: 'prod', production: true, clusters: [{ name: 'prod' }] },
];

function read(traffic: object) {
  const config = new ConfigReader({ k2: { environments, traffic } });
  return readTrafficConfig(config, readEnvironmentModel(config));
}

const cluster = (overrides: object = {}) => ({
  name: 'edge-test',
  environments: ['test'],
  hosts: ['nginx-1'],
  agentToken: TOKEN,
  ...overrides,
});

describe('readTrafficConfig', () => {
  it('reads clusters, certificates and the shipped templates', () => {
    const config = read({
      clusters: [
        cluster({
          certificates: [
            {
              name: 'wildcard-test',
              certificate: '/etc/nginx/certs/w.crt',
              key: '/etc/nginx/certs/w.key',
            },
          ],
        }),
      ],
    });
    expect(config.clusters).toEqual([
      {
        name: 'edge-test',
        environments: ['test'],
        hosts: ['nginx-1'],
        agentToken: TOKEN,
        certificates: [
          {
            name: 'wildcard-test',
            certificate: '/etc/nginx/certs/w.crt',
            key: '/etc/nginx/certs/w.key',
          },
        ],
      },
    ]);
    expect(config.templatesDirectory).toMatch(/k2-traffic-backend\/templates$/);
    expect(config.nginxTestTimeoutMs).toBe(30_000);
  });

  it('serves no cluster without k2.traffic', () => {
    const config = new ConfigReader({ k2: { environments } });
    expect(
      readTrafficConfig(config, readEnvironmentModel(config)).clusters,
    ).toEqual([]);
  });

  it.each<[string, object, string]>([
    [
      'an unknown environment',
      { clusters: [cluster({ environments: ['staging'] })] },
      'k2.traffic.clusters[0].environments[0]',
    ],
    [
      'an environment served twice',
      {
        clusters: [cluster(), cluster({ name: 'edge-test-2' })],
      },
      'k2.traffic.clusters[1].environments[0]',
    ],
    [
      'a cluster declared twice',
      {
        clusters: [cluster(), cluster({ environments: ['prod'] })],
      },
      'k2.traffic.clusters[1].name',
    ],
    [
      'a short agent token',
      { clusters: [cluster({ agentToken: 'secret' })] },
      'k2.traffic.clusters[0].agentToken',
    ],
    [
      'a host that is not a host name',
      { clusters: [cluster({ hosts: ['nginx 1'] })] },
      'k2.traffic.clusters[0].hosts[0]',
    ],
    [
      'a certificate path with syntax in it',
      {
        clusters: [
          cluster({
            certificates: [
              { name: 'c', certificate: '/etc/x.crt;', key: '/etc/x.key' },
            ],
          }),
        ],
      },
      'k2.traffic.clusters[0].certificates[0].certificate',
    ],
    [
      'a missing templates directory',
      { templatesDirectory: '/nonexistent/templates', clusters: [] },
      'k2.traffic.templatesDirectory',
    ],
  ])('refuses %s, naming the key', (_, traffic, key) => {
    expect(() => read(traffic)).toThrow(
      expect.objectContaining({ name: 'K2ConfigError', key }),
    );
  });

  it('never quotes the agent token', () => {
    const short = 'short-secret-token';
    expect(() => read({ clusters: [cluster({ agentToken: short })] })).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining(short),
      }),
    );
  });
});
