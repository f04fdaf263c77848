import { parentPort, workerData } from 'worker_threads';

/**
 * The benchmark's HTTP client, run in a worker thread so that its timings are not
 * delayed by the sandbox clusters (their controllers and garbage collection) that share
 * the benchmark's main thread.
 *
 * The main thread sends `{ kind }` for each round and gets back every page view's time;
 * it reads the sandbox's request counters around the round itself.
 */

export type PageViewKind = 'k2' | 'stock' | 'floor';

export interface PageViewClientData {
  baseUrl: string;
  token: string;
  /** The sampled services: name and catalog entity (the stock endpoint's input). */
  services: Array<{ name: string; entity: unknown }>;
  /** Pods each service has in all clusters together; every answer is checked. */
  podsPerService: number;
}

const { baseUrl, token, services, podsPerService } =
  workerData as PageViewClientData;
const headers = { Authorization: `Bearer ${token}` };

async function json(res: Response, what: string) {
  const body = (await res.json()) as any;
  if (!res.ok)
    throw new Error(`${what} ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

const calls: Record<
  PageViewKind,
  (service: PageViewClientData['services'][number]) => Promise<void>
> = {
  async k2({ name }) {
    const body = await json(
      await fetch(`${baseUrl}/api/k2-deploy/services/default/${name}/runtime`, {
        headers,
      }),
      'K2',
    );
    const pods = body.environments
      .flatMap((e: any) => e.clusters)
      .reduce((n: number, c: any) => n + c.pods.length, 0);
    if (pods !== podsPerService) {
      throw new Error(`K2 returned ${pods} pods for ${name}`);
    }
  },
  async stock({ name, entity }) {
    const body = await json(
      await fetch(`${baseUrl}/api/kubernetes/services/${name}`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ entity }),
      }),
      'stock',
    );
    const pods = body.items
      .flatMap((c: any) => c.resources)
      .filter((r: any) => r.type === 'pods')
      .reduce((n: number, r: any) => n + r.resources.length, 0);
    if (pods !== podsPerService) {
      throw new Error(`stock returned ${pods} pods for ${name}`);
    }
  },
  // An authenticated request that reads almost nothing (the caches' health): what part
  // of a page view is HTTP and authentication.
  async floor() {
    await json(await fetch(`${baseUrl}/api/k2/clusters`, { headers }), 'floor');
  },
};

parentPort!.on('message', async ({ kind }: { kind: PageViewKind }) => {
  try {
    const times: number[] = [];
    for (const service of services) {
      const start = performance.now();
      await calls[kind](service);
      times.push(performance.now() - start);
    }
    parentPort!.postMessage({ times });
  } catch (error) {
    parentPort!.postMessage({
      error: String((error as Error)?.stack ?? error),
    });
  }
});
