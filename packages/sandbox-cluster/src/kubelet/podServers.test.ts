import http from 'http';
import { SandboxCluster } from '../cluster';
import { isPodReady } from '../controllers/runtime';
import { poll as until } from '../__testUtils__/http';
import { freePort } from '../ports';

jest.setTimeout(30000);

/** GET http://ip:port/: the answer, or the connection error's code. */
function get(ip: string, port: number): Promise<string> {
  return new Promise(resolve => {
    const req = http.get({ host: ip, port, path: '/', agent: false }, res => {
      let body = '';
      res.on('data', c => (body += c));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('error', e => resolve((e as NodeJS.ErrnoException).code ?? 'error'));
  });
}

describe('reachable pods', () => {
  let cluster: SandboxCluster | undefined;

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  function deploy(c: SandboxCluster, port: number) {
    c.registry.create(c.type('apps', 'deployments'), 'default', {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: 'main',
                image: 'shop/web:7',
                ports: [{ name: 'http', containerPort: port }],
              },
            ],
          },
        },
      },
    });
  }
  const readyPod = (c: SandboxCluster) =>
    until('a ready pod', () =>
      c.store
        .list(c.type('', 'pods'), 'default')
        .find(p => isPodReady(p) && !p.metadata.deletionTimestamp),
    );

  it('answer on a loopback IP once ready, through their grace period, and not after removal', async () => {
    cluster = new SandboxCluster({
      name: 'x',
      tokens: ['t'],
      timeScale: 0.05,
      podNetwork: 233,
      podTerminationMs: 20000, // 1 s once scaled
      reachablePods: true,
    });
    const port = await freePort();
    deploy(cluster, port);
    const pod = await readyPod(cluster);
    const ip = pod.status.podIP;
    expect(ip).toMatch(/^127\.233\.\d+\.\d+$/);
    expect(await get(ip, port)).toBe(`${pod.metadata.name} shop/web:7`);

    cluster.registry.delete(
      cluster.type('', 'pods'),
      'default',
      pod.metadata.name,
    );
    // Terminating: no longer ready, still answering, as during a preStop drain.
    const terminating = cluster.registry.find(
      cluster.type('', 'pods'),
      'default',
      pod.metadata.name,
    );
    expect(terminating?.metadata.deletionTimestamp).toBeDefined();
    expect(await get(ip, port)).toBe(`${pod.metadata.name} shop/web:7`);

    await until('the pod to be removed', () =>
      cluster!.registry.find(
        cluster!.type('', 'pods'),
        'default',
        pod.metadata.name,
      )
        ? undefined
        : true,
    );
    expect(await get(ip, port)).toBe('ECONNREFUSED');
  });

  it('are off by default: pod IPs stay 10.N.x.y', async () => {
    cluster = new SandboxCluster({ name: 'x', tokens: ['t'], timeScale: 0.05 });
    deploy(cluster, 8080);
    const pod = await readyPod(cluster);
    expect(pod.status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
  });
});
