import {
  K2EnvironmentModel,
  LABEL_ENVIRONMENT,
  LABEL_SERVICE,
} from '@internal/plugin-k2-common';
import { KubeObject } from '@internal/plugin-k2-node';

/** A pod's service in one environment, when it is a K2 service's pod. */
export interface PodService {
  /** Lowercased entity ref. */
  entityRef: string;
  environment: string;
  namespace: string;
}

/** The catalog services that claim a workload, sorted by entity ref. */
export interface ServiceClaimants {
  claimants(
    model: K2EnvironmentModel,
    environment: string,
    namespace: string,
    kubernetesId: string,
  ): string[];
}

/**
 * The service a pod belongs to: the pod must carry `k2.io/service` and
 * `k2.io/environment` and sit in a namespace a catalog service claims for that
 * environment. Where several services claim one workload, the first by entity ref
 * holds it (as the service resolver decides when nothing is stamped). Undefined for
 * any other pod.
 */
export function podServiceOf(
  services: ServiceClaimants,
  model: K2EnvironmentModel,
  pod: Pick<KubeObject, 'metadata'>,
): PodService | undefined {
  const kubernetesId = pod.metadata.labels?.[LABEL_SERVICE];
  const environment = pod.metadata.labels?.[LABEL_ENVIRONMENT];
  const namespace = pod.metadata.namespace;
  if (!kubernetesId || !environment || !namespace) return undefined;
  const [entityRef] = services.claimants(
    model,
    environment,
    namespace,
    kubernetesId,
  );
  if (!entityRef) return undefined;
  return {
    entityRef: entityRef.toLocaleLowerCase('en-US'),
    environment,
    namespace,
  };
}
