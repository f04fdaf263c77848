import { HttpAuthService } from '@backstage/backend-plugin-api';
import { k2TrafficClustersReadPermission } from '@internal/plugin-k2-common';
import { callerOf, K2ActionGate } from '@internal/plugin-k2-node';
import { BundleService } from '../bundles/BundleService';
import { TemplateRegistry } from '../templates/TemplateRegistry';
import { TrafficRouter } from './contract';

/** What every signed-in user may read: templates and the clusters' state. */
export function clusterRoutes(
  router: TrafficRouter,
  options: {
    httpAuth: HttpAuthService;
    gate: K2ActionGate;
    bundles: BundleService;
    templates: TemplateRegistry;
  },
) {
  const { gate, bundles, templates } = options;
  const caller = callerOf(options.httpAuth);

  router.get('/templates', async (req, res) => {
    await caller(req);
    res.json({ items: templates.list() });
  });

  router.get('/clusters', async (req, res) => {
    await gate.authorize('Nginx clusters', await caller(req), {
      permission: k2TrafficClustersReadPermission,
      verb: 'read',
    });
    res.json({ items: await bundles.clusters() });
  });
}
