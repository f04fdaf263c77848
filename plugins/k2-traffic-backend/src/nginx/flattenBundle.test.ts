import { itWithNginx, NGINX } from '../__testUtils__/nginx';
import { flattenBundle, isWholeConfig, wholeConfigText } from './flattenBundle';
import { NginxValidator } from './NginxValidator';

describe('isWholeConfig', () => {
  it.each([
    'server 10.0.0.1:80 weight=1;\n',
    '# only a comment',
    'location / {\n    return 200 "a } b; c";\n}\n',
    'set $x "${host}";\nproxy_pass http://${x}_route;\n',
    "add_header X-A 'it\\'s';\n",
  ])('takes %j as whole', content => {
    expect(isWholeConfig(content)).toBe(true);
  });

  it.each([
    'server 10.0.0.1:80; }\nserver {\n    listen 81;\n',
    'server 10.0.0.1:80',
    'location / {\n',
    'return 200 "open',
    'location /a{ return 200; }',
  ])('refuses %j', content => {
    expect(isWholeConfig(content)).toBe(false);
  });
});

describe('wholeConfigText', () => {
  it('cuts comments, keeping their lines, and keeps # inside a word or quotes', () => {
    expect(
      wholeConfigText(
        '# head\nserver 10.0.0.1:80; # pod a/b\nadd_header X "a # b";\nset $a b#c;\n',
      ),
    ).toBe('\nserver 10.0.0.1:80; \nadd_header X "a # b";\nset $a b#c;\n');
  });
});

describe('flattenBundle', () => {
  const root = {
    path: 'nginx.conf',
    content: 'http {\n    include k2/k2.conf;\n}\n',
  };

  it('puts each included bundle file in place of its include and says where each line came from', () => {
    const flat = flattenBundle(root, [
      { path: 'k2/k2.conf', content: '# entry\ninclude k2/sites/a.conf;\n' },
      {
        path: 'k2/sites/a.conf',
        content: 'upstream a {\n    include k2/members/a.conf;\n}\n',
      },
      { path: 'k2/members/a.conf', content: 'server 10.0.0.1:80;' },
    ]);
    expect(flat?.text).toBe(
      'http {\n\nupstream a {\nserver 10.0.0.1:80;\n}\n}\n',
    );
    expect(
      [1, 2, 3, 4, 5, 6].map(line => {
        const origin = flat?.origin(line);
        return `${origin?.file}:${origin?.line}`;
      }),
    ).toEqual([
      'nginx.conf:1',
      'k2/k2.conf:1',
      'k2/sites/a.conf:1',
      'k2/members/a.conf:1',
      'k2/sites/a.conf:3',
      'nginx.conf:3',
    ]);
  });

  it('gives up when an included file would close a block around its include', () => {
    expect(
      flattenBundle(root, [
        { path: 'k2/k2.conf', content: 'server { listen 80; }\n}\nevents {\n' },
      ]),
    ).toBeUndefined();
  });

  it('gives up on a file that includes itself', () => {
    expect(
      flattenBundle(root, [
        { path: 'k2/k2.conf', content: 'include k2/k2.conf;\n' },
      ]),
    ).toBeUndefined();
  });
});

describe('NginxValidator on bundles it cannot flatten', () => {
  const validator = new NginxValidator({ binary: NGINX, timeoutMs: 30_000 });
  const site = (members: string) => [
    { path: 'k2/k2.conf', content: 'include k2/sites/a.conf;\n' },
    {
      path: 'k2/sites/a.conf',
      content: [
        'upstream a {',
        '    include k2/members/a.conf;',
        '}',
        'server {',
        '    listen 8080;',
        '    location / { proxy_pass http://a; }',
        '}',
        '',
      ].join('\n'),
    },
    { path: 'k2/members/a.conf', content: members },
  ];

  itWithNginx('names the bundle file and line nginx -t rejects', async () => {
    const error = await validator
      .check(site('server 10.0.0.1:80;\nserver 10.0.0.2:80 weight=x;\n'), [])
      .catch(e => e as Error);
    expect((error as Error).message).toMatch(
      /invalid parameter "weight=x" in k2\/members\/a\.conf:2$/,
    );
  });

  itWithNginx(
    'names the line of a file whose comments the candidate leaves out',
    async () => {
      const error = await validator
        .check(
          site(
            '# Members\nserver 10.0.0.1:80; # pod test/a/b\n# note\nserver 10.0.0.2:80 weight=x;\n',
          ),
          [],
        )
        .catch(e => e as Error);
      expect((error as Error).message).toMatch(
        /invalid parameter "weight=x" in k2\/members\/a\.conf:4$/,
      );
    },
  );

  itWithNginx(
    'refuses a member file that closes its upstream, as a host would',
    async () => {
      const error = await validator
        .check(
          site('server 10.0.0.1:80;\n}\nupstream b {\nserver 10.0.0.2:80;\n'),
          [],
        )
        .catch(e => e as Error);
      expect((error as Error).message).toMatch(
        /^nginx -t rejected the cluster config: \[emerg\] unexpected "}" in k2\/members\/a\.conf:2$/,
      );
    },
  );
});
