import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import {
  ANNOTATION_ENDED_BY,
  k2InstanceManagePermission,
  LABEL_ENVIRONMENT,
  LABEL_SERVICE,
  LABEL_TRAFFIC,
} from '@internal/plugin-k2-common';
import {
  ActionAccess,
  actorOf,
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2InstanceAddress,
  K2ServiceResolver,
  KubeObject,
} from '@internal/plugin-k2-node';
import { EndedByMark } from './endings';

/** What every action on one instance needs. */
const MANAGE: ActionAccess = {
  permission: k2InstanceManagePermission,
  verb: 'manage the instances of',
};

/**
 * The actions on one instance: traffic off and on (the `k2.io/traffic` label), restart
 * and destroy (with the ended-by mark). Each is one audited write to the pod's cluster
 * inside {@link K2ActionGate.audited}: the manage permission is checked before the
 * instance is looked up, and a refusal or failure is audited and logged too. Every
 * write is a forced server-side apply of K2's own fields of the pod (and a delete, to
 * end it); nothing else of the pod is touched.
 */
export class InstanceActionsService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;

  constructor(options: {
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    access: K2ClusterAccess;
  }) {
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#access = options.access;
  }

  /**
   * Takes an instance out of the Service's endpoints, or puts it back, by its
   * `k2.io/traffic` label. The pod keeps running and stays in its ReplicaSet.
   */
  async setTraffic(
    ref: CompoundEntityRef,
    address: K2InstanceAddress,
    inTraffic: boolean,
    caller: Caller,
  ): Promise<{ inTraffic: boolean }> {
    const service = stringifyEntityRef(ref);
    const what = inTraffic
      ? `Put ${address.pod} back into traffic`
      : `Take ${address.pod} out of traffic`;
    return this.#gate.audited(
      caller,
      inTraffic ? 'instance-traffic-on' : 'instance-traffic-off',
      {
        service,
        environment: address.environment,
        summary: `${what} (${address.cluster})`,
      },
      MANAGE,
      async () => {
        const { pod } = await this.#resolver.actionInstance(ref, address);
        if (pod.metadata.deletionTimestamp) {
          throw new ConflictError(`Instance '${address.pod}' is terminating`);
        }
        await this.#applyPod(address.cluster, pod, {
          traffic: inTraffic ? 'on' : 'off',
        });
        return { inTraffic };
      },
    );
  }

  /**
   * Restarts one instance (a graceful delete; its ReplicaSet starts a replacement) or
   * destroys it (deleted at once, no drain). The pod is marked first, so its
   * historical record says who ended it and how.
   */
  async end(
    ref: CompoundEntityRef,
    address: K2InstanceAddress,
    how: EndedByMark['end'],
    caller: Caller,
  ): Promise<void> {
    const service = stringifyEntityRef(ref);
    await this.#gate.audited(
      caller,
      how === 'restarted' ? 'instance-restart' : 'instance-destroy',
      {
        service,
        environment: address.environment,
        summary: `${how === 'restarted' ? 'Restart' : 'Destroy'} ${
          address.pod
        } (${address.cluster})`,
      },
      MANAGE,
      async () => {
        const { pod } = await this.#resolver.actionInstance(ref, address);
        const mark: EndedByMark = {
          end: how,
          actor: actorOf(caller.credentials),
        };
        await this.#applyPod(address.cluster, pod, {
          endedBy: JSON.stringify(mark),
        });
        await this.#access.delete(
          address.cluster,
          { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata },
          how === 'destroyed' ? { gracePeriodSeconds: 0 } : {},
        );
        return {};
      },
    );
  }

  /**
   * Applies K2's fields of a pod. Server-side apply drops fields a manager stops
   * sending, so every apply carries the traffic label (and the end mark once set), and
   * the service's selector labels as the pod has them: adoption gives them to pods K2
   * did not make, under K2's field manager.
   */
  async #applyPod(
    cluster: string,
    pod: KubeObject,
    change: { traffic?: 'on' | 'off'; endedBy?: string },
  ) {
    const { namespace, name, resourceVersion } = pod.metadata;
    const traffic = change.traffic ?? pod.metadata.labels?.[LABEL_TRAFFIC];
    const endedBy =
      change.endedBy ?? pod.metadata.annotations?.[ANNOTATION_ENDED_BY];
    const kept = Object.fromEntries(
      [LABEL_SERVICE, LABEL_ENVIRONMENT].flatMap(key => {
        const value = pod.metadata.labels?.[key];
        return value ? [[key, value]] : [];
      }),
    );
    await this.#access.apply(
      cluster,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          resourceVersion,
          labels: { ...kept, ...(traffic ? { [LABEL_TRAFFIC]: traffic } : {}) },
          ...(endedBy
            ? { annotations: { [ANNOTATION_ENDED_BY]: endedBy } }
            : {}),
        },
      },
      { force: true },
    );
  }
}
