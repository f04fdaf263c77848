import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { K2Release } from '@internal/plugin-k2-common';
import type { K2ConfigVersion } from '@internal/plugin-k2-config-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { createHash } from 'node:crypto';
import Router from 'express-promise-router';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(90_000);

const NAMESPACE = 'shop';
const CLUSTERS = ['test', 'prod-a', 'prod-b'];
const CLUSTERS_OF: Record<string, string[]> = {
  test: ['test'],
  prod: ['prod-a', 'prod-b'],
};

/**
 * The Config backend's two reads the Deploy backend makes (a file with its latest
 * version, one version), over versions a test saves; `down` makes it drop every
 * connection, as a backend that is not running.
 */
const config = {
  down: false,
  versions: new Map<string, K2ConfigVersion[]>(),
};
const fileKey = (p: Record<string, string>) =>
  `${p.namespace}/${p.name}/${p.environment}/${p.file}`;
const notFound = (message: string) => ({
  error: { name: 'NotFoundError', message },
});

const configStandIn = createBackendPlugin({
  pluginId: 'k2-config',
  register(env) {
    env.registerInit({
      deps: { httpRouter: coreServices.httpRouter },
      async init({ httpRouter }) {
        const router = Router();
        router.use((req, _res, next) => {
          if (config.down) req.socket.destroy();
          else next();
        });
        const file =
          '/services/:namespace/:name/environments/:environment/files/:file';
        router.get(file, async (req, res) => {
          const versions = config.versions.get(fileKey(req.params));
          if (!versions) {
            res.status(404).json(notFound(`No config file ${req.params.file}`));
            return;
          }
          res.json({ name: req.params.file, latest: versions.at(-1) });
        });
        router.get(`${file}/versions/:version`, async (req, res) => {
          const found = config.versions
            .get(fileKey(req.params))
            ?.find(v => v.number === Number(req.params.version));
          if (!found) {
            res
              .status(404)
              .json(
                notFound(
                  `${req.params.file} has no version ${req.params.version}`,
                ),
              );
            return;
          }
          res.json(found);
        });
        httpRouter.use(router);
      },
    });
  },
});

describe('releases that mount volumes and config files, on sandbox clusters', () => {
  const bed = useK2DeployTestBed({ clusters: CLUSTERS });

  beforeAll(async () => {
    for (const cluster of CLUSTERS) {
      const res = await api(bed.cluster(cluster)).post('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: NAMESPACE },
      });
      if (res.status !== 201) {
        throw new Error(`creating namespace ${NAMESPACE}: ${res.text}`);
      }
    }
    await bed.start({
      entities: ['shop', 'shop-cart', 'refused', 'never-released'].map(name =>
        serviceEntity(name, {
          'k2.io/environments': 'test,prod',
          'k2.io/namespace': NAMESPACE,
          'k2.io/image': `registry.k2.local/shop/${name}`,
        }),
      ),
      k2: {
        releases: { retainedForRollback: 2 },
        environments: [
          testEnvironment('test'),
          testEnvironment('prod', {
            clusters: [{ name: 'prod-a' }, { name: 'prod-b' }],
          }),
        ],
      },
      features: [configStandIn],
    });
  });

  afterEach(() => {
    config.down = false;
  });

  /** A volume as the Storage backend creates it: the PVC in the given clusters. */
  async function createVolume(
    options: { owner: string; volume: string; environment: string },
    clusters = CLUSTERS_OF[options.environment],
    claim = `${options.owner}-${options.volume}`,
  ) {
    for (const cluster of clusters) {
      const res = await api(bed.cluster(cluster)).post(
        `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`,
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: claim,
            labels: {
              'k2.io/service': options.owner,
              'k2.io/environment': options.environment,
              'app.kubernetes.io/managed-by': 'k2',
              'k2.io/volume': options.volume,
            },
          },
          spec: {
            storageClassName: 'nfs',
            accessModes: ['ReadWriteMany'],
            resources: { requests: { storage: '1Gi' } },
          },
        },
      );
      expect(res.status).toBe(201);
    }
  }

  /**
   * A config file version as the Config backend saves it: an immutable ConfigMap named
   * by the content's hash in every cluster of the environment, and its metadata.
   */
  async function saveVersion(
    service: string,
    environment: string,
    file: string,
    content: string,
    sensitive = false,
    clusters = CLUSTERS_OF[environment],
  ): Promise<K2ConfigVersion> {
    const hash = createHash('sha256')
      .update(content)
      .digest('hex')
      .slice(0, 10);
    const object = `${service}-${file.replace(/[._]/g, '-')}-${hash}`;
    for (const cluster of clusters) {
      const res = await api(bed.cluster(cluster)).post(
        `/api/v1/namespaces/${NAMESPACE}/${
          sensitive ? 'secrets' : 'configmaps'
        }`,
        {
          apiVersion: 'v1',
          kind: sensitive ? 'Secret' : 'ConfigMap',
          metadata: {
            name: object,
            labels: {
              'k2.io/service': service,
              'k2.io/environment': environment,
              'app.kubernetes.io/managed-by': 'k2',
              'k2.io/config-file': file,
              'k2.io/config-hash': hash,
            },
          },
          immutable: true,
          data: {
            [file]: sensitive
              ? Buffer.from(content).toString('base64')
              : content,
          },
        },
      );
      expect(res.status).toBe(201);
    }
    const key = `default/${service}/${environment}/${file}`;
    const versions = config.versions.get(key) ?? [];
    const version: K2ConfigVersion = {
      file,
      number: versions.length + 1,
      hash,
      object,
      sensitive,
      size: content.length,
      author: 'user:default/alice',
      message: `v${versions.length + 1}`,
      createdAt: new Date().toISOString(),
      collected: false,
    };
    config.versions.set(key, [...versions, version]);
    return version;
  }

  const release = (service: string, body: object) =>
    request(bed.backend.server)
      .post(`/api/k2-deploy/services/default/${service}/releases`)
      .set(as(ALICE))
      .send(body);

  async function succeeded(res: request.Response): Promise<K2Release> {
    expect(res.status).toBe(201);
    const done = await releaseFinished(bed.backend, res.body.id);
    expect(done.status).toBe('succeeded');
    return done;
  }

  /** The pod template's mounts as kubectl would show them, in one cluster. */
  async function mountsOf(cluster: string, service: string) {
    const res = await api(bed.cluster(cluster)).get(
      `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${service}`,
    );
    expect(res.status).toBe(200);
    const pod = res.body.spec.template.spec;
    return {
      volumes: pod.volumes.filter((v: any) => v.name !== 'k2-logs'),
      volumeMounts: pod.containers[0].volumeMounts.filter(
        (m: any) => m.name !== 'k2-logs',
      ),
    };
  }

  const history = async (service: string) =>
    (
      await request(bed.backend.server)
        .get(`/api/k2-deploy/services/default/${service}/releases`)
        .set(as(BOB))
    ).body.total as number;

  it('mounts a volume and a config file version; a new version is a new release, and rolling back mounts the old ConfigMap again', async () => {
    await createVolume({ owner: 'shop', volume: 'data', environment: 'test' });
    const v1 = await saveVersion('shop', 'test', 'application.yaml', 'a: 1\n');
    const first = await succeeded(
      await release('shop', {
        environment: 'test',
        image: '1.0.0',
        volumes: [{ volume: 'data', mountPath: '/data', readOnly: false }],
        configFiles: [
          { file: 'application.yaml', mountPath: '/app/application.yaml' },
        ],
      }),
    );
    expect(first.spec.configFiles).toEqual([
      {
        file: 'application.yaml',
        version: 1,
        object: v1.object,
        sensitive: false,
        hash: v1.hash,
        mountPath: '/app/application.yaml',
      },
    ]);
    expect(await mountsOf('test', 'shop')).toEqual({
      volumes: [
        {
          name: 'k2-volume-data',
          persistentVolumeClaim: { claimName: 'shop-data' },
        },
        {
          name: 'k2-config-0',
          configMap: {
            name: v1.object,
            items: [{ key: 'application.yaml', path: 'application.yaml' }],
          },
        },
      ],
      volumeMounts: [
        { name: 'k2-volume-data', mountPath: '/data', readOnly: false },
        {
          name: 'k2-config-0',
          mountPath: '/app/application.yaml',
          subPath: 'application.yaml',
          readOnly: true,
        },
      ],
    });

    // Version 2 saved: the preview names the change; the release takes the latest
    // and keeps the volume it does not mention.
    const v2 = await saveVersion('shop', 'test', 'application.yaml', 'a: 2\n');
    const next = {
      environment: 'test',
      image: '1.0.1',
      configFiles: [
        { file: 'application.yaml', mountPath: '/app/application.yaml' },
      ],
    };
    const preview = await request(bed.backend.server)
      .post('/api/k2-deploy/services/default/shop/releases/preview')
      .set(as(ALICE))
      .send(next);
    expect(preview.status).toBe(200);
    expect(
      preview.body.changes.filter((c: { path: string }) =>
        /^(image|volumes|configFiles)/.test(c.path),
      ),
    ).toEqual([
      {
        path: 'image',
        before: 'registry.k2.local/shop/shop:1.0.0',
        after: 'registry.k2.local/shop/shop:1.0.1',
      },
      {
        path: 'configFiles./app/application.yaml',
        before: 'application.yaml v1',
        after: 'application.yaml v2',
      },
    ]);
    const second = await succeeded(await release('shop', next));
    expect(second.spec.volumes).toEqual(first.spec.volumes);
    const mounted = await mountsOf('test', 'shop');
    expect(mounted.volumes[1].configMap.name).toBe(v2.object);
    expect(mounted.volumes[0].persistentVolumeClaim.claimName).toBe(
      'shop-data',
    );

    const rollback = await request(bed.backend.server)
      .post(`/api/k2-deploy/releases/${first.id}/rollback`)
      .set(as(ALICE))
      .send({});
    const third = await succeeded(rollback);
    expect((await mountsOf('test', 'shop')).volumes[1].configMap.name).toBe(
      v1.object,
    );

    // Retained for rollback: the last 2 that succeeded (#3 current, #2); #1's
    // version 1 is still in use through #3.
    const mounts = await request(bed.backend.server)
      .get('/api/k2-deploy/services/default/shop/mounts')
      .set(as(BOB));
    expect(mounts.status).toBe(200);
    expect(mounts.body.items).toEqual([
      {
        environment: 'test',
        kind: 'config',
        name: 'application.yaml',
        version: 1,
        object: v1.object,
        releases: [{ id: third.id, number: 3, current: true }],
      },
      {
        environment: 'test',
        kind: 'config',
        name: 'application.yaml',
        version: 2,
        object: v2.object,
        releases: [{ id: second.id, number: 2, current: false }],
      },
      {
        environment: 'test',
        kind: 'volume',
        name: 'data',
        releases: [
          { id: third.id, number: 3, current: true },
          { id: second.id, number: 2, current: false },
        ],
      },
    ]);
  });

  it('refuses what it cannot mount, naming it, and releases nothing', async () => {
    // shop's volume 'cart-data' is the PVC shop-cart-data, which is not shop-cart's 'data'.
    await createVolume({
      owner: 'shop',
      volume: 'cart-data',
      environment: 'test',
    });
    // In prod-a only.
    await createVolume(
      { owner: 'refused', volume: 'archive', environment: 'prod' },
      ['prod-a'],
    );
    await createVolume({
      owner: 'refused',
      volume: 'data',
      environment: 'test',
    });
    await saveVersion('refused', 'test', 'app.properties', 'a=1\n');
    const data = { volume: 'data', mountPath: '/data', readOnly: false };
    const cases: Array<[string, object, number, RegExp]> = [
      [
        'shop-cart',
        { environment: 'test', image: '1', volumes: [data] },
        400,
        /'volumes\[0\]': the PersistentVolumeClaim shop\/shop-cart-data in cluster test is not K2's volume 'data' of shop-cart in test \(it is labelled k2.io\/service=shop/,
      ],
      [
        'refused',
        {
          environment: 'prod',
          image: '1',
          volumes: [{ ...data, volume: 'archive' }],
        },
        400,
        /'volumes\[0\]': volume 'archive' does not exist in cluster prod-b/,
      ],
      [
        'refused',
        {
          environment: 'test',
          image: '1',
          volumes: [{ ...data, mountPath: '/log-dir/data' }],
        },
        400,
        /'volumes\[0\].mountPath': '\/log-dir\/data' is at or under '\/log-dir'/,
      ],
      [
        'refused',
        {
          environment: 'test',
          image: '1',
          volumes: [data],
          configFiles: [{ file: 'app.properties', mountPath: '/data' }],
        },
        400,
        /'volumes\[0\].mountPath' and 'configFiles\[0\].mountPath' are both '\/data'/,
      ],
      [
        'refused',
        {
          environment: 'test',
          image: '1',
          volumes: Array.from({ length: 11 }, (_, i) => ({
            ...data,
            mountPath: `/data${i}`,
          })),
          configFiles: Array.from({ length: 10 }, (_, i) => ({
            file: 'app.properties',
            mountPath: `/app/${i}.properties`,
          })),
        },
        400,
        /at most 20 volumes and config files, got 21/,
      ],
      [
        'refused',
        {
          environment: 'test',
          image: '1',
          configFiles: [
            { file: 'app.properties', version: 9, mountPath: '/app/a' },
          ],
        },
        400,
        /version 9 of config file 'app.properties' in test: app.properties has no version 9/,
      ],
    ];
    for (const [service, body, status, message] of cases) {
      const res = await release(service, body);
      expect({ status: res.status, message: res.body.error?.message }).toEqual({
        status,
        message: expect.stringMatching(message),
      });
    }
    expect(await history('refused')).toBe(0);
    expect(await history('shop-cart')).toBe(0);

    // The Config backend down: 503 saying so, nothing released.
    config.down = true;
    const down = await release('refused', {
      environment: 'test',
      image: '1',
      configFiles: [{ file: 'app.properties', mountPath: '/app/a' }],
    });
    expect(down.status).toBe(503);
    expect(down.body.error.message).toMatch(
      /Could not read config file 'app.properties' in test from the Config backend \(k2-config\).*nothing was released/,
    );
    expect(await history('refused')).toBe(0);

    // Up again, the same request goes through.
    config.down = false;
    const released = await succeeded(
      await release('refused', {
        environment: 'test',
        image: '1',
        volumes: [data],
        configFiles: [{ file: 'app.properties', mountPath: '/app/a' }],
      }),
    );
    expect(released.spec.configFiles[0].version).toBe(1);
  });

  it('mounts a sensitive config file from its immutable Secret, and refuses one whose Secret is missing in a cluster', async () => {
    const db = await saveVersion(
      'shop-cart',
      'prod',
      'db.properties',
      'password=s3cret\n',
      true,
    );
    const released = await succeeded(
      await release('shop-cart', {
        environment: 'prod',
        image: '1',
        configFiles: [
          { file: 'db.properties', mountPath: '/app/db.properties' },
        ],
      }),
    );
    expect(released.spec.configFiles[0]).toMatchObject({
      object: db.object,
      sensitive: true,
    });
    for (const cluster of CLUSTERS_OF.prod) {
      expect(await mountsOf(cluster, 'shop-cart')).toEqual({
        volumes: [
          {
            name: 'k2-config-0',
            secret: {
              secretName: db.object,
              items: [{ key: 'db.properties', path: 'db.properties' }],
            },
          },
        ],
        volumeMounts: [
          {
            name: 'k2-config-0',
            mountPath: '/app/db.properties',
            subPath: 'db.properties',
            readOnly: true,
          },
        ],
      });
    }
    // A version whose Secret was never written to prod-b is not released.
    const next = await saveVersion(
      'shop-cart',
      'prod',
      'db.properties',
      'password=n3w\n',
      true,
      ['prod-a'],
    );
    const refused = await release('shop-cart', {
      environment: 'prod',
      image: '2',
      configFiles: [{ file: 'db.properties', mountPath: '/app/db.properties' }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      `'configFiles[0]': version 2 of 'db.properties' has no Secret ${NAMESPACE}/${next.object} in cluster prod-b; save or restore it on the Config tab for prod`,
    );
  });

  it('refuses rolling back to a release whose config object is gone from a cluster, naming it', async () => {
    const v1 = await saveVersion('refused', 'prod', 'app.yaml', 'a: 1\n');
    const body = (version: number) => ({
      environment: 'prod',
      image: '1',
      configFiles: [{ file: 'app.yaml', version, mountPath: '/app/app.yaml' }],
    });
    const first = await succeeded(await release('refused', body(1)));
    await saveVersion('refused', 'prod', 'app.yaml', 'a: 2\n');
    await succeeded(await release('refused', body(2)));

    const deleted = await api(bed.cluster('prod-b')).delete(
      `/api/v1/namespaces/${NAMESPACE}/configmaps/${v1.object}`,
    );
    expect(deleted.status).toBe(200);
    // Once the Deploy backend's cache has seen the deletion, a preview of version 1
    // is refused: nothing is written by asking.
    await poll('version 1 refused in prod-b', async () => {
      const res = await request(bed.backend.server)
        .post('/api/k2-deploy/services/default/refused/releases/preview')
        .set(as(ALICE))
        .send(body(1));
      return res.status === 400 ? res : undefined;
    });
    const rollback = await request(bed.backend.server)
      .post(`/api/k2-deploy/releases/${first.id}/rollback`)
      .set(as(ALICE))
      .send({});
    expect(rollback.status).toBe(400);
    expect(rollback.body.error.message).toBe(
      `Cannot roll back to release #1: 'configFiles[0]': version 1 of 'app.yaml' has no ConfigMap ${NAMESPACE}/${v1.object} in cluster prod-b; save or restore it on the Config tab for prod`,
    );
  });

  it('lists no mounts of a service never released, and refuses a service the catalog does not hold', async () => {
    const empty = await request(bed.backend.server)
      .get('/api/k2-deploy/services/default/never-released/mounts')
      .set(as(BOB));
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ items: [] });
    const unknown = await request(bed.backend.server)
      .get('/api/k2-deploy/services/default/nowhere/mounts')
      .set(as(BOB));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('nowhere');
  });
});
