import { ConfigReader } from '@backstage/config';
import { readClusterChecksConfig } from './readClusterChecksConfig';

const read = (clusterChecks: object) =>
  readClusterChecksConfig(
    new ConfigReader({ k2: { alerts: { clusterChecks } } }),
  );

describe('readClusterChecksConfig', () => {
  it('defaults the disk threshold to 85 % and reads a configured one', () => {
    expect(read({}).diskFullPercent).toBe(85);
    expect(read({ diskFullPercent: 92.5 }).diskFullPercent).toBe(92.5);
    expect(read({ diskFullPercent: 100 }).diskFullPercent).toBe(100);
  });

  it.each([[0], [-5], [101]])(
    'refuses diskFullPercent %p, naming the key',
    value => {
      expect(() => read({ diskFullPercent: value })).toThrow(
        /k2\.alerts\.clusterChecks\.diskFullPercent.*percentage above 0, at most 100/,
      );
    },
  );

  it('refuses a diskFullPercent that is not a number', () => {
    expect(() => read({ diskFullPercent: 'full' })).toThrow(/diskFullPercent/);
  });
});
