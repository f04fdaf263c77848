import path from 'path';
import { ConfigReader } from '@backstage/config';
import { loadConfig } from '@backstage/config-loader';
import { Sandbox, loopbackClustersFromConfig, readEntities } from './sandbox';

const USAGE = `Usage: k2-sandbox [options]

Serves the Kubernetes clusters that the portal config declares on loopback
(kubernetes.clusterLocatorMethods[].clusters[] with a 127.0.0.1/localhost URL and a
serviceAccountToken), seeded with the demo catalog's services.

Options:
  --config FILE       app-config file(s) to read (repeatable; default: app-config.yaml)
  --catalog FILE      catalog YAML file(s) whose K2 services are seeded (repeatable)
  --kubeconfig FILE   write a kubeconfig with one context per cluster
  --time-scale N      multiply simulated durations (default 1)
  --nodes N           worker nodes per cluster (default 3)
  --reachable-pods    pod IPs on loopback (127.N.x.y); each ready pod answers HTTP on
                      its container ports with "<pod name> <image>" until it is removed
  -h, --help          show this help
`;

function parseArgs(argv: string[]) {
  const out = {
    configs: [] as string[],
    catalogs: [] as string[],
    kubeconfig: undefined as string | undefined,
    timeScale: 1,
    nodes: 3,
    reachablePods: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--config') out.configs.push(value());
    else if (arg === '--catalog') out.catalogs.push(value());
    else if (arg === '--kubeconfig') out.kubeconfig = value();
    else if (arg === '--time-scale') out.timeScale = Number(value());
    else if (arg === '--nodes') out.nodes = Number(value());
    else if (arg === '--reachable-pods') out.reachablePods = true;
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n\n${USAGE}`);
  }
  if (!(out.timeScale > 0))
    throw new Error('--time-scale must be a positive number');
  if (!(Number.isInteger(out.nodes) && out.nodes > 0))
    throw new Error('--nodes must be a positive integer');
  if (out.configs.length === 0) out.configs.push('app-config.yaml');
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { appConfigs } = await loadConfig({
    configRoot: process.cwd(),
    configTargets: args.configs.map(c => ({ path: path.resolve(c) })),
  });
  const config = ConfigReader.fromConfigs(appConfigs);
  const served = loopbackClustersFromConfig(config);
  if (served.length === 0) {
    throw new Error(
      'the config declares no Kubernetes cluster on 127.0.0.1/localhost with a serviceAccountToken',
    );
  }
  const sandbox = await Sandbox.start(served, {
    timeScale: args.timeScale,
    nodes: args.nodes,
    reachablePods: args.reachablePods,
  });
  const seeded =
    args.catalogs.length > 0
      ? sandbox.seedDemo(
          config,
          readEntities(args.catalogs.map(c => path.resolve(c))),
        )
      : 0;
  if (args.kubeconfig) sandbox.writeKubeconfig(path.resolve(args.kubeconfig));
  for (const cluster of sandbox.clusters.values()) {
    const counts = cluster.objectCounts();
    process.stdout.write(
      `sandbox cluster ${cluster.name}: ${cluster.url} (${
        counts['deployments.apps'] ?? 0
      } deployments, ${counts.pods ?? 0} pods)\n`,
    );
  }
  process.stdout.write(
    `${seeded} demo workloads seeded${
      args.kubeconfig
        ? `; kubectl --kubeconfig ${args.kubeconfig} get pods -A`
        : ''
    }\n`,
  );
  const stop = () => {
    sandbox.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(error => {
  process.stderr.write(
    `k2-sandbox: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
