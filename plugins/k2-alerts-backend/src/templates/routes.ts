import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { AlertsRouter } from '../routes/contract';
import { TemplateService } from './TemplateService';

/** Rule templates: list (everyone signed in), custom ones made, changed, deleted. */
export function templateRoutes(
  router: AlertsRouter,
  options: { httpAuth: HttpAuthService; templates: TemplateService },
) {
  const { templates } = options;
  const caller = callerOf(options.httpAuth);

  router.get('/templates', async (req, res) => {
    await caller(req);
    res.json({ items: await templates.list() });
  });

  router.post('/templates', async (req, res) => {
    res.status(201).json(await templates.create(req.body, await caller(req)));
  });

  router.put('/templates/:id', async (req, res) => {
    res.json(
      await templates.update(req.params.id, req.body, await caller(req)),
    );
  });

  router.delete('/templates/:id', async (req, res) => {
    await templates.remove(req.params.id, await caller(req));
    res.status(204).end();
  });
}
