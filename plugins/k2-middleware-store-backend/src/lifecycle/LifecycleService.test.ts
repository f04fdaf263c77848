import { mockServices } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { K2NewActivity } from '@internal/plugin-k2-common';
import {
  K2ActivityLog,
  K2ClusterAccess,
  K2ClusterRegistry,
} from '@internal/plugin-k2-node';
import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import {
  DatabaseMiddlewareStore,
  StoredInstance,
} from '../database/MiddlewareStore';
import {
  BUILTIN_TEMPLATES_DIR,
  generateSecretData,
  renderInstance,
  resolveParameters,
  TemplateRegistry,
} from '../templates';
import { InstanceObjects } from './InstanceObjects';
import { LifecyclePolicy, LifecycleService } from './LifecycleService';

jest.setTimeout(180_000);

const databases = createK2TestDatabases();

const SERVICE = 'component:default/payment-gateway';
const OWNER = 'group:default/payments-team';
const NS = 'payment-gateway';
const POLICIES = new Map<string, LifecyclePolicy>([
  ['test', { ttlDays: 7, reminderDays: 2, retentionDays: 7 }],
]);
const DAY_MS = 24 * 60 * 60 * 1000;
const T0 = new Date('2026-12-01T08:00:00.000Z');
/** The test's clock: `days` after T0. */
const at = (days: number) => new Date(T0.getTime() + days * DAY_MS);

/** Where a resource is, by its plural name, when not in the core group. */
const API_BASE: Record<string, string> = {
  statefulsets: '/apis/apps/v1',
  poddisruptionbudgets: '/apis/policy/v1',
  jobs: '/apis/batch/v1',
};

interface Item {
  metadata: { name: string; uid: string };
  data?: Record<string, string>;
  status?: any;
  spec?: any;
}

describe('the middleware lifecycle, on a sandbox cluster', () => {
  let cluster: SandboxCluster;
  let access: K2ClusterAccess;
  let templates: TemplateRegistry;
  const kube = () => api(cluster);
  const apiPath = (plural: string, name = '') =>
    `${API_BASE[plural] ?? '/api/v1'}/namespaces/${NS}/${plural}${
      name ? `/${name}` : ''
    }`;
  /** The object, or undefined when the cluster has none of that name. */
  async function read(plural: string, name: string): Promise<Item | undefined> {
    const response = await kube().get(apiPath(plural, name));
    if (response.status === 404) return undefined;
    expect(response.status).toBe(200);
    return response.body;
  }

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test-a',
      tokens: ['test-a-token'],
      timeScale: 0.05,
      bookmarkIntervalMs: 200,
    });
    await cluster.listen(0);
    access = new K2ClusterAccess({
      registry: new K2ClusterRegistry([
        {
          name: 'test-a',
          url: cluster.url,
          serviceAccountToken: 'test-a-token',
          environments: [{ name: 'test', weight: 1 }],
          skipTLSVerify: false,
          configKey: 'kubernetes.clusterLocatorMethods[0].clusters[0]',
        },
      ]),
      logger: mockServices.logger.mock(),
    });
    access.start();
    await access.waitForSync(20_000);
    templates = await TemplateRegistry.builtIn();
    const namespace = await kube().post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
    if (namespace.status !== 201) {
      throw new Error(`Could not create namespace ${NS}: ${namespace.text}`);
    }
  });

  afterAll(async () => {
    await access?.stop();
    await cluster?.stop();
  });

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    const tag = databaseId.toLowerCase().replace(/_/g, '');
    let store: DatabaseMiddlewareStore;
    const objects = () => new InstanceObjects({ access });
    let sent: NotificationSendOptions[];
    let activity: K2NewActivity[];

    /** A backend replica's lifecycle; two of them share the database and cluster. */
    function replica(
      options: {
        jobWaitMs?: number;
        notificationsDown?: boolean;
        templates?: TemplateRegistry;
      } = {},
    ) {
      const { notificationsDown, ...rest } = options;
      const log: K2ActivityLog = {
        async record(entry) {
          activity.push(entry);
        },
        async write(entry) {
          activity.push(entry);
        },
        async recordAll(entries) {
          activity.push(...entries);
        },
      };
      return new LifecycleService({
        store,
        templates,
        objects: objects(),
        notifications: {
          async send(notification) {
            if (notificationsDown) {
              throw new Error('the notifications backend is down');
            }
            sent.push(notification);
          },
        },
        activity: log,
        logger: mockServices.logger.mock(),
        policies: POLICIES,
        jobPollMs: 100,
        ...rest,
      });
    }

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      store = await DatabaseMiddlewareStore.create({
        database: { getClient: async () => knex },
      });
    });

    beforeEach(() => {
      sent = [];
      activity = [];
    });

    /**
     * An instance as the instance service creates one in test: its Secret created once
     * with fresh passwords, its objects applied, its row active with an expiry.
     */
    async function createInstance(
      name: string,
      template: string,
      input: Record<string, unknown> = {},
    ) {
      const t = templates.get(template)!;
      const parameters = resolveParameters(t, input);
      const id = `00000000-0000-4000-8000-${String(Math.random()).slice(
        2,
        14,
      )}`;
      const ctx = {
        id,
        name,
        namespace: NS,
        environment: 'test',
        service: SERVICE,
        owner: OWNER,
      };
      const rendered = renderInstance(t, ctx, parameters);
      const secret = generateSecretData(t);
      const created = await kube().post(apiPath('secrets'), {
        ...rendered.secret,
        data: Object.fromEntries(
          Object.entries(secret).map(([k, v]) => [
            k,
            Buffer.from(v).toString('base64'),
          ]),
        ),
      });
      expect(created.status).toBe(201);
      await objects().apply(
        { cluster: 'test-a', namespace: NS },
        rendered.objects,
      );
      const instance = await store.createInstance(
        {
          name,
          service: SERVICE,
          owner: OWNER,
          environment: 'test',
          cluster: 'test-a',
          namespace: NS,
          template: t.name,
          product: t.product,
          version: t.version,
          category: t.category,
          parameters,
          phase: 'active',
          expiresAt: at(7).toISOString(),
          secretName: rendered.secret.metadata.name,
          createdBy: 'user:default/alice',
        },
        { type: 'created', actor: 'user:default/alice', summary: 'Created' },
      );
      // The StatefulSets make their data volumes as their pods start.
      for (const volume of rendered.dataVolumes) {
        await poll(`data volume ${volume}`, () =>
          read('persistentvolumeclaims', volume),
        );
      }
      return {
        instance: instance!,
        rendered,
        passwords: Object.values(secret),
        secretName: rendered.secret.metadata.name,
      };
    }

    /** What an owner's delete does to the row (the instance service's part). */
    async function askToDelete(instance: StoredInstance) {
      expect(
        await store.transition(instance.id, {
          from: ['active', 'failed'],
          to: 'deleting',
          reason: 'deleted',
          unbound: true,
        }),
      ).toBeDefined();
    }

    const phaseOf = async (id: string) => (await store.getInstance(id))?.phase;
    const eventTypes = async (id: string) =>
      (await store.listEvents(id)).map(e => e.type);

    it('reminds the owners once before expiry, then expires the instance: manifests saved and dumped, workload gone, Secret and volumes kept', async () => {
      const name = `cache-${tag}`;
      const { instance, rendered, passwords, secretName } =
        await createInstance(name, 'redis-7');
      const secretBefore = (await read('secrets', secretName))!;
      const volumesBefore = await Promise.all(
        rendered.dataVolumes.map(v => read('persistentvolumeclaims', v)),
      );
      const lifecycle = replica();

      await lifecycle.run(at(4));
      expect(sent).toEqual([]);
      await lifecycle.run(at(5.5));
      await lifecycle.run(at(6));
      expect(sent).toEqual([
        {
          recipients: { type: 'entity', entityRef: OWNER },
          payload: expect.objectContaining({
            title: `Middleware ${name} expires soon`,
            link: `/catalog/default/component/payment-gateway/middleware?instance=${instance.id}`,
            topic: 'k2-middleware-store',
          }),
        },
      ]);
      expect((await store.getInstance(instance.id))?.remindedAt).toBe(
        at(5.5).toISOString(),
      );

      await lifecycle.run(at(7.01));
      expect(await phaseOf(instance.id)).toBe('expired');
      const backup = (await store.getBackup(instance.id))!;
      expect(backup).toMatchObject({
        reason: 'expired',
        savedAt: at(7.01).toISOString(),
        restorableUntil: at(14.01).toISOString(),
        volumes: rendered.dataVolumes,
        dump: { volume: `${name}-backup`, state: 'succeeded' },
      });
      expect(backup.manifests).toEqual(
        JSON.parse(JSON.stringify(rendered.objects)),
      );
      for (const password of passwords) {
        expect(JSON.stringify(backup)).not.toContain(password);
        expect(
          JSON.stringify(await store.listEvents(instance.id)),
        ).not.toContain(password);
      }
      // The workload and everything it had but the Secret and volumes are gone.
      const kinds = rendered.objects.map(o => o.kind);
      expect(kinds).toEqual(['ConfigMap', 'Service', 'Service', 'StatefulSet']);
      for (const object of rendered.objects) {
        const plural = `${object.kind!.toLowerCase()}s`;
        expect(await read(plural, object.metadata.name)).toBeUndefined();
      }
      expect((await read('secrets', secretName))?.metadata.uid).toBe(
        secretBefore.metadata.uid,
      );
      for (const volume of volumesBefore) {
        expect(
          (await read('persistentvolumeclaims', volume!.metadata.name))
            ?.metadata.uid,
        ).toBe(volume!.metadata.uid);
      }
      const job = (await read('jobs', backup.dump!.job))!;
      expect(job.status.succeeded).toBe(1);
      expect(
        job.spec.template.spec.volumes.map(
          (v: any) => v.persistentVolumeClaim?.claimName,
        ),
      ).toContain(`${name}-backup`);
      expect(
        await read('persistentvolumeclaims', `${name}-backup`),
      ).toBeDefined();
      expect(await eventTypes(instance.id)).toEqual([
        'created',
        'reminded',
        'expiring',
        'backup-saved',
        'dumped',
        'expired',
      ]);
      expect(activity.map(a => [a.action, a.actor, a.service])).toEqual([
        ['middleware-remind', 'service:k2-middleware-store', SERVICE],
        ['middleware-expire', 'service:k2-middleware-store', SERVICE],
        ['middleware-expired', 'service:k2-middleware-store', SERVICE],
      ]);
    });

    it('restores an expired instance with the same Secret and data volumes, and a fresh time to live', async () => {
      const name = `cache-${tag}`;
      const instance = (await store.getInstanceByName('test', name))!;
      expect(instance.phase).toBe('expired');
      const secretName = instance.secretName;
      const secretBefore = (await read('secrets', secretName))!;
      const backup = (await store.getBackup(instance.id))!;
      const volumesBefore = await Promise.all(
        backup.volumes.map(v => read('persistentvolumeclaims', v)),
      );
      const sts = backup.manifests.find(
        (o: any) => o.kind === 'StatefulSet',
      ) as Item;
      expect(await read('statefulsets', sts.metadata.name)).toBeUndefined();
      expect(
        await store.transition(instance.id, {
          from: ['deleted', 'expired'],
          to: 'restoring',
        }),
      ).toBeDefined();

      await replica().advance(instance.id, at(8));

      const restored = (await store.getInstance(instance.id))!;
      expect(restored.phase).toBe('active');
      expect(restored.expiresAt).toBe(at(15).toISOString());
      expect(restored.remindedAt).toBeUndefined();
      await poll('the StatefulSet to be ready again', async () => {
        const live = await read('statefulsets', sts.metadata.name);
        return live && live.status?.readyReplicas === live.spec.replicas;
      });
      const secretAfter = (await read('secrets', secretName))!;
      expect(secretAfter.metadata.uid).toBe(secretBefore.metadata.uid);
      expect(secretAfter.data).toEqual(secretBefore.data);
      for (const volume of volumesBefore) {
        expect(
          (await read('persistentvolumeclaims', volume!.metadata.name))
            ?.metadata.uid,
        ).toBe(volume!.metadata.uid);
      }
      // The backup served its purpose: its Job, volume and row are gone.
      expect(await store.getBackup(instance.id)).toBeUndefined();
      expect(await read('jobs', backup.dump!.job)).toBeUndefined();
      await poll(
        'the backup volume to go',
        async () =>
          (await read('persistentvolumeclaims', `${name}-backup`)) ===
          undefined,
      );
      expect((await eventTypes(instance.id)).slice(-1)).toEqual(['restored']);
      expect(activity.map(a => a.action)).toEqual(['middleware-restore']);
    });

    it('runs the MySQL dump Job to the backup volume before an owner’s deletion removes the workload, across passes', async () => {
      const name = `db-${tag}`;
      const { instance, rendered, secretName } = await createInstance(
        name,
        'mysql-8',
      );
      await askToDelete(instance);
      const sts = rendered.workloads[0].name;
      // A pass that does not wait for the dump leaves the workload to it.
      await replica({ jobWaitMs: 0 }).advance(instance.id, at(1));
      expect(await phaseOf(instance.id)).toBe('deleting');
      expect((await store.getBackup(instance.id))?.dump?.state).toBe('running');
      expect(await read('statefulsets', sts)).toBeDefined();

      await replica().advance(instance.id, at(1.1));
      expect(await phaseOf(instance.id)).toBe('deleted');
      const backup = (await store.getBackup(instance.id))!;
      expect(backup).toMatchObject({
        reason: 'deleted',
        savedAt: at(1).toISOString(),
        dump: { volume: `${name}-backup`, state: 'succeeded' },
      });
      const job = (await read('jobs', backup.dump!.job))!;
      expect(job.status.succeeded).toBe(1);
      expect(await read('statefulsets', sts)).toBeUndefined();
      expect(await read('secrets', secretName)).toBeDefined();
      expect(
        await read('persistentvolumeclaims', `${name}-backup`),
      ).toBeDefined();
      expect(activity.map(a => a.action)).toEqual(['middleware-deleted']);
    });

    it('keeps the workload and says why when the dump Job fails; deleting again makes a new dump', async () => {
      const name = `broken-${tag}`;
      const { instance, rendered } = await createInstance(name, 'redis-7');
      await askToDelete(instance);
      // A dump that cannot succeed: its Job's pods crash.
      const job = `${name}-dump-${at(2).getTime().toString(36)}`;
      const failing = rendered.dumpJob!({
        jobName: job,
        claimName: `${name}-backup`,
      });
      failing.spec.backoffLimit = 0;
      failing.spec.template.metadata = {
        ...failing.spec.template.metadata,
        annotations: {
          'sandbox.k2.io/failure': 'crash-loop',
          'sandbox.k2.io/crash-after-seconds': '1',
        },
      };
      failing.metadata.namespace = NS;
      expect((await kube().post(apiPath('jobs'), failing)).status).toBe(201);

      await replica().advance(instance.id, at(2));

      const failed = (await store.getInstance(instance.id))!;
      expect(failed.phase).toBe('failed');
      expect(failed.phaseReason).toContain(`the dump Job ${job} failed`);
      expect(failed.phaseReason).toContain('the instance was kept');
      expect(
        await read('statefulsets', rendered.workloads[0].name),
      ).toBeDefined();
      expect((await store.getBackup(instance.id))?.dump?.state).toBe('failed');
      expect(activity).toEqual([
        expect.objectContaining({
          action: 'middleware-delete',
          result: 'failed',
        }),
      ]);

      await askToDelete(failed);
      await replica().advance(instance.id, at(3));
      expect(await phaseOf(instance.id)).toBe('deleted');
      const backup = (await store.getBackup(instance.id))!;
      expect(backup.dump).toMatchObject({ state: 'succeeded' });
      expect(backup.dump!.job).not.toBe(job);
      expect(await read('jobs', job)).toBeUndefined();
      expect(
        await read('statefulsets', rendered.workloads[0].name),
      ).toBeUndefined();
    });

    it('leaves a deletion cut short by the cluster in a truthful state, and two replicas finish it once', async () => {
      const name = `queue-${tag}`;
      const { instance, rendered } = await createInstance(name, 'redis-7', {
        mode: 'sentinel',
        replicas: 3,
      });
      expect(rendered.objects.map(o => o.kind)).toContain(
        'PodDisruptionBudget',
      );
      expect(rendered.dataVolumes).toHaveLength(3);
      await askToDelete(instance);
      cluster.faults.set({
        errors: {
          code: 503,
          seconds: 60,
          verbs: ['delete'],
          resources: ['services'],
        },
      });
      try {
        await replica().advance(instance.id, at(1));
      } finally {
        cluster.faults.clear();
      }
      // The Services could not be deleted: still deleting, backup saved, nothing lost.
      expect(await phaseOf(instance.id)).toBe('deleting');
      expect(await store.getBackup(instance.id)).toBeDefined();
      const services = rendered.objects.filter(o => o.kind === 'Service');
      expect(services.length).toBeGreaterThan(0);
      for (const service of services) {
        expect(await read('services', service.metadata.name)).toBeDefined();
      }

      await Promise.all([
        replica().advance(instance.id, at(1.1)),
        replica().advance(instance.id, at(1.1)),
      ]);
      expect(await phaseOf(instance.id)).toBe('deleted');
      for (const service of services) {
        expect(await read('services', service.metadata.name)).toBeUndefined();
      }
      expect(await read('poddisruptionbudgets', name)).toBeUndefined();
      for (const volume of rendered.dataVolumes) {
        expect(await read('persistentvolumeclaims', volume)).toBeDefined();
      }
      const types = await eventTypes(instance.id);
      expect(types.filter(t => t === 'deleted')).toHaveLength(1);
      expect(types.filter(t => t === 'backup-saved')).toHaveLength(1);
      expect(activity.map(a => a.action)).toEqual(['middleware-deleted']);
    });

    it('ends a restore the cluster refuses in failed, with the cluster’s words', async () => {
      const name = `refused-${tag}`;
      const { instance } = await createInstance(name, 'redis-7');
      await askToDelete(instance);
      await replica().advance(instance.id, at(1));
      const saved = (await store.getBackup(instance.id))!;
      // A saved StatefulSet the cluster no longer takes: no containers.
      await store.deleteBackup(instance.id);
      await store.saveBackup({
        ...saved,
        manifests: saved.manifests.map((o: any) =>
          o.kind === 'StatefulSet'
            ? {
                ...o,
                spec: {
                  ...o.spec,
                  template: {
                    ...o.spec.template,
                    spec: { ...o.spec.template.spec, containers: [] },
                  },
                },
              }
            : o,
        ),
      });
      await store.transition(instance.id, {
        from: ['deleted'],
        to: 'restoring',
      });

      await replica().advance(instance.id, at(2));

      const failed = (await store.getInstance(instance.id))!;
      expect(failed.phase).toBe('failed');
      expect(failed.phaseReason).toMatch(
        /^Restore of refused-\w+ failed: the cluster refused an object: StatefulSet /,
      );
      expect(activity.map(a => [a.action, a.result])).toEqual([
        ['middleware-deleted', 'succeeded'],
        ['middleware-restore', 'failed'],
      ]);
    });

    it('removes the Secret, data volumes and backup at the end of retention, then the rows', async () => {
      const name = `old-${tag}`;
      const { instance, rendered, secretName } = await createInstance(
        name,
        'redis-7',
      );
      await askToDelete(instance);
      await replica().advance(instance.id, at(1));
      expect(await phaseOf(instance.id)).toBe('deleted');
      const { dump } = (await store.getBackup(instance.id))!;

      await replica().run(at(7.9));
      expect(await phaseOf(instance.id)).toBe('deleted');
      expect(await read('secrets', secretName)).toBeDefined();

      await replica().run(at(8.1));
      expect(await store.getInstance(instance.id)).toBeUndefined();
      expect(await store.getBackup(instance.id)).toBeUndefined();
      expect(await store.getInstanceByName('test', name)).toBeUndefined();
      expect(await read('secrets', secretName)).toBeUndefined();
      expect(await read('jobs', dump!.job)).toBeUndefined();
      for (const volume of [...rendered.dataVolumes, `${name}-backup`]) {
        await poll(
          `${volume} to go`,
          async () =>
            (await read('persistentvolumeclaims', volume)) === undefined,
        );
      }
      expect(activity.map(a => a.action)).toContain('middleware-purge');
    });

    it('reminds on the next pass when the notification could not be sent', async () => {
      const { instance } = await createInstance(`later-${tag}`, 'redis-7');
      await replica({ notificationsDown: true }).run(at(5.5));
      expect(sent).toEqual([]);
      expect(
        (await store.getInstance(instance.id))?.remindedAt,
      ).toBeUndefined();
      expect(await eventTypes(instance.id)).toEqual(['created']);

      await replica().run(at(5.6));
      expect(sent.map(n => n.payload.link)).toEqual([
        `/catalog/default/component/payment-gateway/middleware?instance=${instance.id}`,
      ]);
      expect(await eventTypes(instance.id)).toEqual(['created', 'reminded']);
    });

    it('fails a deletion that still needs a template no longer offered, and finishes one past its dump without it', async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-templates-'));
      await fs.copyFile(
        path.join(BUILTIN_TEMPLATES_DIR, 'redis-7.yaml'),
        path.join(dir, 'redis-7.yaml'),
      );
      const withoutMysql = await TemplateRegistry.fromDirectory(dir);
      await fs.rm(dir, { recursive: true });

      const kept = await createInstance(`kept-${tag}`, 'mysql-8');
      await askToDelete(kept.instance);
      await replica({ templates: withoutMysql }).advance(
        kept.instance.id,
        at(1),
      );
      const failed = (await store.getInstance(kept.instance.id))!;
      expect(failed.phase).toBe('failed');
      expect(failed.phaseReason).toContain(
        'its template mysql-8 is no longer offered',
      );
      expect(
        await read('statefulsets', kept.rendered.workloads[0].name),
      ).toBeDefined();

      // Backup and dump done, the Services not yet deleted: the rest needs no template.
      const { instance, rendered } = await createInstance(
        `past-${tag}`,
        'mysql-8',
      );
      await askToDelete(instance);
      cluster.faults.set({
        errors: {
          code: 503,
          seconds: 60,
          verbs: ['delete'],
          resources: ['services'],
        },
      });
      try {
        await replica().advance(instance.id, at(1));
      } finally {
        cluster.faults.clear();
      }
      expect((await store.getBackup(instance.id))?.dump?.state).toBe(
        'succeeded',
      );
      await replica({ templates: withoutMysql }).advance(instance.id, at(1.1));
      expect(await phaseOf(instance.id)).toBe('deleted');
      for (const object of rendered.objects) {
        expect(
          await read(`${object.kind!.toLowerCase()}s`, object.metadata.name),
        ).toBeUndefined();
      }
    });
  });
});
