import {
  ImageReferenceError,
  imageVersion,
  parseImageReference,
  shortImageVersion,
  stringifyImageReference,
  tryParseImageReference,
} from './imageReference';

const SHA = `sha256:${'a1'.repeat(32)}`;

describe('parseImageReference', () => {
  it('splits registry with port, path, tag and digest', () => {
    expect(
      parseImageReference(`registry.example.com:5000/team/app:1.4.2@${SHA}`),
    ).toEqual({
      registry: 'registry.example.com:5000',
      path: 'team/app',
      repository: 'registry.example.com:5000/team/app',
      tag: '1.4.2',
      digest: SHA,
      implicitTag: false,
    });
  });

  it('reads a name without tag as latest', () => {
    expect(parseImageReference('registry.example.com/team/app')).toMatchObject({
      tag: 'latest',
      implicitTag: true,
      digest: undefined,
    });
    expect(parseImageReference('nginx')).toEqual({
      registry: undefined,
      path: 'nginx',
      repository: 'nginx',
      tag: 'latest',
      digest: undefined,
      implicitTag: true,
    });
  });

  it('has no tag when only a digest is pinned', () => {
    expect(parseImageReference(`app@${SHA}`)).toMatchObject({
      repository: 'app',
      tag: undefined,
      digest: SHA,
      implicitTag: false,
    });
  });

  it('takes the first component as a registry only when it looks like a host', () => {
    expect(parseImageReference('team/app:1').registry).toBeUndefined();
    expect(parseImageReference('team/app:1').path).toBe('team/app');
    expect(parseImageReference('localhost/app:1').registry).toBe('localhost');
    expect(parseImageReference('localhost:5000/app').registry).toBe(
      'localhost:5000',
    );
    expect(parseImageReference('ghcr.io/o/a/b/c:v1').path).toBe('o/a/b/c');
    expect(parseImageReference('[::1]:5000/app:1').registry).toBe('[::1]:5000');
    expect(parseImageReference('Registry.Example.com/app').registry).toBe(
      'Registry.Example.com',
    );
  });

  it('tells the tag from the port', () => {
    const image = parseImageReference('registry:5000/app');
    expect(image.registry).toBe('registry:5000');
    expect(image.implicitTag).toBe(true);
    expect(parseImageReference('registry/app:5000').tag).toBe('5000');
  });

  it('accepts the separators the grammar allows', () => {
    for (const ok of ['a_b/c__d/e--f/g.h:T_1.0-rc', 'a-b-c', 'x1/y2']) {
      expect(() => parseImageReference(ok)).not.toThrow();
    }
  });

  it.each([
    ['', /empty/],
    [' app:1', /whitespace/],
    ['app:1 ', /whitespace/],
    ['App:1', /'App' is not a repository path component/],
    ['team//app', /empty component/],
    ['team/app/', /empty component/],
    ['/app', /empty component/],
    ['app:', /'' is not a tag/],
    ['app:-1', /'-1' is not a tag/],
    ['app:.1', /not a tag/],
    [`app:${'x'.repeat(129)}`, /not a tag/],
    ['app:1:2', /'app:1' is not a repository path component/],
    ['app@sha256:abc', /not a digest/],
    [`app@md5:${'a'.repeat(32)}`, /not a digest/],
    [`app@sha256:${'A1'.repeat(32)}`, /not a digest/],
    ['app@', /not a digest/],
    [':1', /names no repository/],
    ['registry.example.com:99999/app', /'99999' is not a port/],
    ['registry.example.com:port/app', /'port' is not a port/],
    ['-bad.example.com/app', /not a registry host/],
    ['a_/b', /'a_' is not a repository path component/],
    ['a..b', /not a repository path component/],
    [`${'a'.repeat(256)}:1`, /longer than 255/],
  ])('rejects %j with the reason', (reference, reason) => {
    expect(() => parseImageReference(reference)).toThrow(ImageReferenceError);
    expect(() => parseImageReference(reference)).toThrow(reason);
  });

  it('offers a variant that returns undefined', () => {
    expect(tryParseImageReference('App')).toBeUndefined();
    expect(tryParseImageReference('app:1')?.tag).toBe('1');
  });
});

describe('writing a reference back and its version', () => {
  it.each([
    'registry.example.com:5000/team/app:1.4.2',
    `app:1@${SHA}`,
    `app@${SHA}`,
    'nginx',
  ])('round-trips %s', reference => {
    expect(stringifyImageReference(parseImageReference(reference))).toBe(
      reference,
    );
  });

  it('names the version that runs: the digest when pinned, else the tag', () => {
    expect(imageVersion(parseImageReference('r.io/app:1.4.2'))).toBe('1.4.2');
    expect(imageVersion(parseImageReference(`r.io/app:1@${SHA}`))).toBe(SHA);
    expect(imageVersion(parseImageReference('r.io/app'))).toBe('latest');
  });

  it('shortens a digest for display, and prefers a written tag', () => {
    expect(shortImageVersion(parseImageReference(`app@${SHA}`))).toBe(
      'sha256:a1a1a1a1a1a1',
    );
    expect(shortImageVersion(parseImageReference(`app:2.0@${SHA}`))).toBe(
      '2.0',
    );
    expect(shortImageVersion(parseImageReference('app'))).toBe('latest');
  });
});
