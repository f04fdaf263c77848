import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ALERT_ANNOTATION_DESCRIPTION,
  ALERT_ANNOTATION_SUMMARY,
  ALERT_LABEL_ALERTNAME,
  ALERT_LABEL_CLUSTER,
  ALERT_LABEL_ENTITY,
  ALERT_LABEL_ENVIRONMENT,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_RULE,
  ALERT_LABEL_SEVERITY,
  AlertSeverity,
} from '@internal/plugin-k2-alerts-common';
import { K2EnvironmentModel } from '@internal/plugin-k2-common';
import { K2ClusterAccess } from '@internal/plugin-k2-node';
import { createHash } from 'crypto';
import { IncomingAlert } from '../incidents/IncidentStore';
import { SignalServices, SignalSink } from '../signals/KubernetesSignals';
import { podServiceOf } from '../signals/podService';
import {
  ClusterCheck,
  ClusterFinding,
  evaluateCluster,
  evaluateNodeDisk,
} from './checks';

/** Kubelet summaries read at once per cluster. */
const SUMMARY_CONCURRENCY = 8;

/** The rule key of a check's alerts: `cluster:<check>`. */
export function clusterRuleKey(check: ClusterCheck): string {
  return `cluster:${check}`;
}

/**
 * The entity column of a platform-wide finding (a node's pressure), which belongs to
 * no service: `cluster:<name>`. No catalog entity ref has this form (a stringified ref
 * always carries a namespace), so it never mixes with a service's incidents.
 */
export function clusterEntityKey(cluster: string): string {
  return `cluster:${cluster}`;
}

const ALERTS: Record<
  ClusterCheck,
  { alertname: string; severity: AlertSeverity }
> = {
  'node-memory-pressure': {
    alertname: 'NodeMemoryPressure',
    severity: 'critical',
  },
  'node-disk-pressure': { alertname: 'NodeDiskPressure', severity: 'critical' },
  'node-pid-pressure': { alertname: 'NodePIDPressure', severity: 'critical' },
  'node-disk-almost-full': {
    alertname: 'NodeDiskAlmostFull',
    severity: 'warning',
  },
  'replicas-on-one-node': {
    alertname: 'ReplicasOnOneNode',
    severity: 'warning',
  },
  'pod-pending': { alertname: 'PodPendingTooLong', severity: 'warning' },
};

/** The checks' state as `GET /clusters/checks` reads it. */
export interface ClusterChecksState {
  /** When the last pass ran; none before the first. */
  checkedAt?: string;
  findings: ClusterFinding[];
}

/**
 * Cluster checks over the watch caches, fed into the same incidents as Kubernetes
 * signals (source `kubernetes`, `k2_rule` `cluster:<check>`): each pass evaluates every
 * cluster ({@link evaluateCluster}); a finding first seen fires one alert, whose
 * fingerprint is that of the finding's key and whose start the condition's own start,
 * so every backend replica writes the same alert and the store keeps it once; a finding
 * gone resolves it. A service's findings are incidents of that service and
 * environment (announced in its activity log through `sink`); a node's go to
 * `platformSink` under {@link clusterEntityKey} and the cluster's environment.
 *
 * The disk check reads each node's kubelet summary through the access layer once per
 * pass (the only check that calls the clusters). A node whose summary cannot be read
 * does not become a finding, and is logged once until it can be read again; a disk
 * finding it already had holds until then (an unanswered read is no sign the disk
 * emptied). The kubelet does not say when a disk filled, so a disk finding starts at
 * the beginning of the check interval it was first seen in (the same on every replica
 * passing in that interval).
 */
export class ClusterChecks {
  readonly #access: K2ClusterAccess;
  readonly #services: SignalServices;
  readonly #model: K2EnvironmentModel;
  readonly #sink: SignalSink;
  readonly #platformSink: SignalSink;
  readonly #logger: LoggerService;
  readonly #pendingAfterMs: number;
  readonly #diskFullPercent: number;
  readonly #intervalMs: number;
  /** Alerts firing now, by finding key. */
  readonly #firing = new Map<string, IncomingAlert>();
  /** The disk findings of the last pass, by finding key. */
  readonly #diskFindings = new Map<string, ClusterFinding>();
  /** Nodes (`cluster/node`) whose summary the last pass could not read, logged once. */
  readonly #unreadable = new Set<string>();
  #state: ClusterChecksState = { findings: [] };
  #passing = Promise.resolve();

  constructor(options: {
    access: K2ClusterAccess;
    services: SignalServices;
    model: K2EnvironmentModel;
    sink: SignalSink;
    platformSink: SignalSink;
    logger: LoggerService;
    pendingAfterMs: number;
    diskFullPercent: number;
    intervalMs: number;
  }) {
    this.#access = options.access;
    this.#services = options.services;
    this.#model = options.model;
    this.#sink = options.sink;
    this.#platformSink = options.platformSink;
    this.#logger = options.logger;
    this.#pendingAfterMs = options.pendingAfterMs;
    this.#diskFullPercent = options.diskFullPercent;
    this.#intervalMs = options.intervalMs;
  }

  /** Resumes the check alerts still firing (after a restart); others are ignored. */
  resume(firing: IncomingAlert[]) {
    for (const alert of firing) {
      const key = alert.annotations.k2_finding;
      if (alert.ruleKey.startsWith('cluster:') && key) {
        this.#firing.set(key, alert);
      }
    }
  }

  state(): ClusterChecksState {
    return this.#state;
  }

  /** One pass over every cluster. Passes never overlap. */
  pass(now = Date.now()): Promise<void> {
    this.#passing = this.#passing.then(() => this.#pass(now));
    return this.#passing;
  }

  async #pass(now: number) {
    const findings: ClusterFinding[] = [];
    for (const { name } of this.#access.listClusters()) {
      const cache = this.#access.cache(name);
      const nodes = cache.store('nodes').list();
      findings.push(
        ...evaluateCluster({
          cluster: name,
          nodes,
          pods: cache.store('pods').list(),
          serviceOf: pod => podServiceOf(this.#services, this.#model, pod),
          pendingAfterMs: this.#pendingAfterMs,
          now,
        }),
        ...(await this.#disks(
          name,
          nodes.map(node => node.metadata.name),
          now,
        )),
      );
    }
    this.#diskFindings.clear();
    for (const finding of findings) {
      if (finding.check === 'node-disk-almost-full') {
        this.#diskFindings.set(finding.key, finding);
      }
    }
    const seen = new Set(findings.map(f => f.key));
    const service: IncomingAlert[] = [];
    const platform: IncomingAlert[] = [];
    for (const finding of findings) {
      if (this.#firing.has(finding.key)) continue;
      const alert = this.#alert(finding);
      this.#firing.set(finding.key, alert);
      (finding.service ? service : platform).push(alert);
    }
    for (const [key, alert] of this.#firing) {
      if (seen.has(key)) continue;
      const resolved: IncomingAlert = {
        ...alert,
        status: 'resolved',
        endsAt: new Date(now).toISOString(),
      };
      this.#firing.delete(key);
      (alert.entityRef.startsWith('cluster:') ? platform : service).push(
        resolved,
      );
    }
    this.#state = { checkedAt: new Date(now).toISOString(), findings };
    try {
      if (service.length) await this.#sink.record(service, 'kubernetes');
      if (platform.length) {
        await this.#platformSink.record(platform, 'kubernetes');
      }
    } catch (error) {
      // Unwritten: forget what this pass changed, so the next one writes it again.
      for (const alert of [...service, ...platform]) {
        const key = alert.annotations.k2_finding;
        if (alert.status === 'firing') this.#firing.delete(key);
        else this.#firing.set(key, { ...alert, status: 'firing' });
      }
      this.#logger.error(`Cluster checks could not record: ${error}`);
    }
  }

  /** The disk findings of a cluster's nodes, from their kubelet summaries. */
  async #disks(
    cluster: string,
    nodes: string[],
    now: number,
  ): Promise<ClusterFinding[]> {
    const found: ClusterFinding[] = [];
    const queue = [...nodes];
    const worker = async () => {
      for (let node = queue.shift(); node; node = queue.shift()) {
        const finding = await this.#disk(cluster, node, now);
        if (finding) found.push(finding);
      }
    };
    await Promise.all(
      Array.from(
        { length: Math.min(SUMMARY_CONCURRENCY, nodes.length) },
        worker,
      ),
    );
    return found.sort((a, b) => a.key.localeCompare(b.key));
  }

  async #disk(
    cluster: string,
    node: string,
    now: number,
  ): Promise<ClusterFinding | undefined> {
    const where = `${cluster}/${node}`;
    const key = `${cluster}|${node}|node-disk-almost-full`;
    let summary;
    try {
      summary = await this.#access.nodeSummary(cluster, node);
    } catch (error) {
      if (!this.#unreadable.has(where)) {
        this.#unreadable.add(where);
        this.#logger.warn(
          `Cluster checks cannot read the kubelet summary of node ${node} in cluster ${cluster}; its disk is not checked until it can: ${error}`,
        );
      }
      return this.#diskFindings.get(key);
    }
    this.#unreadable.delete(where);
    const since =
      this.#firing.get(key)?.startsAt ??
      this.#diskFindings.get(key)?.since ??
      new Date(
        Math.floor(now / this.#intervalMs) * this.#intervalMs,
      ).toISOString();
    return evaluateNodeDisk({
      cluster,
      node,
      summary,
      thresholdPercent: this.#diskFullPercent,
      since,
    });
  }

  #environmentOf(cluster: string): string {
    const environment = this.#model.environments.find(e =>
      e.clusters.some(c => c.name === cluster),
    );
    return environment?.name ?? '';
  }

  #alert(finding: ClusterFinding): IncomingAlert {
    const meta = ALERTS[finding.check];
    const ruleKey = clusterRuleKey(finding.check);
    const entityRef =
      finding.service?.entityRef ?? clusterEntityKey(finding.cluster);
    const environment =
      finding.service?.environment ?? this.#environmentOf(finding.cluster);
    const labels: Record<string, string> = {
      [ALERT_LABEL_ALERTNAME]: meta.alertname,
      [ALERT_LABEL_RULE]: ruleKey,
      [ALERT_LABEL_ENVIRONMENT]: environment,
      [ALERT_LABEL_CLUSTER]: finding.cluster,
      [ALERT_LABEL_SEVERITY]: meta.severity,
      ...(finding.node ? { node: finding.node } : {}),
      ...(finding.service
        ? {
            [ALERT_LABEL_ENTITY]: finding.service.entityRef,
            [ALERT_LABEL_NAMESPACE]: finding.service.namespace,
          }
        : {}),
    };
    return {
      fingerprint: createHash('sha256')
        .update(finding.key)
        .digest('hex')
        .slice(0, 16),
      startsAt: finding.since,
      status: 'firing',
      labels,
      annotations: {
        [ALERT_ANNOTATION_SUMMARY]: finding.summary,
        [ALERT_ANNOTATION_DESCRIPTION]: finding.pods.length
          ? `Pods: ${finding.pods.slice(0, 10).join(', ')}${
              finding.pods.length > 10 ? ', ...' : ''
            }`
          : `Node ${finding.node} in cluster ${finding.cluster}`,
        k2_finding: finding.key,
      },
      entityRef,
      environment,
      ruleKey,
      cluster: finding.cluster,
      severity: meta.severity,
      source: 'kubernetes',
    };
  }
}
