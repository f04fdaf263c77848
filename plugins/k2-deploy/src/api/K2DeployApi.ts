import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  K2Activity,
  K2Canary,
  K2CanaryInput,
  K2CanaryState,
  K2EventList,
  K2HistoricalContainerList,
  K2InstanceUsage,
  K2LogQuery,
  K2Autoscaling,
  K2Release,
  K2ReleaseDefaults,
  K2ReleaseInput,
  K2ReleaseList,
  K2ReleasePreview,
  K2ReplicaRecommendation,
  K2ServiceRuntime,
} from '@internal/plugin-k2-common';
import {
  K2DeployImageTags,
  K2ShellPolicy,
  K2ShellSessionList,
  K2ShellTicket,
} from '@internal/plugin-k2-deploy-common';

/** A service as the Deploy backend names it. */
export interface ServiceName {
  namespace: string;
  name: string;
}

/** A config file the Release dialog offers to mount. */
export interface MountableConfigFile {
  name: string;
  /** Its latest version's number. */
  latest: number;
  /** Where the file says it belongs in the container. */
  mountPath: string;
  sensitive: boolean;
}

/** One instance: the environment and cluster it runs in, and its pod name. */
export interface InstanceName {
  environment: string;
  cluster: string;
  pod: string;
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
  /**
   * What `release` would release with this input, compared with the running release;
   * refused as `release` would be, and changing nothing.
   */
  previewRelease(
    service: ServiceName,
    input: K2ReleaseInput,
  ): Promise<K2ReleasePreview>;
  /** What a release to `environment` gets for each value it leaves out, and from where. */
  getReleaseDefaults(
    service: ServiceName,
    environment: string,
  ): Promise<K2ReleaseDefaults>;
  /** The names of the service's volumes in `environment`, from the Storage backend. */
  getVolumeNames(service: ServiceName, environment: string): Promise<string[]>;
  /**
   * The config files of the service in `environment` a release can mount, each with its
   * latest version and default mount path, from the Config backend.
   */
  getConfigFiles(
    service: ServiceName,
    environment: string,
  ): Promise<MountableConfigFile[]>;
  /** The environment's running canary, else its newest one, with its live pods. */
  getCanary(service: ServiceName, environment: string): Promise<K2CanaryState>;
  /** Starts a canary of an image beside the environment's stable release. */
  startCanary(
    service: ServiceName,
    environment: string,
    input: K2CanaryInput,
  ): Promise<K2Canary>;
  /** Promotes the running canary through a release of its image. */
  promoteCanary(service: ServiceName, environment: string): Promise<K2Canary>;
  /** Aborts the running canary: its pods are removed, stable serves everything. */
  abortCanary(service: ServiceName, environment: string): Promise<K2Canary>;
  rollback(id: string, message?: string): Promise<K2Release>;
  approve(id: string): Promise<K2Release>;
  reject(id: string, reason?: string): Promise<K2Release>;
  /** Withdraws a release waiting for approval. */
  cancel(id: string, reason?: string): Promise<K2Release>;
  scale(
    service: ServiceName,
    environment: string,
    replicas: number,
  ): Promise<K2Release>;
  restart(service: ServiceName, environment: string): Promise<K2Release>;
  /**
   * Records the Deployment running in an environment K2 never released to as the
   * service's release #1; nothing changes in the clusters.
   */
  adopt(service: ServiceName, environment: string): Promise<K2Release>;
  setAutoscaling(
    service: ServiceName,
    environment: string,
    autoscaling: K2Autoscaling | null,
  ): Promise<K2Release>;
  getRecommendation(
    service: ServiceName,
    environment: string,
  ): Promise<K2ReplicaRecommendation>;
  /**
   * Tags of the service's image repository from its registry, newest first, or the
   * reason there are none; rejects when the registry cannot be read.
   */
  getImageTags(service: ServiceName): Promise<K2DeployImageTags>;
  getActivity(
    service: ServiceName,
    options: { before?: string; limit?: number },
  ): Promise<{ items: K2Activity[]; nextCursor?: string }>;
  getInstanceHistory(
    service: ServiceName,
    options: {
      environment?: string;
      cluster?: string;
      before?: string;
      limit?: number;
    },
  ): Promise<K2HistoricalContainerList>;
  getEvents(
    service: ServiceName,
    options: {
      environment?: string;
      cluster?: string;
      pod?: string;
      warningsOnly?: boolean;
    },
  ): Promise<K2EventList>;
  getUsage(
    service: ServiceName,
    instance: InstanceName,
  ): Promise<K2InstanceUsage>;
  /**
   * A container's log. With `follow`, `onText` receives chunks as they arrive until
   * `signal` aborts or the container stops; the promise settles then.
   */
  readLogs(
    service: ServiceName,
    instance: InstanceName,
    query: K2LogQuery,
    onText: (text: string) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Saves a container's whole log as a file. */
  downloadLogs(
    service: ServiceName,
    instance: InstanceName,
    query: { container?: string; previous?: boolean },
  ): Promise<void>;
  setTraffic(
    service: ServiceName,
    instance: InstanceName,
    inTraffic: boolean,
  ): Promise<void>;
  restartInstance(service: ServiceName, instance: InstanceName): Promise<void>;
  destroyInstance(service: ServiceName, instance: InstanceName): Promise<void>;
  /**
   * Whether the user may open a shell or start a debug container in `environment`
   * (its policy and the user's permission), the approved debug images and the limits.
   */
  getShellPolicy(
    service: ServiceName,
    environment: string,
  ): Promise<K2ShellPolicy>;
  /** A single-use ticket for a shell in one container of the instance. */
  openShell(
    service: ServiceName,
    instance: InstanceName,
    input: { container: string; cols?: number; rows?: number },
  ): Promise<K2ShellTicket>;
  /**
   * Starts a debug container from an approved image (`image`: its name) beside
   * `target`; resolves once it runs, with a ticket for its terminal.
   */
  startDebugContainer(
    service: ServiceName,
    instance: InstanceName,
    input: { image: string; target: string; cols?: number; rows?: number },
  ): Promise<K2ShellTicket>;
  /** Recorded shell sessions, newest first; platform admins only (403 otherwise). */
  listShellSessions(query: {
    service?: string;
    user?: string;
    limit?: number;
    before?: string;
  }): Promise<K2ShellSessionList>;
  /** The WebSocket URL of a ticket's `path` (ws: or wss: as the backend is served). */
  shellSocketUrl(path: string): Promise<string>;
}

export const k2DeployApiRef = createApiRef<K2DeployApi>({
  id: 'plugin.k2-deploy.service',
});
