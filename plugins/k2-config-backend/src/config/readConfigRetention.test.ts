import { ConfigReader } from '@backstage/config';
import { readConfigRetention } from './readConfigRetention';

const read = (retention?: object) =>
  readConfigRetention(
    new ConfigReader(retention ? { k2: { config: { retention } } } : {}),
  );

describe('readConfigRetention', () => {
  it('keeps 20 versions for 30 days, checked hourly, unless configured', () => {
    expect(read()).toEqual({
      keepVersions: 20,
      minAgeMs: 30 * 24 * 3600_000,
      frequencyMs: 3600_000,
    });
    expect(
      read({ keepVersions: 5, minAge: { days: 2 }, frequency: '10 minutes' }),
    ).toEqual({
      keepVersions: 5,
      minAgeMs: 2 * 24 * 3600_000,
      frequencyMs: 600_000,
    });
  });

  it('names the key that is wrong', () => {
    expect(() => read({ keepVersions: 0 })).toThrow(
      "Invalid K2 configuration at 'k2.config.retention.keepVersions': must be a whole number from 1, not 0",
    );
    expect(() => read({ keepVersions: 'many' })).toThrow(
      "'k2.config.retention.keepVersions'",
    );
    expect(() => read({ minAge: 'soon' })).toThrow(
      "'k2.config.retention.minAge'",
    );
  });
});
