import path from 'path';
import { Config, ConfigReader } from '@backstage/config';
import { loadConfig } from '@backstage/config-loader';
import { tryParseImageReference } from '@internal/plugin-k2-common';
import { loopbackClustersFromConfig } from '../sandbox';
import { pushImageTags, startLocalRegistry } from './localRegistry';
import { parsePushReferences } from './pushReferences';

const USAGE = `Usage: k2-sandbox-registry [options]
       k2-sandbox-registry push --url URL REPOSITORY:TAG...

Serves the image registry that the portal config declares on loopback
(k2.registries[] with an http://127.0.0.1 url) with docker-registry, and pushes to it
the tags the sandbox clusters' workloads run, with a few older and newer versions
around each, so the release dialog offers real tags. Start it after the sandbox.

With push, pushes a tiny image under each REPOSITORY:TAG to the registry at URL (a
running one), so a release of that tag finds it. REPOSITORY is the path in the
registry (payments-core/ledger-service) or a whole reference with the registry's host
(registry.northwind.example/payments-core/ledger-service), which is left out.

Options:
  --config FILE   app-config file(s) to read (repeatable; default: app-config.yaml)
  --dir DIR       where the registry stores images (default: .k2/registry)
  --url URL       the registry to push to (push only), e.g. http://127.0.0.1:7104
  -h, --help      show this help
`;

async function push(argv: string[]) {
  let url: string | undefined;
  const references: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--url') {
      url = argv[++i];
      if (url === undefined) throw new Error('--url needs a value');
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}\n\n${USAGE}`);
    } else references.push(arg);
  }
  if (!url) throw new Error(`push needs --url\n\n${USAGE}`);
  if (references.length === 0) {
    throw new Error(`push needs at least one REPOSITORY:TAG\n\n${USAGE}`);
  }
  const byRepository = parsePushReferences(references);
  for (const [repository, tags] of byRepository) {
    await pushImageTags(url, repository, tags);
    process.stdout.write(
      `pushed ${tags.map(t => `${repository}:${t}`).join(', ')} to ${url}\n`,
    );
  }
}

function parseArgs(argv: string[]) {
  const out = { configs: [] as string[], dir: '.k2/registry' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--config') out.configs.push(value());
    else if (arg === '--dir') out.dir = value();
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n\n${USAGE}`);
  }
  if (out.configs.length === 0) out.configs.push('app-config.yaml');
  return out;
}

/** The first `k2.registries` entry served on loopback over HTTP. */
function loopbackRegistry(config: Config) {
  for (const entry of config.getOptionalConfigArray('k2.registries') ?? []) {
    const url = entry.getOptionalString('url');
    if (!url) continue;
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' && parsed.hostname === '127.0.0.1') {
      return { host: entry.getString('host'), port: Number(parsed.port) };
    }
  }
  throw new Error(
    'the config declares no k2.registries entry with an http://127.0.0.1:<port> url',
  );
}

/** `x.y.z` and its neighbours: two older patches, the previous minor, newer ones. */
function tagsAround(version: string): string[] {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) return [version];
  const [major, minor, patch] = match.slice(1).map(Number);
  return [
    ...(minor > 0 ? [`${major}.${minor - 1}.0`] : []),
    ...[patch - 2, patch - 1]
      .filter(p => p >= 0)
      .map(p => `${major}.${minor}.${p}`),
    version,
    `${major}.${minor}.${patch + 1}`,
    `${major}.${minor + 1}.0`,
    `${major}.${minor + 1}.1`,
  ];
}

/** The tags each repository of `host` runs in the sandbox clusters. */
async function runningTags(config: Config, host: string) {
  const byRepository = new Map<string, Set<string>>();
  for (const cluster of loopbackClustersFromConfig(config)) {
    const response = await fetch(
      `http://127.0.0.1:${cluster.port}/apis/apps/v1/deployments`,
      { headers: { authorization: `Bearer ${cluster.token}` } },
    );
    if (!response.ok) {
      throw new Error(
        `sandbox cluster ${cluster.name} answered ${response.status} to the list of deployments; start the sandbox first`,
      );
    }
    const list = (await response.json()) as {
      items: Array<{
        spec: { template: { spec: { containers: Array<{ image: string }> } } };
      }>;
    };
    for (const deployment of list.items) {
      for (const container of deployment.spec.template.spec.containers) {
        const image = tryParseImageReference(container.image);
        if (image?.registry !== host || !image.tag || image.implicitTag) {
          continue;
        }
        const tags = byRepository.get(image.path) ?? new Set<string>();
        tagsAround(image.tag).forEach(tag => tags.add(tag));
        byRepository.set(image.path, tags);
      }
    }
  }
  return byRepository;
}

async function main() {
  if (process.argv[2] === 'push') {
    await push(process.argv.slice(3));
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const { appConfigs } = await loadConfig({
    configRoot: process.cwd(),
    configTargets: args.configs.map(c => ({ path: path.resolve(c) })),
  });
  const config = ConfigReader.fromConfigs(appConfigs);
  const { host, port } = loopbackRegistry(config);
  const registry = await startLocalRegistry({
    rootDirectory: path.resolve(args.dir),
    port,
  });
  const stop = () => {
    registry.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const repositories = await runningTags(config, host);
    let count = 0;
    for (const [repository, tags] of repositories) {
      await pushImageTags(registry.url, repository, [...tags, 'latest']);
      count += tags.size + 1;
    }
    process.stdout.write(
      `registry ${host} served at ${registry.url}: ${repositories.size} repositories, ${count} tags seeded\n`,
    );
  } catch (error) {
    await registry.stop();
    throw error;
  }
}

main().catch(error => {
  process.stderr.write(
    `k2-sandbox-registry: ${
      error instanceof Error ? error.message : String(error)
    }\n`,
  );
  process.exit(1);
});
