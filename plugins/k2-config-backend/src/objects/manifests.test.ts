import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import {
  contentHash,
  fileSlug,
  objectContent,
  objectName,
  renderConfigObject,
} from './manifests';

const spec = {
  kubernetesId: 'basket',
  environment: 'test',
  namespace: 'shop',
  file: 'Application_Prod.yaml',
  hash: contentHash('server:\n  port: 8080\n'),
  sensitive: false,
  content: 'server:\n  port: 8080\n',
};

describe('config file objects', () => {
  it('hashes content as kustomize writes its suffixes: 10 characters of its SHA-256, never 0 1 3 a e', () => {
    // SHA-256 of the empty string starts e3b0c44298.
    expect(contentHash('')).toBe('tkbgc44298');
    expect(contentHash('a: 1\n')).toBe(contentHash('a: 1\n'));
    expect(contentHash('a: 1\n')).not.toBe(contentHash('a: 2\n'));
    for (const text of ['x', 'y', 'z', 'server: {}', 'ü']) {
      expect(contentHash(text)).toMatch(/^[2-9bcdfg-z]{10}$/);
    }
  });

  it('names the object <kubernetes-id>-<slug>-<hash>, a valid DNS name even for the longest names', () => {
    expect(fileSlug('Application_Prod.yaml')).toBe('application-prod-yaml');
    expect(objectName('basket', 'Application_Prod.yaml', 'k9b2c4d5f6')).toBe(
      'basket-application-prod-yaml-k9b2c4d5f6',
    );
    const longest = objectName(
      'a'.repeat(63),
      `${'B'.repeat(62)}9`,
      'k9b2c4d5f6',
    );
    expect(longest.length).toBeLessThanOrEqual(253);
    expect(longest).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('renders an immutable ConfigMap with one key, valid against its Kubernetes schema', () => {
    const object = renderConfigObject(spec);
    expect(() => new ConfigMap(object as any).validate()).not.toThrow();
    expect(object).toMatchObject({
      kind: 'ConfigMap',
      immutable: true,
      metadata: {
        name: `basket-application-prod-yaml-${spec.hash}`,
        namespace: 'shop',
        labels: {
          'k2.io/service': 'basket',
          'k2.io/environment': 'test',
          'backstage.io/kubernetes-id': 'basket',
          'app.kubernetes.io/managed-by': 'k2',
          'k2.io/config-file': 'Application_Prod.yaml',
          'k2.io/config-hash': spec.hash,
        },
      },
      data: { 'Application_Prod.yaml': spec.content },
    });
    expect(objectContent(object, 'Application_Prod.yaml')).toBe(spec.content);
  });

  it('renders a sensitive version as an immutable Secret of the same name, content base64, valid against its schema', () => {
    const object = renderConfigObject({
      ...spec,
      sensitive: true,
      content: 'pässword=1\n',
    });
    expect(() => new Secret(object as any).validate()).not.toThrow();
    expect(object.kind).toBe('Secret');
    expect(object.immutable).toBe(true);
    expect(object.data).toEqual({
      'Application_Prod.yaml': Buffer.from('pässword=1\n').toString('base64'),
    });
    expect(objectContent(object, 'Application_Prod.yaml')).toBe('pässword=1\n');
  });

  it('the schema check is real: a ConfigMap whose data is not text fails it', () => {
    const object = renderConfigObject(spec);
    expect(() =>
      new ConfigMap({ ...object, data: { x: 1 } } as any).validate(),
    ).toThrow();
  });
});
