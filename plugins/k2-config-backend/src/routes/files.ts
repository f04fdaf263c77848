import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { ConfigFileService } from '../files/ConfigFileService';
import { ConfigRouter } from './contract';

/**
 * A service's config files per environment: list, create, read, delete; versions,
 * save, one version, its content, restore, compare. Thin: the contract has validated
 * every parameter and body; the service decides.
 */
export function fileRoutes(
  router: ConfigRouter,
  options: { httpAuth: HttpAuthService; files: ConfigFileService },
) {
  const { files } = options;
  const caller = callerOf(options.httpAuth);
  const base = '/services/:namespace/:name/environments/:environment/files';
  const service = (params: { namespace: string; name: string }) => ({
    kind: 'component',
    namespace: params.namespace,
    name: params.name,
  });

  router.get(base, async (req, res) => {
    res.json(
      await files.list(
        service(req.params),
        req.params.environment,
        await caller(req),
      ),
    );
  });

  router.post(base, async (req, res) => {
    res
      .status(201)
      .json(
        await files.create(
          service(req.params),
          req.params.environment,
          req.body,
          await caller(req),
        ),
      );
  });

  router.get(`${base}/:file`, async (req, res) => {
    const { environment, file } = req.params;
    res.json(
      await files.get(
        service(req.params),
        environment,
        file,
        await caller(req),
      ),
    );
  });

  router.delete(`${base}/:file`, async (req, res) => {
    const { environment, file } = req.params;
    await files.remove(
      service(req.params),
      environment,
      file,
      await caller(req),
    );
    res.status(204).end();
  });

  router.get(`${base}/:file/versions`, async (req, res) => {
    const { environment, file } = req.params;
    res.json(
      await files.versions(
        service(req.params),
        environment,
        file,
        { limit: req.query.limit ?? 20, before: req.query.before },
        await caller(req),
      ),
    );
  });

  router.post(`${base}/:file/versions`, async (req, res) => {
    const { environment, file } = req.params;
    res
      .status(201)
      .json(
        await files.save(
          service(req.params),
          environment,
          file,
          req.body,
          await caller(req),
        ),
      );
  });

  router.get(`${base}/:file/versions/:version`, async (req, res) => {
    const { environment, file } = req.params;
    // Path parameters arrive as text; the contract says a whole number from 1.
    const version = Number(req.params.version);
    res.json(
      await files.version(
        service(req.params),
        environment,
        file,
        version,
        await caller(req),
      ),
    );
  });

  router.get(`${base}/:file/versions/:version/content`, async (req, res) => {
    const { environment, file } = req.params;
    const version = Number(req.params.version);
    // A sensitive file's content must not linger in caches on the way.
    res.setHeader('Cache-Control', 'no-store');
    res.json(
      await files.content(
        service(req.params),
        environment,
        file,
        version,
        await caller(req),
      ),
    );
  });

  router.post(`${base}/:file/versions/:version/restore`, async (req, res) => {
    const { environment, file } = req.params;
    const version = Number(req.params.version);
    res
      .status(201)
      .json(
        await files.restore(
          service(req.params),
          environment,
          file,
          version,
          req.body ?? {},
          await caller(req),
        ),
      );
  });

  router.get(`${base}/:file/compare`, async (req, res) => {
    const { environment, file } = req.params;
    res.setHeader('Cache-Control', 'no-store');
    res.json(
      await files.compare(
        service(req.params),
        environment,
        file,
        req.query.from,
        req.query.to,
        await caller(req),
      ),
    );
  });
}
