import type { RegistryConfig } from '@internal/plugin-k2-node';

/** `host:port` of a registry's URL, as `docker://` references and auth files name it. */
export function endpointOf(registry: RegistryConfig): string {
  return new URL(registry.baseUrl).host;
}

const toml = (value: string) => JSON.stringify(value);

/**
 * The `registries.conf` of one build: no short names resolved anywhere (a `FROM`
 * must name its registry), each `k2.registries` host served from its URL's
 * `host:port` (so `FROM registry.northwind.example/…` pulls from the loopback
 * registry in development), and each such endpoint itself listed too, since pushes
 * go to `docker://<host:port>/…` and are not rewritten. `insecure` (plain HTTP, no
 * certificate check) only where `k2.registries` allows it.
 */
export function registriesConf(registries: Iterable<RegistryConfig>): string {
  const lines = ['unqualified-search-registries = []', ''];
  const listed = new Set<string>();
  const entry = (prefix: string, location: string, insecure: boolean) => {
    if (listed.has(prefix)) return;
    listed.add(prefix);
    lines.push(
      '[[registry]]',
      `prefix = ${toml(prefix)}`,
      `location = ${toml(location)}`,
      `insecure = ${insecure}`,
      '',
    );
  };
  const all = [...registries];
  for (const registry of all) {
    entry(registry.host, endpointOf(registry), registry.insecure);
  }
  for (const registry of all) {
    const endpoint = endpointOf(registry);
    entry(endpoint, endpoint, registry.insecure);
  }
  return lines.join('\n');
}

/**
 * The auth file of one build (containers-auth.json): only the target registry's
 * credentials, under its `k2.registries` host (pulls through the rewrite) and its
 * endpoint (the push). Written with mode 600 and removed with the build's directory.
 */
export function authFile(registry: RegistryConfig): string {
  const auths: Record<string, { auth: string }> = {};
  if (registry.credentials) {
    const auth = Buffer.from(
      `${registry.credentials.username}:${registry.credentials.password}`,
    ).toString('base64');
    auths[registry.host] = { auth };
    auths[endpointOf(registry)] = { auth };
  }
  return `${JSON.stringify({ auths }, null, 2)}\n`;
}

/** Accepts any image: images come only from the registries configured above. */
export const SIGNATURE_POLICY = `${JSON.stringify({
  default: [{ type: 'insecureAcceptAnything' }],
})}\n`;
