import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { InstanceService } from '../instances/InstanceService';
import { MiddlewareStoreRouter } from './contract';

const component = (params: { namespace: string; name: string }) => ({
  kind: 'component',
  namespace: params.namespace,
  name: params.name,
});

/**
 * Instances: lists, one instance, create, approve, reject, renew, resize, upgrade,
 * delete, restore, connection, bindings. Thin: the contract has validated every
 * parameter and body; the service decides.
 */
export function instanceRoutes(
  router: MiddlewareStoreRouter,
  options: { httpAuth: HttpAuthService; instances: InstanceService },
) {
  const { instances } = options;
  const caller = callerOf(options.httpAuth);

  router.get('/instances', async (req, res) => {
    res.json(
      await instances.list(
        {
          owner: req.query.owner,
          environment: req.query.environment,
          state: req.query.state,
        },
        await caller(req),
      ),
    );
  });

  router.get('/services/:namespace/:name/instances', async (req, res) => {
    res.json(
      await instances.listForService(component(req.params), await caller(req)),
    );
  });

  router.post('/services/:namespace/:name/instances', async (req, res) => {
    res
      .status(201)
      .json(
        await instances.create(
          component(req.params),
          req.body,
          await caller(req),
        ),
      );
  });

  router.get(
    '/services/:namespace/:name/environments/:environment/bindings',
    async (req, res) => {
      res.json(
        await instances.bindingEnv(
          component(req.params),
          req.params.environment,
          await caller(req),
        ),
      );
    },
  );

  router.get('/instances/:id', async (req, res) => {
    res.json(await instances.get(req.params.id, await caller(req)));
  });

  router.delete('/instances/:id', async (req, res) => {
    res
      .status(202)
      .json(await instances.delete(req.params.id, await caller(req)));
  });

  router.get('/instances/:id/connection', async (req, res) => {
    const connection = await instances.connection(
      req.params.id,
      await caller(req),
    );
    // Passwords must not linger in caches on the way.
    res.setHeader('Cache-Control', 'no-store');
    res.json(connection);
  });

  router.post('/instances/:id/approve', async (req, res) => {
    res.json(
      await instances.approve(
        req.params.id,
        req.body?.comment,
        await caller(req),
      ),
    );
  });

  router.post('/instances/:id/reject', async (req, res) => {
    res.json(
      await instances.reject(
        req.params.id,
        req.body?.comment,
        await caller(req),
      ),
    );
  });

  router.post('/instances/:id/renew', async (req, res) => {
    res.json(
      await instances.renew(req.params.id, req.body.days, await caller(req)),
    );
  });

  router.post('/instances/:id/resize', async (req, res) => {
    res.json(
      await instances.resize(req.params.id, req.body, await caller(req)),
    );
  });

  router.post('/instances/:id/upgrade', async (req, res) => {
    res.json(
      await instances.upgrade(
        req.params.id,
        req.body.template,
        await caller(req),
      ),
    );
  });

  router.post('/instances/:id/restore', async (req, res) => {
    res
      .status(202)
      .json(await instances.restore(req.params.id, await caller(req)));
  });

  router.put('/instances/:id/bindings/:namespace/:name', async (req, res) => {
    res.json(
      await instances.bind(
        req.params.id,
        component(req.params),
        await caller(req),
      ),
    );
  });

  router.delete(
    '/instances/:id/bindings/:namespace/:name',
    async (req, res) => {
      res.json(
        await instances.unbind(
          req.params.id,
          component(req.params),
          await caller(req),
        ),
      );
    },
  );
}
