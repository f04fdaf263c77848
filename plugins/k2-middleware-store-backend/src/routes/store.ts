import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { InstanceService } from '../instances/InstanceService';
import { MiddlewareStoreRouter } from './contract';

/** The store's catalog: templates and each environment's middleware policy. */
export function storeRoutes(
  router: MiddlewareStoreRouter,
  options: { httpAuth: HttpAuthService; instances: InstanceService },
) {
  const { instances } = options;
  const caller = callerOf(options.httpAuth);

  router.get('/templates', async (req, res) => {
    res.json(await instances.listTemplates(await caller(req)));
  });

  router.get('/templates/:template', async (req, res) => {
    res.json(
      await instances.getTemplate(req.params.template, await caller(req)),
    );
  });

  router.get('/environments', async (req, res) => {
    res.json(await instances.listEnvironments(await caller(req)));
  });
}
