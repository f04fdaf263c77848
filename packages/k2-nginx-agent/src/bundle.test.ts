import { bundleHash, verifyBundle } from './bundle';

const entry = { path: 'k2/k2.conf', content: 'include k2/sites/*.conf;\n' };

function bundle(files: Array<{ path: string; content: string }>) {
  return { cluster: 'edge', version: 'v1', hash: bundleHash(files), files };
}

describe('verifyBundle', () => {
  it('accepts a bundle whose files hash to its hash, in any order', () => {
    const site = { path: 'k2/sites/shop.conf', content: 'server {}\n' };
    const b = bundle([site, entry]);
    expect(verifyBundle(b, 'edge')).toBe(b);
    expect(bundleHash([entry, site])).toBe(b.hash);
  });

  it('hashes as K2 documents: path, NUL, content, NUL in path order', () => {
    // sha256 of "k2/k2.conf\0\0"
    expect(bundleHash([{ path: 'k2/k2.conf', content: '' }])).toBe(
      `sha256:${require('crypto')
        .createHash('sha256')
        .update('k2/k2.conf\0\0')
        .digest('hex')}`,
    );
  });

  it.each([
    ['../etc/passwd'],
    ['k2/../../etc/cron.d/x'],
    ['/etc/nginx/k2/x.conf'],
    ['k2/./x.conf'],
    ['k2/.k2-bundle.json'],
    ['k2//x.conf'],
    ['sites/x.conf'],
    ['k2/sites/x conf'],
  ])('refuses the path %s before anything is written', p => {
    expect(() =>
      verifyBundle(bundle([entry, { path: p, content: '' }]), 'edge'),
    ).toThrow(`bundle path '${p}' is not a plain relative path under k2/`);
  });

  it('refuses a file below another file, a duplicate, a missing entry file, another cluster', () => {
    expect(() =>
      verifyBundle(
        bundle([
          entry,
          { path: 'k2/sites', content: '' },
          { path: 'k2/sites/a/b.conf', content: '' },
        ]),
        'edge',
      ),
    ).toThrow("bundle path 'k2/sites/a/b.conf' is below a file");
    expect(() => verifyBundle(bundle([entry, entry]), 'edge')).toThrow(
      "bundle path 'k2/k2.conf' appears twice",
    );
    expect(() =>
      verifyBundle(bundle([{ path: 'k2/x.conf', content: '' }]), 'edge'),
    ).toThrow('the bundle has no k2/k2.conf');
    expect(() => verifyBundle(bundle([entry]), 'core')).toThrow(
      "the bundle is for cluster 'edge', not 'core'",
    );
    expect(() =>
      verifyBundle({ ...bundle([entry]), hash: 'sha256:00' }, 'edge'),
    ).toThrow(/^hash mismatch: the bundle announces sha256:00, its files/);
  });
});
