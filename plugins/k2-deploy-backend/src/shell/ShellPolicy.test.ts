import { ConfigReader } from '@backstage/config';
import { readEnvironmentModel } from '@internal/plugin-k2-common';
import { ShellPolicy } from './ShellPolicy';

const environments = [
  { name: 'dev', clusters: [{ name: 'dev' }] },
  { name: 'test', title: 'Test', clusters: [{ name: 'test' }] },
  {
    name: 'prod',
    title: 'Production',
    production: true,
    clusters: [{ name: 'prod' }],
  },
];

const policyOf = (shell?: object) => {
  const config = new ConfigReader({ k2: { environments, shell } });
  return ShellPolicy.fromConfig(config, readEnvironmentModel(config));
};

describe('ShellPolicy', () => {
  it('allows shells and debug outside production by default, never as root, with the default limits', () => {
    const policy = policyOf();
    expect(policy.rules('dev')).toEqual({
      shell: true,
      debug: true,
      allowRoot: false,
      debugUser: 1000,
    });
    expect(policy.rules('prod')).toMatchObject({ shell: false, debug: false });
    expect(policy.rules('staging')).toBeUndefined();
    expect(policy).toMatchObject({
      idleTimeoutMs: 15 * 60_000,
      maxDurationMs: 2 * 3600_000,
      maxSessionsPerUser: 3,
      maxSessions: 50,
      debugImages: [],
    });
    expect(policy.title('prod')).toBe('Production');
  });

  it('reads each environment’s rules, the limits and the debug images', () => {
    const policy = policyOf({
      idleTimeout: '5m',
      maxDuration: { minutes: 30 },
      maxSessionsPerUser: 1,
      maxSessions: 4,
      debugImages: [{ name: 'busybox', image: 'busybox:1.36' }],
      environments: {
        test: { shell: true, debug: false, allowRoot: true, debugUser: 2000 },
        prod: { debug: true },
      },
    });
    expect(policy.rules('test')).toEqual({
      shell: true,
      debug: false,
      allowRoot: true,
      debugUser: 2000,
    });
    expect(policy.rules('prod')).toEqual({
      shell: false,
      debug: true,
      allowRoot: false,
      debugUser: 1000,
    });
    expect(policy.idleTimeoutMs).toBe(5 * 60_000);
    expect(policy.maxDurationMs).toBe(30 * 60_000);
    expect(policy.debugImage('busybox')).toEqual({
      name: 'busybox',
      image: 'busybox:1.36',
    });
    expect(policy.debugImage('kali')).toBeUndefined();
  });

  it.each([
    [
      { environments: { staging: { shell: true } } },
      'k2.shell.environments.staging',
    ],
    [
      { environments: { test: { debugUser: 0 } } },
      'k2.shell.environments.test.debugUser',
    ],
    [{ maxSessions: 0 }, 'k2.shell.maxSessions'],
    [{ maxSessionsPerUser: 1.5 }, 'k2.shell.maxSessionsPerUser'],
    [{ idleTimeout: { milliseconds: 0 } }, 'k2.shell.idleTimeout'],
    [
      { debugImages: [{ name: 'Busy Box', image: 'busybox' }] },
      'k2.shell.debugImages[0].name',
    ],
    [
      { debugImages: [{ name: 'bb', image: 'not an image' }] },
      'k2.shell.debugImages[0].image',
    ],
    [
      {
        debugImages: [
          { name: 'bb', image: 'busybox:1.36' },
          { name: 'bb', image: 'busybox:1.37' },
        ],
      },
      'k2.shell.debugImages[1].name',
    ],
  ])('refuses %j naming %s', (shell, key) => {
    expect(() => policyOf(shell)).toThrow(key);
  });
});
