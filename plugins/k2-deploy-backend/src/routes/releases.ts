import { HttpAuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { callerOf, K2ClusterAccess } from '@internal/plugin-k2-node';
import { ReleaseStore } from '../database/ReleaseStore';
import { PodUsage } from '../releases/recommendReplicas';
import { ReleaseDriver } from '../releases/ReleaseDriver';
import { ReleaseEngine } from '../releases/ReleaseEngine';
import { ReleaseMounts } from '../releases/ReleaseMounts';
import { releaseView } from '../releases/releaseView';
import { DeployRouter } from './contract';

const component = (p: { namespace: string; name: string }) => ({
  kind: 'component',
  namespace: p.namespace,
  name: p.name,
});

/**
 * The release engine: the same engine as the scaffolder action and the Deploy tab.
 * History and one release read the store; every change goes through the engine.
 */
export function releaseRoutes(
  router: DeployRouter,
  options: {
    httpAuth: HttpAuthService;
    access: K2ClusterAccess;
    engine: ReleaseEngine;
    driver: ReleaseDriver;
    store: ReleaseStore;
    mounts: ReleaseMounts;
  },
) {
  const { access, engine, driver, store, mounts } = options;
  const caller = callerOf(options.httpAuth);

  /** Release history, newest first; `environment` narrows it to one. */
  router.get('/services/:namespace/:name/releases', async (req, res) => {
    const service = stringifyEntityRef(component(req.params));
    const { environment, limit = 20, before } = req.query;
    await engine.authorizeRead(service, await caller(req));
    const page = await store.history({ service, environment, limit, before });
    res.json({
      ...page,
      items: page.items.map(r => releaseView(r, driver.liveProgress(r))),
    });
  });

  router.post('/services/:namespace/:name/releases', async (req, res) => {
    const release = await engine.release(
      component(req.params),
      req.body,
      await caller(req),
    );
    res.status(201).json(releaseView(release));
  });

  /**
   * What the release would be, compared with the running release: validated and
   * permitted as creating it, and writing nothing.
   */
  router.post(
    '/services/:namespace/:name/releases/preview',
    async (req, res) => {
      res.json(
        await engine.preview(
          component(req.params),
          req.body,
          await caller(req),
        ),
      );
    },
  );

  /** Volumes and config file versions the current and retained releases mount. */
  router.get('/services/:namespace/:name/mounts', async (req, res) => {
    res.json({
      items: await mounts.list(component(req.params), await caller(req)),
    });
  });

  router.get('/releases/:id', async (req, res) => {
    const release = await store.get(req.params.id);
    if (!release) throw new NotFoundError(`No release ${req.params.id}`);
    await engine.authorizeRead(release.service, await caller(req));
    res.json(releaseView(release, driver.liveProgress(release)));
  });

  router.post('/releases/:id/rollback', async (req, res) => {
    const release = await engine.rollback(
      req.params.id,
      req.body ?? {},
      await caller(req),
    );
    res.status(201).json(releaseView(release));
  });

  router.post('/releases/:id/approve', async (req, res) => {
    const release = await engine.decide(
      req.params.id,
      'approve',
      {},
      await caller(req),
    );
    res.json(releaseView(release));
  });

  router.post('/releases/:id/reject', async (req, res) => {
    const release = await engine.decide(
      req.params.id,
      'reject',
      req.body ?? {},
      await caller(req),
    );
    res.json(releaseView(release));
  });

  /** Withdraws a release waiting for approval (its requester or the owners). */
  router.post('/releases/:id/cancel', async (req, res) => {
    const release = await engine.cancel(
      req.params.id,
      req.body ?? {},
      await caller(req),
    );
    res.json(releaseView(release));
  });

  const environment = '/services/:namespace/:name/environments/:environment';

  router.post(`${environment}/scale`, async (req, res) => {
    const release = await engine.scale(
      component(req.params),
      req.params.environment,
      req.body,
      await caller(req),
    );
    res.status(201).json(releaseView(release));
  });

  router.post(`${environment}/restart`, async (req, res) => {
    const release = await engine.restart(
      component(req.params),
      req.params.environment,
      await caller(req),
    );
    res.status(201).json(releaseView(release));
  });

  router.put(`${environment}/autoscaling`, async (req, res) => {
    const release = await engine.setAutoscaling(
      component(req.params),
      req.params.environment,
      req.body,
      await caller(req),
    );
    res.status(201).json(releaseView(release));
  });

  router.delete(`${environment}/autoscaling`, async (req, res) => {
    const release = await engine.setAutoscaling(
      component(req.params),
      req.params.environment,
      null,
      await caller(req),
    );
    res.status(201).json(releaseView(release));
  });

  /** What a release gets for each value its request leaves out, and from where. */
  router.get(`${environment}/release-defaults`, async (req, res) => {
    res.json(
      await engine.releaseDefaults(
        component(req.params),
        req.params.environment,
        await caller(req),
      ),
    );
  });

  /** How many replicas today's load needs (from the clusters' metrics API). */
  router.get(`${environment}/recommendation`, async (req, res) => {
    res.json(
      await engine.recommendReplicas(
        component(req.params),
        req.params.environment,
        await caller(req),
        async (cluster, namespace, labelSelector) =>
          (
            await access.get<{ items: PodUsage[] }>(
              cluster,
              `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(
                namespace,
              )}/pods`,
              { labelSelector },
            )
          ).items,
      ),
    );
  });
}
