import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  K2Activity,
  K2Autoscaling,
  K2Release,
  K2ReleaseInput,
  K2ReleaseList,
  K2ReplicaRecommendation,
  K2ServiceRuntime,
} from '@internal/plugin-k2-common';

/** A service as the Deploy backend names it. */
export interface ServiceName {
  namespace: string;
  name: string;
}

/** The Deploy backend, as the Deploy tab uses it. */
export interface K2DeployApi {
  getRuntime(service: ServiceName): Promise<K2ServiceRuntime>;
  getReleases(
    service: ServiceName,
    options: { environment?: string; before?: string; limit?: number },
  ): Promise<K2ReleaseList>;
  getRelease(id: string): Promise<K2Release>;
  release(service: ServiceName, input: K2ReleaseInput): Promise<K2Release>;
  rollback(id: string, message?: string): Promise<K2Release>;
  approve(id: string): Promise<K2Release>;
  reject(id: string, reason?: string): Promise<K2Release>;
  scale(
    service: ServiceName,
    environment: string,
    replicas: number,
  ): Promise<K2Release>;
  restart(service: ServiceName, environment: string): Promise<K2Release>;
  setAutoscaling(
    service: ServiceName,
    environment: string,
    autoscaling: K2Autoscaling | null,
  ): Promise<K2Release>;
  getRecommendation(
    service: ServiceName,
    environment: string,
  ): Promise<K2ReplicaRecommendation>;
  getActivity(
    service: ServiceName,
    options: { before?: string; limit?: number },
  ): Promise<{ items: K2Activity[]; nextCursor?: string }>;
}

export const k2DeployApiRef = createApiRef<K2DeployApi>({
  id: 'plugin.k2-deploy.service',
});
