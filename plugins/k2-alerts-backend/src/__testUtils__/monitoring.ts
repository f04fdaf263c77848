import { ChildProcess, execFile, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { freePort } from '@internal/sandbox-cluster';

const run = promisify(execFile);

/** The binaries as Debian installs them (prometheus, prometheus-alertmanager, ...). */
export const MONITORING_BINARIES = {
  prometheus: '/usr/bin/prometheus',
  promtool: '/usr/bin/promtool',
  alertmanager: '/usr/bin/prometheus-alertmanager',
  amtool: '/usr/bin/amtool',
  blackbox: '/usr/bin/prometheus-blackbox-exporter',
} as const;

/**
 * Whether the real monitoring stack can run here. Without the binaries it is false, so
 * the tests that need it are reported as skipped; `./k2 test` sets
 * K2_REQUIRE_ALERTMANAGER=1 once the Debian packages are installed, and then a missing
 * binary throws instead: a CI run never passes such a test by skipping it.
 */
export function monitoringAvailable(): boolean {
  const missing = Object.values(MONITORING_BINARIES).filter(
    file => !fs.existsSync(file),
  );
  if (missing.length === 0) return true;
  if (process.env.K2_REQUIRE_ALERTMANAGER === '1') {
    throw new Error(
      `${missing.join(
        ', ',
      )} missing and K2_REQUIRE_ALERTMANAGER=1 says the real monitoring stack must run; install it (apt-get install -y prometheus prometheus-alertmanager prometheus-blackbox-exporter)`,
    );
  }
  return false;
}

/** `describe` where the real stack can run, `describe.skip` where it cannot. */
export function describeWithMonitoring(name: string, body: () => void): void {
  (monitoringAvailable() ? describe : describe.skip)(name, body);
}

/** A sandbox cluster (or any Kubernetes API server) whose `/metrics` is scraped. */
export interface MonitoringTarget {
  /** Becomes the `cluster` label of every series scraped from it. */
  cluster: string;
  /** Its base URL, e.g. a SandboxCluster's `url`. */
  url: string;
  /** The bearer token `/metrics` takes. */
  token: string;
}

export interface MonitoringStackOptions {
  sandboxTargets: MonitoringTarget[];
  /** Where Alertmanager POSTs every notification (K2's webhook, or a test receiver). */
  webhookUrl: string;
  /** Sent by Alertmanager as `Authorization: Bearer <token>`. */
  token: string;
  /**
   * The directory Prometheus reads rule files (`*.yml`) from: an environment's
   * `delivery.directory`. Default: `<stack dir>/rules/<environment>`. URL probe target
   * files are read from `<rulesDir>/../../probes/<environment>/*.json`, the layout
   * `./k2 start` uses; pass the stack's `probesDir` as `delivery.probeDirectory`.
   */
  rulesDir?: string;
  /** The K2 environment the rules and probes are for; default `test`. */
  environment?: string;
  /**
   * Prometheus's scrape and evaluation interval and Alertmanager's group interval;
   * default `1s`, so an alert reaches the webhook a few seconds after its condition.
   */
  interval?: string;
}

export interface MonitoringStack {
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** host:port of the blackbox exporter (`blackbox.address` in k2.alerts). */
  blackboxAddress: string;
  rulesDir: string;
  probesDir: string;
  /** The temporary directory holding the configs, storage and logs. */
  dir: string;
  /** POSTs Prometheus's `/-/reload` (what the files delivery does after writing). */
  reload(): Promise<void>;
  /** The processes' output so far, for a failing test's message. */
  logs(): string;
  /** Stops the three processes and removes the temporary directory. */
  stop(): Promise<void>;
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** Writes prometheus.yml, alertmanager.yml and blackbox.yml as ./k2 start does. */
function writeConfigs(
  dir: string,
  options: Required<Omit<MonitoringStackOptions, 'rulesDir'>> & {
    rulesDir: string;
    probesDir: string;
  },
  ports: { alertmanager: number; blackbox: number },
) {
  const { interval } = options;
  const scrapes = options.sandboxTargets.map((target, i) => {
    const tokenFile = path.join(dir, `token-${i}`);
    fs.writeFileSync(tokenFile, target.token, { mode: 0o600 });
    const url = new URL(target.url);
    return [
      `  - job_name: ${quote(`sandbox-${target.cluster}`)}`,
      `    scheme: ${url.protocol.replace(':', '')}`,
      `    metrics_path: /metrics`,
      `    authorization: { credentials_file: ${quote(tokenFile)} }`,
      `    static_configs:`,
      `      - targets: [${quote(url.host)}]`,
      `        labels: { cluster: ${quote(target.cluster)} }`,
    ].join('\n');
  });
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  evaluation_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      'rule_files:',
      `  - ${quote(path.join(options.rulesDir, '*.yml'))}`,
      'alerting:',
      '  alertmanagers:',
      `    - static_configs: [{ targets: ['127.0.0.1:${ports.alertmanager}'] }]`,
      'scrape_configs:',
      ...scrapes,
      '  - job_name: k2-probes',
      '    metrics_path: /probe',
      '    params: { module: [http_2xx] }',
      '    file_sd_configs:',
      `      - files: [${quote(path.join(options.probesDir, '*.json'))}]`,
      `        refresh_interval: ${interval}`,
      '    relabel_configs:',
      '      - { source_labels: [__address__], target_label: __param_target }',
      '      - { source_labels: [__param_target], target_label: instance }',
      `      - { target_label: __address__, replacement: '127.0.0.1:${ports.blackbox}' }`,
      '',
    ].join('\n'),
  );
  const tokenFile = path.join(dir, 'webhook-token');
  fs.writeFileSync(tokenFile, options.token, { mode: 0o600 });
  fs.writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: k2',
      '  group_by: [k2_entity, environment, k2_rule]',
      '  group_wait: 1s',
      `  group_interval: ${interval}`,
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: k2',
      '    webhook_configs:',
      `      - url: ${quote(options.webhookUrl)}`,
      '        send_resolved: true',
      `        http_config: { authorization: { credentials_file: ${quote(
        tokenFile,
      )} } }`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'blackbox.yml'),
    'modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http: { preferred_ip_protocol: ip4 }\n',
  );
}

async function waitReady(
  url: string,
  child: ChildProcess,
  log: () => string,
  ready: (res: Response) => Promise<boolean> = async () => true,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url} exited during start-up:\n${log()}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok && (await ready(res))) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${url} was not ready within 30 s:\n${log()}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
}

/**
 * Starts Debian's Prometheus, Alertmanager and blackbox exporter on free loopback
 * ports, configured as `./k2 start` configures them (scripts/lib/monitoring.sh): each
 * target's `/metrics` scraped with its `cluster` label, the rule files of `rulesDir`,
 * URL probes from the probes directory through the blackbox exporter, and every alert
 * (firing and resolved) sent to `webhookUrl` with the bearer token. The configs are
 * checked with promtool and amtool first. Call only where {@link monitoringAvailable}.
 */
export async function startMonitoringStack(
  options: MonitoringStackOptions,
): Promise<MonitoringStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-monitoring-'));
  const environment = options.environment ?? 'test';
  const rulesDir = options.rulesDir ?? path.join(dir, 'rules', environment);
  const probesDir = path.resolve(rulesDir, '../../probes', environment);
  fs.mkdirSync(rulesDir, { recursive: true });
  fs.mkdirSync(probesDir, { recursive: true });
  const ports = {
    prometheus: await freePort(),
    alertmanager: await freePort(),
    blackbox: await freePort(),
  };
  writeConfigs(
    dir,
    {
      ...options,
      environment,
      interval: options.interval ?? '1s',
      rulesDir,
      probesDir,
    },
    ports,
  );
  await run(MONITORING_BINARIES.promtool, [
    'check',
    'config',
    path.join(dir, 'prometheus.yml'),
  ]);
  await run(MONITORING_BINARIES.amtool, [
    'check-config',
    path.join(dir, 'alertmanager.yml'),
  ]);

  const output: string[] = [];
  const children: ChildProcess[] = [];
  const start = (name: string, file: string, args: string[]) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => output.push(`[${name}] ${chunk}`);
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.push(child);
    return child;
  };
  const logs = () => output.join('').split('\n').slice(-60).join('\n');
  const stop = async () => {
    await Promise.all(
      children.map(
        child =>
          new Promise<void>(resolve => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const prometheus = start('prometheus', MONITORING_BINARIES.prometheus, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--storage.tsdb.retention.time=1h',
      `--web.listen-address=127.0.0.1:${ports.prometheus}`,
      '--web.enable-lifecycle',
      // An alert that fires before the notifier knows its Alertmanager is dropped and
      // sent again only after this delay (default 1m).
      `--rules.alert.resend-delay=${options.interval ?? '1s'}`,
    ]);
    const alertmanager = start(
      'alertmanager',
      MONITORING_BINARIES.alertmanager,
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'alertmanager')}`,
        `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
        '--cluster.listen-address=',
      ],
    );
    const blackbox = start('blackbox', MONITORING_BINARIES.blackbox, [
      `--config.file=${path.join(dir, 'blackbox.yml')}`,
      `--web.listen-address=127.0.0.1:${ports.blackbox}`,
    ]);
    const prometheusUrl = `http://127.0.0.1:${ports.prometheus}`;
    const alertmanagerUrl = `http://127.0.0.1:${ports.alertmanager}`;
    const blackboxAddress = `127.0.0.1:${ports.blackbox}`;
    await waitReady(`${prometheusUrl}/-/ready`, prometheus, logs);
    await waitReady(`${alertmanagerUrl}/-/ready`, alertmanager, logs);
    await waitReady(`http://${blackboxAddress}/-/ready`, blackbox, logs);
    // Prometheus's notifier learns its Alertmanager through service discovery, a few
    // seconds after start; until then a firing alert goes nowhere.
    await waitReady(
      `${prometheusUrl}/api/v1/alertmanagers`,
      prometheus,
      logs,
      async res =>
        ((await res.json()).data?.activeAlertmanagers ?? []).length > 0,
    );
    return {
      prometheusUrl,
      alertmanagerUrl,
      blackboxAddress,
      rulesDir,
      probesDir,
      dir,
      logs,
      stop,
      async reload() {
        const res = await fetch(`${prometheusUrl}/-/reload`, {
          method: 'POST',
        });
        if (!res.ok) {
          throw new Error(
            `Prometheus reload answered ${res.status}: ${await res.text()}`,
          );
        }
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
