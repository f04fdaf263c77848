import fs from 'fs';
import os from 'os';
import path from 'path';
import { LiveConfig } from './LiveConfig';

describe('LiveConfig.open', () => {
  let dir: string;
  let nginxConf: string;
  const open = () => LiveConfig.open({ nginxBin: 'nginx', nginxConf });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-live-config-'));
    nginxConf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(
      nginxConf,
      'events {}\nhttp {\n    include mime.types;\n    include k2/k2.conf;\n}\n',
    );
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes an empty bundle live on a host without k2, so nginx can start with the include', async () => {
    const live = await open();
    expect(fs.readlinkSync(path.join(dir, 'k2'))).toMatch(
      /^\.k2-agent\/releases\/[0-9a-z]+-[0-9a-f]{8}$/,
    );
    expect(fs.readFileSync(path.join(dir, 'k2', 'k2.conf'), 'utf8')).toBe('');
    expect(await live.applied()).toBeUndefined();
  });

  it('refuses an nginx.conf that does not include the bundle (a comment does not count)', async () => {
    fs.writeFileSync(nginxConf, 'http {\n    # include k2/k2.conf;\n}\n');
    await expect(open()).rejects.toThrow(
      `${nginxConf} does not include the bundle; add 'include k2/k2.conf;' inside its http block`,
    );
    expect(fs.existsSync(path.join(dir, 'k2'))).toBe(false);
  });

  it('refuses to take over a k2 it did not make', async () => {
    fs.mkdirSync(path.join(dir, 'k2'));
    fs.writeFileSync(path.join(dir, 'k2', 'k2.conf'), 'hand-written\n');
    await expect(open()).rejects.toThrow(
      `${path.join(dir, 'k2')} is not a symlink the agent made`,
    );
    fs.rmSync(path.join(dir, 'k2'), { recursive: true });
    fs.symlinkSync('/somewhere/else', path.join(dir, 'k2'));
    await expect(open()).rejects.toThrow(
      'points to /somewhere/else, not to a release of the agent',
    );
  });

  it('keeps the live release and removes what an interrupted run left', async () => {
    await open();
    const liveTarget = fs.readlinkSync(path.join(dir, 'k2'));
    const agentDir = path.join(dir, '.k2-agent');
    fs.mkdirSync(path.join(agentDir, 'releases', 'staged-1', 'sites'), {
      recursive: true,
    });
    fs.mkdirSync(path.join(agentDir, 'test-staged-1'));
    fs.symlinkSync('x', path.join(agentDir, 'link-staged-1'));

    await open();
    expect(fs.readlinkSync(path.join(dir, 'k2'))).toBe(liveTarget);
    expect(fs.readdirSync(agentDir)).toEqual(['releases']);
    expect(fs.readdirSync(path.join(agentDir, 'releases'))).toEqual([
      path.basename(liveTarget),
    ]);
  });
});
