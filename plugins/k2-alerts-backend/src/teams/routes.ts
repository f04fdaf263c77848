import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { AlertsRouter } from '../routes/contract';
import { TeamSettingsService } from './TeamSettingsService';

/** A team's alert settings and message previews. Thin: the service decides. */
export function teamSettingsRoutes(
  router: AlertsRouter,
  options: { httpAuth: HttpAuthService; teamSettings: TeamSettingsService },
) {
  const { teamSettings } = options;
  const caller = callerOf(options.httpAuth);
  const group = (params: { namespace: string; name: string }) => ({
    kind: 'group',
    namespace: params.namespace,
    name: params.name,
  });

  router.get('/teams/:namespace/:name/settings', async (req, res) => {
    res.json(await teamSettings.get(group(req.params), await caller(req)));
  });

  router.put('/teams/:namespace/:name/settings', async (req, res) => {
    res.json(
      await teamSettings.put(group(req.params), req.body, await caller(req)),
    );
  });

  router.post('/teams/:namespace/:name/settings/preview', async (req, res) => {
    res.json(
      await teamSettings.preview(
        group(req.params),
        req.body,
        await caller(req),
      ),
    );
  });
}
