import { ConfigReader } from '@backstage/config';
import { readBuildsConfig } from './readBuildsConfig';

const read = (builds: object | undefined) =>
  readBuildsConfig(new ConfigReader({ k2: builds ? { builds } : {} }));

describe('readBuildsConfig', () => {
  it('defaults to one local build at a time, 30 minutes, 30 days of logs, no source and no webhook secret', () => {
    expect(read(undefined)).toEqual({
      runner: 'local',
      timeoutMs: 30 * 60 * 1000,
      logRetentionDays: 30,
      sources: [],
      sharedRepositories: [],
      baseImages: {},
      concurrency: 1,
    });
    expect(read({ runner: 'kubernetes' }).concurrency).toBe(5);
  });

  it('reads every key', () => {
    expect(
      read({
        runner: 'kubernetes',
        timeout: '45m',
        logRetentionDays: 7,
        sources: [
          { host: 'GitHub.com', token: 'ghp_x' },
          { host: '127.0.0.1:7108' },
        ],
        sharedRepositories: ['https://GitHub.com/acme/monorepo.git/'],
        webhooks: { secret: 'a-secret-of-enough-length' },
        baseImages: {
          node: {
            build: 'r.example/node-build:18',
            runtime: 'r.example/node:18',
          },
        },
        kubernetes: { concurrency: 3 },
        local: { concurrency: 9 },
      }),
    ).toEqual({
      runner: 'kubernetes',
      timeoutMs: 45 * 60 * 1000,
      logRetentionDays: 7,
      sources: [
        { host: 'github.com', token: 'ghp_x' },
        { host: '127.0.0.1:7108', token: undefined },
      ],
      sharedRepositories: ['https://github.com/acme/monorepo'],
      webhookSecret: 'a-secret-of-enough-length',
      baseImages: {
        node: {
          build: 'r.example/node-build:18',
          runtime: 'r.example/node:18',
        },
      },
      concurrency: 3,
    });
  });

  it.each([
    [
      { runner: 'docker' },
      "k2.builds.runner': must be 'local' or 'kubernetes'",
    ],
    [
      { timeout: '0s' },
      "k2.builds.timeout': must be from 1 second to 24 hours",
    ],
    [
      { logRetentionDays: 0 },
      "k2.builds.logRetentionDays': must be a whole number from 1 to 3650",
    ],
    [
      { sources: [{ host: 'https://github.com' }] },
      "k2.builds.sources[0].host'",
    ],
    [
      { sharedRepositories: ['git@github.com:acme/monorepo.git'] },
      "k2.builds.sharedRepositories[0]': 'git@github.com:acme/monorepo.git' is not a repository URL",
    ],
    [
      { webhooks: { secret: 'short' } },
      "k2.builds.webhooks.secret': must be at least 16 characters",
    ],
    [
      { baseImages: { cobol: { build: 'a:1', runtime: 'b:1' } } },
      "k2.builds.baseImages.cobol': is not a template",
    ],
    [
      { local: { concurrency: 0 } },
      "k2.builds.local.concurrency': must be a whole number from 1 to 100",
    ],
  ])('refuses %j naming the key', (builds, message) => {
    expect(() => read(builds)).toThrow(message);
  });
});
