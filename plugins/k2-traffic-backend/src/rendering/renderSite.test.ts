import { createHash } from 'node:crypto';
import path from 'node:path';
import { itWithNginx, NGINX } from '../__testUtils__/nginx';
import { TrafficCertificate } from '../config/readTrafficConfig';
import { NginxValidator } from '../nginx/NginxValidator';
import {
  TrafficSite,
  UpstreamMember,
  validateSite,
} from '../sites/validateSite';
import { TemplateRegistry } from '../templates/TemplateRegistry';
import { SiteRef, UpstreamMemberSource } from './members';
import { BundleRenderCache, renderBundle } from './renderBundle';
import { filesHash, renderSite } from './renderSite';

const templates = TemplateRegistry.load(
  path.resolve(__dirname, '../../templates'),
);
const certificates: TrafficCertificate[] = [
  {
    name: 'shop',
    certificate: '/etc/nginx/certs/shop.crt',
    key: '/etc/nginx/certs/shop.key',
  },
];
const validator = new NginxValidator({ binary: NGINX, timeoutMs: 30_000 });
// Only the members the site lists by hand (no cluster behind these renders).
const members: UpstreamMemberSource = {
  members: (_site, upstream) => upstream.members,
};
const cluster = { name: 'edge-test', environments: ['test'] };

function bundleOf(sites: Array<{ service: string; site: TrafficSite }>) {
  return renderBundle(
    cluster,
    sites.map(({ service, site }) => {
      const ref = { service, environment: 'test' };
      const valid = validateSite(site, {
        testDomain: `${service.split('/')[1]}.test.k2.example.com`,
        wildcardDomains: ['k2.example.com'],
        certificates,
        templates,
      });
      return {
        ...ref,
        files: renderSite(ref, valid, templates, members),
        upstreams: valid.upstreams,
      };
    }),
    members,
  );
}

const shop: TrafficSite = {
  template: 'default',
  domains: ['shop.example.com'],
  tls: { certificate: 'shop' },
  upstreams: [
    {
      name: 'web',
      method: 'ip_hash',
      maxFails: 3,
      failTimeoutSeconds: 30,
      members: [
        { address: '10.0.0.1', port: 8080, weight: 5 },
        { address: 'fd00::7', port: 8080 },
      ],
    },
    { name: 'api', method: 'least_conn', members: [] },
  ],
  locations: [
    { path: '/', upstream: 'web' },
    { path: '/api/', upstream: 'api', readTimeoutSeconds: 300 },
  ],
  fields: {
    websocket: true,
    clientMaxBodySize: '20m',
    responseHeaders: [{ name: 'X-Frame-Options', value: 'DENY' }],
  },
};

describe('rendering', () => {
  it('renders the site, its members and the entry file', () => {
    const bundle = bundleOf([
      { service: 'component:default/shop', site: shop },
    ]);
    expect(bundle.files.map(f => f.path)).toEqual([
      'k2/k2.conf',
      'k2/sites/test/default/shop.conf',
      'k2/members/test/default/shop/web.conf',
      'k2/members/test/default/shop/api.conf',
    ]);
    const [entry, siteFile, web, api] = bundle.files.map(f => f.content);
    expect(entry).toContain('include k2/sites/test/default/shop.conf;');
    expect(siteFile).toMatch(
      /upstream k2_test_shop_web_[0-9a-f]{8} \{\n {4}ip_hash;\n {4}include k2\/members\/test\/default\/shop\/web\.conf;\n\}/,
    );
    expect(siteFile).toContain(
      'server_name shop.test.k2.example.com shop.example.com;\n',
    );
    expect(siteFile).toContain('return 301 https://$host$request_uri;');
    expect(siteFile).toContain(
      'ssl_certificate /etc/nginx/certs/shop.crt;\n    ssl_certificate_key /etc/nginx/certs/shop.key;',
    );
    expect(siteFile).toContain('add_header X-Frame-Options "DENY" always;');
    expect(siteFile).toContain('proxy_read_timeout 300s;');
    expect(siteFile).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(web).toContain(
      'server 10.0.0.1:8080 weight=5 max_fails=3 fail_timeout=30s;\nserver [fd00::7]:8080 weight=1 max_fails=3 fail_timeout=30s;\n',
    );
    expect(api).toContain('server 127.0.0.1:1 down;');
    expect(bundle.hash).toBe(filesHash(bundle.files));
    expect(bundle.hash.slice(7)).toContain(bundle.version);
  });

  it('hashes each path and content, NUL after each, in path order, however large the files', () => {
    const files = [
      { path: 'k2/b.conf', content: `# é ${'b'.repeat(70_000)}\n` },
      { path: 'k2/a.conf', content: 'include k2/b.conf;\n' },
      { path: 'k2/c.conf', content: `${'c'.repeat(200_000)}\n` },
    ];
    const expected = createHash('sha256');
    for (const file of [files[1], files[0], files[2]]) {
      expected.update(file.path).update('\0').update(file.content).update('\0');
    }
    expect(filesHash(files)).toBe(`sha256:${expected.digest('hex')}`);
  });

  it('gives the same bundle for the same sites, and a new version for any change', () => {
    const a = bundleOf([{ service: 'component:default/shop', site: shop }]);
    const b = bundleOf([{ service: 'component:default/shop', site: shop }]);
    expect(b.version).toBe(a.version);
    const c = bundleOf([
      {
        service: 'component:default/shop',
        site: { ...shop, locations: [{ path: '/', upstream: 'web' }] },
      },
    ]);
    expect(c.version).not.toBe(a.version);
  });

  itWithNginx('passes a real nginx -t, TLS and all', async () => {
    const bundle = bundleOf([
      { service: 'component:default/shop', site: shop },
      {
        service: 'component:finance/ledger',
        site: {
          template: 'default',
          upstreams: [
            { name: 'web', members: [{ address: '10.0.1.1', port: 80 }] },
          ],
          locations: [{ path: '/', upstream: 'web' }],
        },
      },
    ]);
    await expect(
      validator.check(bundle.files, certificates),
    ).resolves.toBeUndefined();
  });

  itWithNginx(
    'reports what nginx -t rejects with the host paths and bundle paths',
    async () => {
      const bundle = bundleOf([
        { service: 'component:default/shop', site: shop },
      ]);
      const broken = bundle.files.map(f =>
        f.path === 'k2/sites/test/default/shop.conf'
          ? { ...f, content: `${f.content}\nproxy_buffering sometimes;\n` }
          : f,
      );
      const error = await validator
        .check(broken, certificates)
        .catch(e => e as Error);
      expect(error).toMatchObject({ name: 'InputError' });
      expect((error as Error).message).toMatch(
        /^nginx -t rejected the cluster config: \[emerg\] invalid value "sometimes" in "proxy_buffering" directive, it must be "on" or "off" in k2\/sites\/test\/default\/shop\.conf:\d+$/,
      );
      expect((error as Error).message).not.toMatch(/k2-nginx-check-/);
    },
  );
});

describe('renderBundle with a cache', () => {
  it('re-renders only changed member files and builds what a render without cache builds', () => {
    const pods = new Map<string, UpstreamMember[]>();
    const source = { members: (site: SiteRef) => pods.get(site.service) ?? [] };
    const sites = ['a', 'b', 'c'].map(name => {
      const ref = { service: `component:default/${name}`, environment: 'test' };
      pods.set(ref.service, [
        {
          host: `10.0.0.${name.charCodeAt(0)}`,
          port: 80,
          weight: 1,
          backup: false,
        },
      ]);
      const valid = validateSite(
        {
          template: 'default',
          upstreams: [{ name: 'app', members: [] }],
          locations: [{ path: '/', upstream: 'app' }],
        },
        {
          testDomain: `${name}.test.k2.example.com`,
          wildcardDomains: ['k2.example.com'],
          certificates,
          templates,
        },
      );
      return {
        ...ref,
        files: renderSite(ref, valid, templates, source),
        upstreams: valid.upstreams,
      };
    });
    const cache = new BundleRenderCache();
    const first = renderBundle(cluster, sites, source, cache);
    pods.set('component:default/b', [
      { host: '10.0.1.1', port: 80, weight: 2, backup: false },
    ]);
    const second = renderBundle(cluster, sites, source, cache);
    expect(second).toEqual(renderBundle(cluster, sites, source));
    expect(second.version).not.toBe(first.version);
    const changed = second.files.filter(f => !first.files.includes(f));
    expect(changed.map(f => f.path)).toEqual([
      'k2/members/test/default/b/app.conf',
    ]);
    expect(changed[0].content).toContain('server 10.0.1.1:80 weight=2');
    expect(renderBundle(cluster, sites, source, cache)).toEqual(second);
  });
});

describe('canary routes', () => {
  const canarySite: TrafficSite = {
    ...shop,
    upstreams: [
      { ...shop.upstreams[0], canary: { kind: 'weight', percent: 10 } },
      {
        ...shop.upstreams[1],
        canary: { kind: 'cookie', name: 'beta', value: 'on' },
      },
    ],
  };
  const ref = { service: 'component:default/shop', environment: 'test' };
  const canaryPods: UpstreamMember[] = [];
  const source: UpstreamMemberSource = {
    members: (_site, upstream) => upstream.members,
    canaryPodMembers: () => canaryPods,
  };
  const valid = validateSite(canarySite, {
    testDomain: 'shop.test.k2.example.com',
    wildcardDomains: ['k2.example.com'],
    certificates,
    templates,
  });
  const bundleSite = {
    ...ref,
    files: renderSite(ref, valid, templates, source),
    upstreams: valid.upstreams,
  };
  const content = (files: { path: string; content: string }[], p: string) =>
    files.find(f => f.path === p)!.content;

  afterEach(() => {
    canaryPods.length = 0;
  });

  it('renders a canary upstream beside the stable one, its route, and proxies through the route', () => {
    const siteFile = content(
      bundleSite.files,
      'k2/sites/test/default/shop.conf',
    );
    const web = /upstream (k2_test_shop_web_[0-9a-f]{8}) \{/.exec(siteFile)![1];
    expect(siteFile).toContain(
      `upstream ${web}_canary {\n    ip_hash;\n    include k2/members/test/default/shop/web.canary.conf;\n}`,
    );
    expect(siteFile).toContain(
      `split_clients "\${request_id}" $${web}_route {\n    10% ${web}_canary;\n    * ${web};\n}`,
    );
    expect(siteFile).toMatch(
      /map \$cookie_beta \$k2_test_shop_api_[0-9a-f]{8}_route \{/,
    );
    expect(siteFile).toContain(`proxy_pass http://$${web}_route;`);
    expect(siteFile).not.toContain(`proxy_pass http://${web};`);
    expect(bundleSite.files.map(f => f.path)).toEqual([
      'k2/sites/test/default/shop.conf',
      'k2/members/test/default/shop/web.conf',
      'k2/members/test/default/shop/web.canary.conf',
      'k2/members/test/default/shop/api.conf',
      'k2/members/test/default/shop/api.canary.conf',
    ]);
  });

  it('renders with the cache what it renders without, as sites leave and canary routes come and go', () => {
    const plain = validateSite(shop, {
      testDomain: 'shop.test.k2.example.com',
      wildcardDomains: ['k2.example.com'],
      certificates,
      templates,
    });
    const withoutCanary = {
      ...ref,
      files: renderSite(ref, plain, templates, source),
      upstreams: plain.upstreams,
    };
    const cache = new BundleRenderCache();
    const steps = [[bundleSite], [withoutCanary], [], [bundleSite]];
    for (const sites of steps) {
      canaryPods.push({
        host: `10.9.0.${canaryPods.length + 1}`,
        port: 8080,
        weight: 1,
        backup: false,
      });
      const cached = renderBundle(cluster, sites, source, cache);
      expect(cached).toEqual(renderBundle(cluster, sites, source));
    }
    expect(
      content(
        renderBundle(cluster, [bundleSite], source, cache).files,
        'k2/members/test/default/shop/web.canary.conf',
      ),
    ).toContain('server 10.9.0.4:8080');
  });

  it('gives the canary the stable members while no canary pod is ready, its pods once there are', () => {
    const cache = new BundleRenderCache();
    const without = renderBundle(cluster, [bundleSite], source, cache);
    const stableWeb = content(
      without.files,
      'k2/members/test/default/shop/web.conf',
    );
    const canaryWeb = content(
      without.files,
      'k2/members/test/default/shop/web.canary.conf',
    );
    expect(canaryWeb).toContain('no canary pod is ready');
    expect(canaryWeb.split('\n').slice(1)).toEqual(
      stableWeb.split('\n').slice(1),
    );

    canaryPods.push({
      host: '10.9.0.1',
      port: 8080,
      weight: 1,
      backup: false,
      origin: {
        kind: 'pod',
        cluster: 'test',
        namespace: 'shop',
        pod: 'shop-canary-x',
      },
    });
    const withPods = renderBundle(cluster, [bundleSite], source, cache);
    expect(withPods).toEqual(renderBundle(cluster, [bundleSite], source));
    const changed = withPods.files.filter(f => !without.files.includes(f));
    expect(changed.map(f => f.path)).toEqual([
      'k2/members/test/default/shop/web.canary.conf',
      'k2/members/test/default/shop/api.canary.conf',
    ]);
    expect(
      content(withPods.files, 'k2/members/test/default/shop/web.canary.conf'),
    ).toBe(
      "# Canary members of upstream 'web' of component:default/shop in test; rendered by K2.\nserver 10.9.0.1:8080 weight=1 max_fails=3 fail_timeout=30s; # pod test/shop/shop-canary-x\n",
    );
    expect(
      content(withPods.files, 'k2/members/test/default/shop/web.conf'),
    ).toBe(stableWeb);

    canaryPods.length = 0;
    expect(renderBundle(cluster, [bundleSite], source, cache).version).toBe(
      without.version,
    );
  });

  itWithNginx(
    'passes a real nginx -t with and without canary pods',
    async () => {
      await expect(
        validator.check(
          renderBundle(cluster, [bundleSite], source).files,
          certificates,
        ),
      ).resolves.toBeUndefined();
      canaryPods.push({
        host: '10.9.0.1',
        port: 8080,
        weight: 1,
        backup: false,
      });
      await expect(
        validator.check(
          renderBundle(cluster, [bundleSite], source).files,
          certificates,
        ),
      ).resolves.toBeUndefined();
    },
  );
});
