import type { RegistryConfig } from '@internal/plugin-k2-node';
import { authFile, registriesConf } from './buildahFiles';

const registry = (
  host: string,
  baseUrl: string,
  extra: Partial<RegistryConfig> = {},
): RegistryConfig => ({
  host,
  baseUrl,
  insecure: baseUrl.startsWith('http:'),
  timeoutMs: 5_000,
  ...extra,
});

describe('the files of one buildah build', () => {
  it('serves each registry from its URL and lists the push endpoints, insecure only where configured', () => {
    const conf = registriesConf([
      registry('registry.northwind.example', 'http://127.0.0.1:7104'),
      registry('ghcr.io', 'https://ghcr.io'),
    ]);
    expect(conf).toBe(
      [
        'unqualified-search-registries = []',
        '',
        '[[registry]]',
        'prefix = "registry.northwind.example"',
        'location = "127.0.0.1:7104"',
        'insecure = true',
        '',
        '[[registry]]',
        'prefix = "ghcr.io"',
        'location = "ghcr.io"',
        'insecure = false',
        '',
        '[[registry]]',
        'prefix = "127.0.0.1:7104"',
        'location = "127.0.0.1:7104"',
        'insecure = true',
        '',
      ].join('\n'),
    );
  });

  it('holds only the target registry’s credentials, under its host and its endpoint', () => {
    const secured = registry(
      'registry.northwind.example',
      'http://127.0.0.1:7104',
      { credentials: { username: 'builder', password: 'p@ss' } },
    );
    const auth = Buffer.from('builder:p@ss').toString('base64');
    expect(JSON.parse(authFile(secured))).toEqual({
      auths: {
        'registry.northwind.example': { auth },
        '127.0.0.1:7104': { auth },
      },
    });
    expect(
      JSON.parse(authFile(registry('ghcr.io', 'https://ghcr.io'))),
    ).toEqual({ auths: {} });
  });
});
