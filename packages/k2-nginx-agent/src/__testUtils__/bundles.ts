/**
 * Bundles as K2 renders them: `k2/k2.conf` includes each site file by a path relative
 * to nginx.conf's directory, and each site proxies its domain to one upstream.
 */
export function siteBundle(options: {
  listenPort: number;
  domain: string;
  upstreamPort: number;
  /** Extra lines inside the site's location, e.g. a directive nginx rejects. */
  extra?: string;
}): Record<string, string> {
  return {
    'k2/k2.conf': 'include k2/sites/*.conf;\n',
    'k2/sites/shop.conf': [
      'upstream shop {',
      '    include k2/upstreams/shop.members;',
      '}',
      'server {',
      `    listen 127.0.0.1:${options.listenPort};`,
      `    server_name ${options.domain};`,
      '    location / {',
      '        proxy_pass http://shop;',
      ...(options.extra ? [`        ${options.extra}`] : []),
      '    }',
      '}',
      '',
    ].join('\n'),
    'k2/upstreams/shop.members': `server 127.0.0.1:${options.upstreamPort};\n`,
  };
}
