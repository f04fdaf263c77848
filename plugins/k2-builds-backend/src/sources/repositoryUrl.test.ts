import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { normaliseRepositoryUrl, sourceOf } from './repositoryUrl';

const service = (location?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'ledger',
    annotations: location
      ? { 'backstage.io/source-location': location }
      : undefined,
  },
  spec: { type: 'service', owner: 'payments', lifecycle: 'production' },
});

describe('normaliseRepositoryUrl', () => {
  it('gives two URLs of one repository the same form', () => {
    const forms = [
      'https://github.com/Northwind/Ledger',
      'https://GitHub.com/Northwind/Ledger.git',
      'https://github.com/Northwind/Ledger/',
      'https://github.com:443/Northwind/Ledger.git/',
      'https://github.com/Northwind/Ledger/tree/main/src',
      'https://github.com/Northwind/Ledger/blob/main/README.md',
    ];
    for (const url of forms) {
      expect(normaliseRepositoryUrl(url)).toBe(
        'https://github.com/Northwind/Ledger',
      );
    }
    expect(
      normaliseRepositoryUrl(
        'https://gitlab.com/northwind/payments/ledger/-/tree/main/',
      ),
    ).toBe('https://gitlab.com/northwind/payments/ledger');
    expect(
      normaliseRepositoryUrl('http://127.0.0.1:7108/payments/ledger.git'),
    ).toBe('http://127.0.0.1:7108/payments/ledger');
  });

  it('keeps what tells repositories apart: the path’s case, the port, another repository', () => {
    expect(
      normaliseRepositoryUrl('http://127.0.0.1:7118/payments/ledger'),
    ).not.toBe(normaliseRepositoryUrl('http://127.0.0.1:7108/payments/ledger'));
    expect(normaliseRepositoryUrl('https://github.com/northwind/tree')).toBe(
      'https://github.com/northwind/tree',
    );
    expect(normaliseRepositoryUrl('https://example.com/a/b/tree/main')).toBe(
      'https://example.com/a/b/tree/main',
    );
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => normaliseRepositoryUrl('file:///srv/git/ledger')).toThrow(
      InputError,
    );
    expect(() => normaliseRepositoryUrl('not a url')).toThrow(InputError);
  });
});

describe('sourceOf', () => {
  it('reads the clone URL, its host and its key from the annotation', () => {
    expect(
      sourceOf(service('url:http://127.0.0.1:7108/payments/ledger.git')),
    ).toEqual({
      url: 'http://127.0.0.1:7108/payments/ledger.git',
      host: '127.0.0.1:7108',
      key: 'http://127.0.0.1:7108/payments/ledger',
    });
    expect(
      sourceOf(service('url:https://GitHub.com/Northwind/Ledger/tree/main/')),
    ).toEqual({
      url: 'https://github.com/Northwind/Ledger',
      host: 'github.com',
      key: 'https://github.com/Northwind/Ledger',
    });
  });

  it('is undefined without the annotation', () => {
    expect(sourceOf(service())).toBeUndefined();
  });

  it('refuses a location K2 cannot clone, without echoing credentials', () => {
    expect(() => sourceOf(service('file:/srv/ledger'))).toThrow(
      /must be a url: location, not file:/,
    );
    expect(() => sourceOf(service('url:ssh://git@github.com/a/b'))).toThrow(
      /not an http\(s\) URL/,
    );
    let message = '';
    try {
      sourceOf(service('url:https://bob:hunter2@github.com/a/b'));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must not carry credentials/);
    expect(message).not.toContain('hunter2');
    expect(() => sourceOf(service('github.com/a/b'))).toThrow(InputError);
  });
});
