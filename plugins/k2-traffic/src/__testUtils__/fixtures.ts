import {
  K2TrafficClusterList,
  K2TrafficSite,
  K2TrafficSiteVersion,
  K2TrafficTemplateList,
} from '@internal/plugin-k2-traffic-common';
import {
  K2_TEST_CONFIG,
  minutesAgo,
} from '@internal/plugin-k2-react/testUtils';

/**
 * Fixtures shaped like the Traffic backend's answers for `payment-gateway`: `test` is
 * served by the Nginx cluster `edge-test` (two hosts, one refusing its last bundle)
 * with versions #1 and #2; `prod` (approval required) has no Nginx cluster.
 */

/** The tests' app config, with `test`'s wildcard domain for the sites' default hosts. */
export const K2_CONFIG = {
  ...K2_TEST_CONFIG,
  k2: {
    ...K2_TEST_CONFIG.k2,
    environments: K2_TEST_CONFIG.k2.environments.map(environment =>
      environment.name === 'test'
        ? { ...environment, wildcardDomain: 'k2.example.com' }
        : environment,
    ),
  },
};

export function site(overrides: Partial<K2TrafficSite> = {}): K2TrafficSite {
  return {
    template: 'default',
    domains: ['pay.example.com'],
    upstreams: [
      {
        name: 'app',
        method: 'least_conn',
        maxFails: 3,
        failTimeoutSeconds: 10,
        members: [{ address: '10.20.0.7', port: 8080, weight: 2 }],
      },
    ],
    locations: [{ path: '/', upstream: 'app' }],
    fields: {},
    ...overrides,
  };
}

export function version(
  number: number,
  overrides: Partial<K2TrafficSiteVersion> = {},
): K2TrafficSiteVersion {
  const document = overrides.site ?? site();
  const members = document.upstreams[0].members ?? [];
  return {
    number,
    service: 'component:default/payment-gateway',
    environment: 'test',
    author: 'user:default/alice',
    createdAt: minutesAgo(60 - number),
    message: `change ${number}`,
    contentHash: `sha256:${String(number).repeat(64).slice(0, 64)}`,
    site: document,
    files: [
      {
        path: 'k2/sites/test/default/payment-gateway.conf',
        content: `upstream payment-gateway-app {\n    include k2/members/app.conf;\n}\nserver {\n    listen 80;\n    server_name ${(
          document.domains ?? []
        ).join(' ')};\n}\n`,
      },
      {
        path: 'k2/members/test/default/payment-gateway/app.conf',
        content: members
          .map(m => `server ${m.address}:${m.port} weight=${m.weight ?? 1};`)
          .join('\n'),
      },
    ],
    ...overrides,
  };
}

export function clusters(): K2TrafficClusterList {
  return {
    items: [
      {
        name: 'edge-test',
        environments: ['test'],
        version: 'v-abcdef123456789',
        hash: 'sha256:ab',
        hosts: [
          {
            name: 'nginx-test-1',
            appliedVersion: 'v-abcdef123456789',
            reportedAt: minutesAgo(1),
            drift: false,
          },
          {
            name: 'nginx-test-2',
            appliedVersion: 'v-0123456789abc',
            reportedAt: minutesAgo(2),
            error:
              'nginx: [emerg] cannot load certificate "/etc/nginx/certs/wildcard-test.crt"',
            drift: true,
          },
        ],
      },
    ],
  };
}

export function templates(): K2TrafficTemplateList {
  return {
    items: [
      {
        name: 'default',
        title: 'Web service',
        description: 'A service behind Nginx over HTTP or HTTPS.',
        schema: {
          type: 'object',
          properties: {
            clientMaxBodySize: {
              title: 'Largest request body',
              type: 'string',
              default: '1m',
            },
            websocket: { title: 'WebSockets', type: 'boolean', default: false },
          },
        },
      },
    ],
  };
}
