import path from 'node:path';
import { TrafficCertificate } from '../config/readTrafficConfig';
import { TemplateRegistry } from '../templates/TemplateRegistry';
import { TrafficSite, validateSite } from './validateSite';

const templates = TemplateRegistry.load(
  path.resolve(__dirname, '../../templates'),
);
const certificates: TrafficCertificate[] = [
  {
    name: 'shop-cert',
    certificate: '/etc/nginx/certs/shop.crt',
    key: '/etc/nginx/certs/shop.key',
  },
];
const context = {
  testDomain: 'basket.test.k2.example.com',
  wildcardDomains: ['k2.example.com'],
  certificates,
  templates,
};

const site = (overrides: Partial<TrafficSite> = {}): TrafficSite => ({
  template: 'default',
  domains: ['basket.example.com'],
  upstreams: [
    {
      name: 'app',
      members: [{ address: '10.0.0.1', port: 8080 }],
    },
  ],
  locations: [{ path: '/', upstream: 'app' }],
  ...overrides,
});

const upstream = (member: Record<string, unknown>, more = {}) => ({
  upstreams: [
    {
      name: 'app',
      members: [{ address: '10.0.0.1', port: 8080, ...member }],
      ...more,
    },
  ] as TrafficSite['upstreams'],
});

describe('validateSite', () => {
  it('fills in defaults and puts the test domain first', () => {
    const valid = validateSite(site(), context);
    expect(valid.serverNames).toEqual([
      'basket.test.k2.example.com',
      'basket.example.com',
    ]);
    expect(valid.upstreams[0]).toEqual({
      name: 'app',
      method: 'round_robin',
      maxFails: 1,
      failTimeoutSeconds: 10,
      members: [{ host: '10.0.0.1', port: 8080, weight: 1, backup: false }],
    });
    expect(valid.locations[0]).toMatchObject({
      connectTimeoutSeconds: 5,
      readTimeoutSeconds: 60,
    });
    expect(valid.fields).toEqual({
      clientMaxBodySize: '1m',
      websocket: false,
      responseHeaders: [],
    });
  });

  it('brackets IPv6 members and takes host names', () => {
    const valid = validateSite(
      site({
        upstreams: [
          {
            name: 'app',
            members: [
              { address: 'fd00::1', port: 80 },
              { address: 'vm-7.dc1.example.com', port: 80, backup: true },
            ],
          },
        ],
      }),
      context,
    );
    expect(valid.upstreams[0].members.map(m => m.host)).toEqual([
      '[fd00::1]',
      'vm-7.dc1.example.com',
    ]);
  });

  it.each<[string, Partial<TrafficSite>, string]>([
    [
      'a directive after a domain',
      { domains: ['x; return 200'] },
      'site.domains[0]',
    ],
    [
      'a newline in a domain',
      { domains: ['a.example.com\nreturn 200'] },
      'site.domains[0]',
    ],
    [
      'a directive in a member address',
      upstream({ address: '10.0.0.1; return 200' }),
      'site.upstreams[0].members[0].address',
    ],
    [
      'a brace in a member address',
      upstream({ address: '10.0.0.1}' }),
      'site.upstreams[0].members[0].address',
    ],
    [
      'a port out of range',
      upstream({ port: 70000 }),
      'site.upstreams[0].members[0].port',
    ],
    [
      'an absurd weight',
      upstream({ weight: 1_000_000 }),
      'site.upstreams[0].members[0].weight',
    ],
    [
      'a backup member with ip_hash',
      upstream({ backup: true }, { method: 'ip_hash' }),
      'site.upstreams[0].members[0].backup',
    ],
    [
      'an absurd fail timeout',
      upstream({}, { failTimeoutSeconds: 10 ** 9 }),
      'site.upstreams[0].failTimeoutSeconds',
    ],
    [
      'a directive in an upstream name',
      {
        upstreams: [{ name: 'app;return', members: [] }],
        locations: [{ path: '/', upstream: 'app;return' }],
      },
      'site.upstreams[0].name',
    ],
    [
      'a block in a location path',
      {
        locations: [{ path: '/ { return 200; } location /x', upstream: 'app' }],
      },
      'site.locations[0].path',
    ],
    [
      'a variable in a location path',
      { locations: [{ path: '/$request_uri', upstream: 'app' }] },
      'site.locations[0].path',
    ],
    [
      'a regex location',
      { locations: [{ path: '~ .*', upstream: 'app' }] },
      'site.locations[0].path',
    ],
    [
      'a location to an unknown upstream',
      { locations: [{ path: '/', upstream: 'elsewhere' }] },
      'site.locations[0].upstream',
    ],
    [
      'an absurd read timeout',
      {
        locations: [{ path: '/', upstream: 'app', readTimeoutSeconds: 86400 }],
      },
      'site.locations[0].readTimeoutSeconds',
    ],
    [
      'another service’s test domain',
      { domains: ['ledger.test.k2.example.com'] },
      'site.domains[0]',
    ],
    [
      'a certificate the cluster does not declare',
      { tls: { certificate: '/etc/ssl/private/other.key' } },
      'site.tls.certificate',
    ],
    [
      'a quote in a template field',
      {
        fields: {
          responseHeaders: [
            { name: 'X-Shop', value: 'a" always; return 200 "' },
          ],
        },
      },
      'site.fields.responseHeaders[0].value',
    ],
    [
      'a directive in a template field',
      {
        fields: {
          responseHeaders: [{ name: 'X-Shop', value: 'x; return 200' }],
        },
      },
      'site.fields.responseHeaders[0].value',
    ],
    [
      'a variable in a template field',
      {
        fields: {
          responseHeaders: [{ name: 'X-Shop', value: '$http_cookie' }],
        },
      },
      'site.fields.responseHeaders[0].value',
    ],
    [
      'a value the template schema refuses',
      { fields: { clientMaxBodySize: '1m; return 200' } },
      'site.fields.clientMaxBodySize',
    ],
    [
      'a field the template does not have',
      { fields: { rawConfig: 'return 200;' } },
      'site.fields.rawConfig',
    ],
    ['an unknown template', { template: 'raw' }, 'site.template'],
    [
      'too many domains',
      { domains: Array.from({ length: 21 }, (_, i) => `d${i}.example.com`) },
      'site.domains',
    ],
    [
      'too many members',
      {
        upstreams: [
          {
            name: 'app',
            members: Array.from({ length: 201 }, (_, i) => ({
              address: `10.0.${i >> 8}.${i & 255}`,
              port: 80,
            })),
          },
        ],
      },
      'site.upstreams[0].members',
    ],
  ])('refuses %s, naming the field', (_, overrides, field) => {
    expect(() => validateSite(site(overrides), context)).toThrow(
      expect.objectContaining({
        name: 'InputError',
        message: expect.stringMatching(
          new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: `),
        ),
      }),
    );
  });

  it('refuses a site with no domain where the environment gives none', () => {
    expect(() =>
      validateSite(site({ domains: [] }), {
        ...context,
        testDomain: undefined,
      }),
    ).toThrow(/^site\.domains: /);
  });
});
