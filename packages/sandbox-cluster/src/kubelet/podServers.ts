import http from 'http';
import { ResourceType } from '../api/resources';
import { StoreEvent } from '../api/store';
import { KubeObject } from '../api/types';

function isReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some(
    (c: any) => c.type === 'Ready' && c.status === 'True',
  );
}

/**
 * Reachable pods (the sandbox option `reachablePods`): each pod with a loopback IP gets a
 * small HTTP server on each TCP container port once it is first ready, answering every
 * request with `<pod name> <image>`. The server stops when the pod is removed — after its
 * grace period, not when its deletion starts — so, as with a real pod's preStop drain, a
 * terminating pod keeps answering while endpoints and Nginx upstreams let go of it.
 *
 * Invariants: at most one set of servers per pod uid; servers bind only the pod's own
 * 127.x.y.z address; a port that cannot be bound is skipped (the pod simply does not
 * answer there), never an error of the cluster.
 */
export class PodServers {
  readonly #pods: ResourceType;
  readonly #servers = new Map<string, http.Server[]>();

  constructor(pods: ResourceType) {
    this.#pods = pods;
  }

  onEvent(event: StoreEvent) {
    if (event.resource !== this.#pods) return;
    const pod = event.object;
    const uid = pod.metadata.uid!;
    if (event.type === 'DELETED') {
      this.#close(uid);
      return;
    }
    if (this.#servers.has(uid) || pod.metadata.deletionTimestamp) return;
    const ip: string | undefined = pod.status?.podIP;
    if (!ip?.startsWith('127.') || !isReady(pod)) return;
    const servers: http.Server[] = [];
    for (const container of pod.spec?.containers ?? []) {
      for (const port of container.ports ?? []) {
        if (port.protocol && port.protocol !== 'TCP') continue;
        const body = `${pod.metadata.name} ${container.image}\n`;
        const server = http.createServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(body);
        });
        server.on('error', () => server.close());
        server.listen(port.containerPort, ip);
        servers.push(server);
      }
    }
    this.#servers.set(uid, servers);
  }

  /** How many pods have servers (for tests and the CLI's summary). */
  get size(): number {
    return this.#servers.size;
  }

  stop() {
    for (const uid of [...this.#servers.keys()]) this.#close(uid);
  }

  #close(uid: string) {
    for (const server of this.#servers.get(uid) ?? []) {
      server.close();
      server.closeIdleConnections();
    }
    this.#servers.delete(uid);
  }
}
