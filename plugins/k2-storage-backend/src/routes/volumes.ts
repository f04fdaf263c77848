import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { VolumeService } from '../volumes/VolumeService';
import { StorageRouter } from './contract';

/**
 * A service's storage classes and volumes per environment: list, create, expand,
 * delete. Every list is read from the watch caches; used bytes from the kubelets.
 */
export function volumeRoutes(
  router: StorageRouter,
  options: { httpAuth: HttpAuthService; volumes: VolumeService },
) {
  const { volumes } = options;
  const caller = callerOf(options.httpAuth);
  const base = '/services/:namespace/:name/environments/:environment';

  router.get('/volumes', async (req, res) => {
    res.json(await volumes.all(await caller(req)));
  });

  router.get(`${base}/storage-classes`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    res.json(
      await volumes.storageClasses(
        { kind: 'component', namespace, name },
        environment,
        await caller(req),
      ),
    );
  });

  router.get(`${base}/volumes`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    res.json(
      await volumes.list(
        { kind: 'component', namespace, name },
        environment,
        await caller(req),
      ),
    );
  });

  router.post(`${base}/volumes`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    res
      .status(201)
      .json(
        await volumes.create(
          { kind: 'component', namespace, name },
          environment,
          req.body,
          await caller(req),
        ),
      );
  });

  router.post(`${base}/volumes/:volume/expand`, async (req, res) => {
    const { namespace, name, environment, volume } = req.params;
    res.json(
      await volumes.expand(
        { kind: 'component', namespace, name },
        environment,
        volume,
        req.body.size,
        await caller(req),
      ),
    );
  });

  router.delete(`${base}/volumes/:volume`, async (req, res) => {
    const { namespace, name, environment, volume } = req.params;
    await volumes.delete(
      { kind: 'component', namespace, name },
      environment,
      volume,
      await caller(req),
    );
    res.status(204).end();
  });
}
