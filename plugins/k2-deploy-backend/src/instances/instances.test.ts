import {
  K2HistoricalContainer,
  K2Release,
  K2ServiceRuntime,
} from '@internal/plugin-k2-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { AddressInfo } from 'net';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const IMAGE = 'registry.k2.local/finance/ledger';
const service = serviceEntity('ledger', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'finance',
  'k2.io/image': IMAGE,
});
const BASE = '/api/k2-deploy/services/default/ledger';
const instancePath = (pod: string) =>
  `${BASE}/environments/test/instances/test/${pod}`;

describe('instances of a service, through the REST API, on a sandbox cluster', () => {
  const bed = useK2DeployTestBed({
    clusters: ['test'],
    backend: {
      entities: [service],
      k2: {
        environments: [
          testEnvironment('test', { replicas: 2, timeoutSeconds: 60 }),
        ],
      },
    },
  });
  const cluster = bed.cluster('test');

  async function released(body: object): Promise<K2Release> {
    const res = await request(bed.backend.server)
      .post(`${BASE}/releases`)
      .set(as(ALICE))
      .send({ environment: 'test', ...body });
    expect(res.status).toBe(201);
    return poll(
      `release #${res.body.number} finished`,
      async () => {
        const r = await request(bed.backend.server)
          .get(`/api/k2-deploy/releases/${res.body.id}`)
          .set(as(ALICE));
        return ['succeeded', 'failed', 'timed-out'].includes(r.body.status)
          ? (r.body as K2Release)
          : undefined;
      },
      60_000,
    );
  }

  async function runtimePods() {
    const res = await request(bed.backend.server)
      .get(`${BASE}/runtime`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return (res.body as K2ServiceRuntime).environments[0].clusters[0].pods;
  }

  async function history(): Promise<K2HistoricalContainer[]> {
    const res = await request(bed.backend.server)
      .get(`${BASE}/instances/history?limit=100`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body.items;
  }

  async function endpointIps(): Promise<string[]> {
    const ep = await api(cluster).get(
      '/api/v1/namespaces/finance/endpoints/ledger',
    );
    return (ep.body.subsets ?? []).flatMap((s: any) =>
      (s.addresses ?? []).map((a: any) => a.ip),
    );
  }

  async function livePods(): Promise<any[]> {
    const pods = await api(cluster).get(
      '/api/v1/namespaces/finance/pods?labelSelector=k2.io/service%3Dledger',
    );
    return pods.body.items.filter((p: any) => !p.metadata.deletionTimestamp);
  }

  it('keeps the pods a release replaced, with "replaced by release N", their placement and last events', async () => {
    expect((await released({ image: '1.0.0' })).status).toBe('succeeded');
    const first = (await runtimePods()).map(p => p.name);
    expect(first).toHaveLength(2);
    const second = await released({ image: '1.1.0' });
    expect(second.status).toBe('succeeded');

    const items = await poll(
      'the replaced pods recorded',
      async () => {
        const h = await history();
        return first.every(name => h.some(i => i.pod === name)) ? h : undefined;
      },
      20_000,
    );
    for (const name of first) {
      const item = items.find(i => i.pod === name)!;
      expect(item).toMatchObject({
        environment: 'test',
        cluster: 'test',
        namespace: 'finance',
        container: 'ledger',
        image: `${IMAGE}:1.0.0`,
        release: 1,
        end: 'replaced',
        message: `Replaced by release #${second.number}`,
      });
      expect(item.node).toMatch(/\S/);
      expect(item.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(Date.parse(item.endedAt)).toBeGreaterThan(
        Date.parse(item.startedAt!),
      );
      expect(item.events.map(e => e.reason)).toContain('Killing');
    }
    // The live pods are not history.
    const live = (await runtimePods()).map(p => p.name);
    expect(items.filter(i => live.includes(i.pod))).toEqual([]);
  });

  it('takes one instance out of traffic and puts it back; it keeps running in its ReplicaSet', async () => {
    const [pod] = await runtimePods();
    expect(pod.inTraffic).toBe(true);
    expect(await endpointIps()).toContain(pod.ip);

    // Someone from another team may not.
    const refused = await request(bed.backend.server)
      .put(`${instancePath(pod.name)}/traffic`)
      .set(as(BOB))
      .send({ inTraffic: false });
    expect(refused.status).toBe(403);
    expect(await endpointIps()).toContain(pod.ip);

    const bad = await request(bed.backend.server)
      .put(`${instancePath(pod.name)}/traffic`)
      .set(as(ALICE))
      .send({ inTraffic: 'no' });
    expect(bad.status).toBe(400);

    const off = await request(bed.backend.server)
      .put(`${instancePath(pod.name)}/traffic`)
      .set(as(ALICE))
      .send({ inTraffic: false });
    expect(off.status).toBe(200);
    await poll(
      'the pod leaves the endpoints',
      async () => !(await endpointIps()).includes(pod.ip!) || undefined,
      10_000,
    );
    // Still running, still owned, and not replaced: two pods as before.
    const pods = await livePods();
    expect(pods).toHaveLength(2);
    const same = pods.find(p => p.metadata.name === pod.name);
    expect(same.status.phase).toBe('Running');
    expect(same.metadata.labels['k2.io/traffic']).toBe('off');
    expect(same.metadata.ownerReferences[0].kind).toBe('ReplicaSet');
    await poll(
      'the runtime view shows it out of traffic',
      async () =>
        (await runtimePods()).find(p => p.name === pod.name)?.inTraffic ===
          false || undefined,
      10_000,
    );

    const on = await request(bed.backend.server)
      .put(`${instancePath(pod.name)}/traffic`)
      .set(as(ALICE))
      .send({ inTraffic: true });
    expect(on.status).toBe(200);
    await poll(
      'the pod is back in the endpoints',
      async () => (await endpointIps()).includes(pod.ip!) || undefined,
      10_000,
    );

    const activity = await request(bed.backend.server)
      .get('/api/k2/services/default/ledger/activity')
      .set(as(ALICE));
    const summaries = activity.body.items.map(
      (a: any) => `${a.action} ${a.result} ${a.actor}`,
    );
    expect(summaries).toEqual(
      expect.arrayContaining([
        `instance-traffic-off failed ${BOB}`,
        `instance-traffic-off succeeded ${ALICE}`,
        `instance-traffic-on succeeded ${ALICE}`,
      ]),
    );
  });

  it('restarts one instance and destroys another, and history says who', async () => {
    const [a, b] = await runtimePods();
    expect(
      (
        await request(bed.backend.server)
          .post(`${instancePath(a.name)}/restart`)
          .set(as(BOB))
      ).status,
    ).toBe(403);
    expect(
      (
        await request(bed.backend.server)
          .post(`${instancePath(a.name)}/restart`)
          .set(as(ALICE))
      ).status,
    ).toBe(202);
    expect(
      (
        await request(bed.backend.server)
          .delete(instancePath(b.name))
          .set(as(ALICE))
      ).status,
    ).toBe(202);
    // Destroyed at once: gone from the API without a drain.
    const names = (await livePods()).map(p => p.metadata.name);
    expect(names).not.toContain(b.name);

    const items = await poll(
      'both ends recorded',
      async () => {
        const h = await history();
        const ra = h.find(i => i.pod === a.name);
        const rb = h.find(i => i.pod === b.name);
        return ra && rb ? { ra, rb } : undefined;
      },
      20_000,
    );
    expect(items.ra).toMatchObject({
      end: 'restarted',
      actor: ALICE,
      message: `Restarted by ${ALICE}`,
    });
    expect(items.rb).toMatchObject({
      end: 'destroyed',
      actor: ALICE,
      message: `Destroyed by ${ALICE}`,
    });
    // The ReplicaSet brings the service back to two instances.
    await poll(
      'two instances again',
      async () =>
        (await runtimePods()).filter(p => p.ready && !p.terminating).length ===
          2 || undefined,
      20_000,
    );
    const unknown = await request(bed.backend.server)
      .delete(instancePath('ledger-nope'))
      .set(as(ALICE));
    expect(unknown.status).toBe(404);
  });

  it('tails and follows logs: new lines arrive while the stream stays open', async () => {
    const [pod] = (await runtimePods()).filter(p => p.ready);
    const download = await poll(
      'more than 5 lines logged',
      async () => {
        const res = await request(bed.backend.server)
          .get(`${instancePath(pod.name)}/logs?download=true`)
          .set(as(BOB));
        return res.text.trim().split('\n').length > 5 ? res : undefined;
      },
      20_000,
    );
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="${pod.name}_ledger.log"`,
    );
    const tail = await request(bed.backend.server)
      .get(`${instancePath(pod.name)}/logs?tailLines=5`)
      .set(as(BOB));
    expect(tail.status).toBe(200);
    expect(tail.headers['content-type']).toMatch(/^text\/plain/);
    const tailed = tail.text.trim().split('\n');
    expect(tailed).toHaveLength(5);
    // The tail is the end of the whole log (which may have grown meanwhile).
    const whole = download.text.trim().split('\n');
    expect(whole.slice(0, whole.length - 5)).not.toContain(tailed[4]);

    for (const query of [
      'tailLines=0',
      'follow=yes',
      'follow=true&previous=true',
      'container=Bad_Name',
    ]) {
      const res = await request(bed.backend.server)
        .get(`${instancePath(pod.name)}/logs?${query}`)
        .set(as(BOB));
      expect([query, res.status]).toEqual([query, 400]);
    }
    const noContainer = await request(bed.backend.server)
      .get(`${instancePath(pod.name)}/logs?container=sidecar`)
      .set(as(BOB));
    expect(noContainer.status).toBe(404);

    // Follow over a real socket: lines keep arriving after the first chunk.
    const { port } = bed.backend.server.address() as AddressInfo;
    const aborted = new AbortController();
    const res = await fetch(
      `http://127.0.0.1:${port}${instancePath(
        pod.name,
      )}/logs?follow=true&tailLines=1`,
      { headers: as(BOB), signal: aborted.signal },
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const chunks: Array<{ at: number; text: string }> = [];
    const started = Date.now();
    const timer = setTimeout(() => aborted.abort(), 20_000);
    // Read until a chunk arrives at least a second after the first one.
    while (
      chunks.length < 2 ||
      chunks[chunks.length - 1].at - chunks[0].at < 1000
    ) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push({ at: Date.now() - started, text: decoder.decode(value) });
    }
    clearTimeout(timer);
    aborted.abort();
    const lines = chunks.flatMap(c => c.text.split('\n').filter(Boolean));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    // A line came a second or more after the first: the stream was live.
    expect(chunks[chunks.length - 1].at - chunks[0].at).toBeGreaterThanOrEqual(
      1000,
    );
  });

  it('measures one instance: memory as usage minus page cache, CPU as a rate', async () => {
    const [pod] = (await runtimePods()).filter(p => p.ready);
    const scrapes = () => cluster.counters.total('get', 'nodes/proxy');
    const usageOf = async () => {
      const before = scrapes();
      const r = await request(bed.backend.server)
        .get(`${instancePath(pod.name)}/usage`)
        .set(as(BOB));
      expect(r.status).toBe(200);
      // One scrape per request: CPU is measured against the scrape kept from an
      // earlier view, never by scraping twice with a wait in between.
      expect(scrapes() - before).toBe(1);
      return r;
    };
    // The first view has nothing to measure CPU against: not yet measured.
    const first = await usageOf();
    expect(first.body.containers[0].cpuMillicores).toBeUndefined();
    await new Promise(resolve => setTimeout(resolve, 1100));
    // The next one measures against the scrape kept from the first.
    const res = await usageOf();
    const [usage] = res.body.containers;
    expect(usage.container).toBe('ledger');
    expect(usage.cpuMillicores).toBeGreaterThan(0);
    expect(usage.memoryLimitBytes).toBe(1024 ** 3);
    // What the kubelet's cAdvisor says, scraped the way K2 scrapes it.
    const text = (
      await api(cluster).get(`/api/v1/nodes/${pod.node}/proxy/metrics/cadvisor`)
    ).text;
    const series = (name: string) =>
      Number(
        text
          .split('\n')
          .find(
            l =>
              l.startsWith(`${name}{`) &&
              l.includes(`pod="${pod.name}"`) &&
              l.includes('container="ledger"'),
          )!
          .split(' ')[1],
      );
    const expected =
      series('container_memory_usage_bytes') - series('container_memory_cache');
    expect(series('container_memory_cache')).toBeGreaterThan(0);
    expect(Math.abs(usage.memoryBytes - expected) / expected).toBeLessThan(0.1);
    expect(usage.memoryBytes).toBeLessThan(
      series('container_memory_usage_bytes'),
    );
  });

  it('converges events: one row per object and reason, with the total count', async () => {
    const res = await request(bed.backend.server)
      .get(`${BASE}/events?environment=test`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    const rows: any[] = res.body.items;
    expect(rows.length).toBeGreaterThan(0);
    const keys = rows.map(r => `${r.object}|${r.type}|${r.reason}`);
    expect(new Set(keys).size).toBe(keys.length);
    const warnings = await request(bed.backend.server)
      .get(`${BASE}/events?warningsOnly=true`)
      .set(as(BOB));
    expect(warnings.body.items.every((r: any) => r.type === 'Warning')).toBe(
      true,
    );
  });

  it('shows an OOM-killed container: the reason on the live pod, its previous logs, and a historical run', async () => {
    const r = await released({
      image: '2.0.0-oomkill',
      replicas: 1,
    });
    // The rollout itself may fail on restarts; the pods are what matter here.
    expect(['succeeded', 'failed', 'timed-out']).toContain(r.status);
    const pod = await poll(
      'an OOM-killed pod',
      async () =>
        (
          await runtimePods()
        ).find(p =>
          p.containerStatuses.some(
            c => c.lastTermination?.reason === 'OOMKilled',
          ),
        ),
      30_000,
    );
    expect(pod.containerStatuses[0].lastTermination).toMatchObject({
      reason: 'OOMKilled',
      exitCode: 137,
    });
    const previous = await request(bed.backend.server)
      .get(`${instancePath(pod.name)}/logs?previous=true`)
      .set(as(BOB));
    expect(previous.status).toBe(200);
    expect(previous.text.length).toBeGreaterThan(0);

    const run = await poll(
      'the killed run recorded',
      async () =>
        (
          await history()
        ).find(i => i.pod === pod.name && i.end === 'oom-killed'),
      20_000,
    );
    expect(run).toMatchObject({ run: 0, exitCode: 137 });
    expect(run.message).toMatch(/^OOMKilled \(exit 137\)/);
  });
});
