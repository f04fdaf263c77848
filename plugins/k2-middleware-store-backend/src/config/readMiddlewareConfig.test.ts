import { ConfigReader } from '@backstage/config';
import { K2EnvironmentModel } from '@internal/plugin-k2-common';
import { readMiddlewareConfig } from './readMiddlewareConfig';

const model = {
  environments: [{ name: 'test' }, { name: 'prod' }],
} as K2EnvironmentModel;

const read = (middleware?: object) =>
  readMiddlewareConfig(
    new ConfigReader(middleware ? { k2: { middleware } } : {}),
    model,
  );

describe('readMiddlewareConfig', () => {
  it('gives every environment a policy: configured expiry in test, none in prod', () => {
    const config = read({
      lifecycle: { frequency: { seconds: 10 } },
      environments: {
        test: { ttlDays: 7, maxTtlDays: 30, reminderDays: 2, retentionDays: 7 },
        prod: { retentionDays: 30 },
      },
    });
    expect(config.lifecycleFrequencyMs).toBe(10_000);
    expect(Object.fromEntries(config.environments)).toEqual({
      test: { ttlDays: 7, maxTtlDays: 30, reminderDays: 2, retentionDays: 7 },
      prod: { retentionDays: 30 },
    });
  });

  it('fills defaults: no expiry, 7 days of retention, the cap at the time to live, a reminder a day before', () => {
    const config = read({ environments: { test: { ttlDays: 3 } } });
    expect(config.lifecycleFrequencyMs).toBe(30_000);
    expect(config.environments.get('test')).toEqual({
      ttlDays: 3,
      maxTtlDays: 3,
      reminderDays: 1,
      retentionDays: 7,
    });
    expect(config.environments.get('prod')).toEqual({ retentionDays: 7 });
    expect(read().environments.get('test')).toEqual({ retentionDays: 7 });
    expect(
      read({ environments: { test: { ttlDays: 1 } } }).environments.get('test'),
    ).toEqual({ ttlDays: 1, maxTtlDays: 1, retentionDays: 7 });
  });

  it.each([
    [
      { environments: { staging: { ttlDays: 3 } } },
      "Invalid K2 configuration at 'k2.middleware.environments.staging': 'staging' is not an environment of k2.environments",
    ],
    [
      { environments: { test: { ttlDays: 0 } } },
      "Invalid K2 configuration at 'k2.middleware.environments.test.ttlDays': must be a whole number of days from 1 to 3650, not 0",
    ],
    [
      { environments: { test: { ttlDays: 'week' } } },
      "'k2.middleware.environments.test.ttlDays'",
    ],
    [
      { environments: { test: { ttlDays: 7, maxTtlDays: 5 } } },
      "'k2.middleware.environments.test.maxTtlDays': 5 is less than ttlDays 7",
    ],
    [
      { environments: { test: { ttlDays: 7, reminderDays: 7 } } },
      "'k2.middleware.environments.test.reminderDays': 7 must be less than ttlDays 7",
    ],
    [
      { environments: { prod: { maxTtlDays: 30 } } },
      "'k2.middleware.environments.prod.maxTtlDays': needs ttlDays",
    ],
    [
      { lifecycle: { frequency: 'often' } },
      "'k2.middleware.lifecycle.frequency'",
    ],
  ])('names the key that is wrong in %j', (middleware, message) => {
    expect(() => read(middleware)).toThrow(message);
  });
});
