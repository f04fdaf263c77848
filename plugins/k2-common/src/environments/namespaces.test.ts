import { ConfigReader, JsonValue } from '@backstage/config';
import { isNamespaceAllowed, matchesNamespacePattern } from './namespaces';
import { readEnvironmentModel } from './readEnvironmentModel';

describe('allowed namespaces', () => {
  it('matches `*` as any run of characters, and nothing else loosely', () => {
    expect(matchesNamespacePattern('payments-*', 'payments-core')).toBe(true);
    expect(matchesNamespacePattern('payments-*', 'payments-')).toBe(true);
    expect(matchesNamespacePattern('payments-*', 'payments')).toBe(false);
    expect(matchesNamespacePattern('payments-*', 'x-payments-core')).toBe(
      false,
    );
    expect(matchesNamespacePattern('*-team', 'shop-team')).toBe(true);
    expect(matchesNamespacePattern('*-team', 'shop-teams')).toBe(false);
    expect(matchesNamespacePattern('a*b*c', 'aXbYc')).toBe(true);
    expect(matchesNamespacePattern('a*b*c', 'abc')).toBe(true);
    expect(matchesNamespacePattern('a*b*c', 'acb')).toBe(false);
    // The middle part may not overlap the suffix.
    expect(matchesNamespacePattern('a*bc*c', 'abc')).toBe(false);
    expect(matchesNamespacePattern('shop', 'shop')).toBe(true);
    expect(matchesNamespacePattern('shop', 'shop-2')).toBe(false);
  });

  it('never allows a system namespace, whatever the patterns say', () => {
    for (const ns of [
      'default',
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'kube-anything',
    ]) {
      expect(isNamespaceAllowed(undefined, ns)).toBe(false);
      expect(isNamespaceAllowed({ allowed: ['*'] }, ns)).toBe(false);
    }
    expect(isNamespaceAllowed(undefined, 'shop')).toBe(true);
    expect(isNamespaceAllowed({ allowed: ['payments-*'] }, 'shop')).toBe(false);
    expect(
      isNamespaceAllowed({ allowed: ['shop', 'payments-*'] }, 'payments-a'),
    ).toBe(true);
  });

  const config = (namespaces: JsonValue) =>
    new ConfigReader({
      k2: {
        environments: [
          { name: 'test', clusters: [{ name: 'a' }] },
          { name: 'prod', clusters: [{ name: 'b' }], namespaces },
        ],
      },
    });

  it('reads namespaces.allowed per environment; absent means any', () => {
    const model = readEnvironmentModel(
      config({ allowed: ['payments-*', 'risk'] }),
    );
    expect(model.environments[0].namespaces).toEqual({});
    expect(model.environments[1].namespaces).toEqual({
      allowed: ['payments-*', 'risk'],
    });
  });

  it('refuses a bad pattern at start-up, naming the key', () => {
    expect(() =>
      readEnvironmentModel(config({ allowed: ['payments-*', 'Bad_Name'] })),
    ).toThrow(
      "Invalid K2 configuration at 'k2.environments[1].namespaces.allowed[1]': 'Bad_Name' is not a namespace pattern",
    );
    expect(() => readEnvironmentModel(config({ allowed: [] }))).toThrow(
      "'k2.environments[1].namespaces.allowed': list at least one",
    );
    expect(() => readEnvironmentModel(config({ allowed: 'shop' }))).toThrow(
      "'k2.environments[1].namespaces.allowed'",
    );
  });
});
