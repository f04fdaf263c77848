import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { ShellService } from '../shell/ShellService';
import { DeployRouter } from './contract';

const component = (p: { namespace: string; name: string }) => ({
  kind: 'component',
  namespace: p.namespace,
  name: p.name,
});

/**
 * Web shells and debug containers: the policy for an environment, opening a session
 * (its WebSocket is served by `ShellUpgrade`), and the recorded sessions.
 */
export function shellRoutes(
  router: DeployRouter,
  options: { httpAuth: HttpAuthService; shell: ShellService },
) {
  const { shell } = options;
  const caller = callerOf(options.httpAuth);
  const instance =
    '/services/:namespace/:name/environments/:environment/instances/:cluster/:pod';

  router.get(
    '/services/:namespace/:name/environments/:environment/shell',
    async (req, res) => {
      res.json(
        await shell.policy(
          component(req.params),
          req.params.environment,
          await caller(req),
        ),
      );
    },
  );

  router.post(`${instance}/shell`, async (req, res) => {
    const { environment, cluster, pod } = req.params;
    res
      .status(201)
      .json(
        await shell.openShell(
          component(req.params),
          { environment, cluster, pod },
          req.body,
          await caller(req),
        ),
      );
  });

  router.post(`${instance}/debug`, async (req, res) => {
    const { environment, cluster, pod } = req.params;
    res
      .status(201)
      .json(
        await shell.startDebug(
          component(req.params),
          { environment, cluster, pod },
          req.body,
          await caller(req),
        ),
      );
  });

  router.get('/shell-sessions', async (req, res) => {
    const { service, user, limit = 20, before } = req.query;
    res.json(
      await shell.list({ service, user, limit, before }, await caller(req)),
    );
  });
}
