import { sortTagsNewestFirst } from './tagOrder';

describe('sortTagsNewestFirst', () => {
  it('orders versions by precedence, not by name', () => {
    expect(
      sortTagsNewestFirst(['1.2.0', '1.10.0', '1.9.12', '0.9', '1.10']),
    ).toEqual(['1.10', '1.10.0', '1.9.12', '1.2.0', '0.9']);
  });

  it('puts a pre-release below its release, by semantic versioning precedence', () => {
    expect(
      sortTagsNewestFirst([
        '2.0.0-rc.1',
        '2.0.0',
        '2.0.0-rc.10',
        '2.0.0-rc.2',
        '2.0.0-beta',
        '1.9.0',
      ]),
    ).toEqual([
      '2.0.0',
      '2.0.0-rc.10',
      '2.0.0-rc.2',
      '2.0.0-rc.1',
      '2.0.0-beta',
      '1.9.0',
    ]);
  });

  it('reads v-prefixes, date stamps and build metadata as versions', () => {
    expect(
      sortTagsNewestFirst(['v1.4.2', '1.4.3+build.7', '20261126', '20251201']),
    ).toEqual(['20261126', '20251201', '1.4.3+build.7', 'v1.4.2']);
  });

  it('puts other tags after the versions, in name order', () => {
    expect(
      sortTagsNewestFirst(['main', 'latest', '1.0.0', 'sha-3f2a9c1', 'dev']),
    ).toEqual(['1.0.0', 'dev', 'latest', 'main', 'sha-3f2a9c1']);
  });
});
