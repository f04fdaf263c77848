import {
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';
import { K2ClusterAccess, KubeObject } from '@internal/plugin-k2-node';
import { GroupContent, RuleDelivery } from './types';

const API_VERSION = 'monitoring.coreos.com/v1';

/**
 * The `prometheusRule` delivery (prometheus-operator): in every cluster of the
 * environment the service runs in, a `PrometheusRule` named `k2-<kubernetes-id>` in
 * the service's namespace holding its group, and one `Probe` per URL rule, applied
 * server-side under K2's field manager; both deleted when no rule needs them.
 * Invariant: K2 touches only objects it labelled as its own for this service
 * (`app.kubernetes.io/managed-by: k2` and `k2.io/service: <kubernetes-id>` in its
 * namespace).
 */
export class PrometheusRuleDelivery implements RuleDelivery {
  readonly #access: K2ClusterAccess;
  readonly #labels: Record<string, string>;
  readonly #blackboxAddress?: string;

  constructor(options: {
    access: K2ClusterAccess;
    /** Labels the operator's ruleSelector and probeSelector match. */
    labels: Record<string, string>;
    blackboxAddress?: string;
  }) {
    this.#access = options.access;
    this.#labels = options.labels;
    this.#blackboxAddress = options.blackboxAddress;
  }

  #metadata(content: GroupContent, name: string) {
    return {
      name,
      namespace: content.target.namespace,
      labels: {
        ...this.#labels,
        [LABEL_MANAGED_BY]: MANAGED_BY_K2,
        [LABEL_SERVICE]: content.target.kubernetesId,
      },
    };
  }

  /** The PrometheusRule of a group. */
  ruleObject(content: GroupContent): KubeObject {
    return {
      apiVersion: API_VERSION,
      kind: 'PrometheusRule',
      metadata: this.#metadata(content, `k2-${content.target.kubernetesId}`),
      spec: { groups: content.groups },
    } as KubeObject;
  }

  /** The Probes of a group, one per URL rule. */
  probeObjects(content: GroupContent): KubeObject[] {
    return content.probes.map(
      probe =>
        ({
          apiVersion: API_VERSION,
          kind: 'Probe',
          metadata: this.#metadata(
            content,
            `k2-${content.target.kubernetesId}-${probe.rule}`.slice(0, 253),
          ),
          spec: {
            jobName: 'k2-probes',
            module: 'http_2xx',
            ...(this.#blackboxAddress
              ? { prober: { url: this.#blackboxAddress } }
              : {}),
            targets: {
              staticConfig: {
                static: [probe.url],
                labels: { k2_rule: probe.rule },
              },
            },
          },
        } as KubeObject),
    );
  }

  async deliver(content: GroupContent): Promise<void> {
    const { namespace } = content.target;
    const rule = this.ruleObject(content);
    const probes = this.probeObjects(content);
    for (const cluster of content.target.clusters) {
      if (content.yaml) {
        await this.#access.apply(cluster, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace },
        });
        await this.#access.apply(cluster, rule);
      } else {
        await this.#access.delete(cluster, rule);
      }
      for (const probe of probes) await this.#access.apply(cluster, probe);
      const existing = await this.#access.get<{ items: KubeObject[] }>(
        cluster,
        `/apis/${API_VERSION}/namespaces/${encodeURIComponent(
          namespace,
        )}/probes`,
        {
          labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_K2},${LABEL_SERVICE}=${content.target.kubernetesId}`,
        },
      );
      const wanted = new Set(probes.map(p => p.metadata.name));
      for (const stale of existing.items) {
        if (!wanted.has(stale.metadata.name)) {
          await this.#access.delete(cluster, {
            apiVersion: API_VERSION,
            kind: 'Probe',
            metadata: { name: stale.metadata.name, namespace },
          });
        }
      }
    }
  }
}
