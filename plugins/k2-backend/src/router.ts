import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  k2ActivityReadPermission,
  k2ClustersReadPermission,
} from '@internal/plugin-k2-common';
import {
  callerOf,
  createK2ApiRouter,
  K2ActionGate,
  K2ClusterAccess,
} from '@internal/plugin-k2-node';
import express from 'express';
import { ActivityStore } from './database/ActivityStore';
import { spec } from './schema/openapi.generated';

/**
 * The largest body of `POST /activity/batch`: 500 entries of the contract's longest
 * fields fit (about 2.7 kB each).
 */
const BATCH_BODY_LIMIT = '2mb';

/** Only K2's own capability plugins write the activity log. */
const WRITER = /^plugin:k2(-[a-z0-9-]+)?$/;

export async function createRouter(options: {
  httpAuth: HttpAuthService;
  logger: LoggerService;
  gate: K2ActionGate;
  access: K2ClusterAccess;
  activity: ActivityStore;
}): Promise<express.Router> {
  const { httpAuth, gate, access, activity } = options;
  /** Throws unless the request comes from one of K2's capability plugins. */
  async function authorizeWriter(req: express.Request) {
    const credentials = await httpAuth.credentials(req, { allow: ['service'] });
    if (!WRITER.test(credentials.principal.subject)) {
      throw new NotAllowedError(
        `${credentials.principal.subject} may not write K2's activity log`,
      );
    }
  }

  // A batch of entries is parsed with its own, larger cap (a larger body is answered
  // 413), and only once its caller is known to be a writer: nobody else makes the
  // backend read 2 MB. The contract's router then finds the body parsed and
  // validates it.
  const outer = express.Router();
  outer.post(
    '/activity/batch',
    (req, _res, next) => {
      authorizeWriter(req).then(() => next(), next);
    },
    express.json({ limit: BATCH_BODY_LIMIT }),
  );
  const router = createK2ApiRouter(spec, { bodyLimit: '64kb' });
  outer.use(router);
  const caller = callerOf(httpAuth);

  router.post('/activity', async (req, res) => {
    await authorizeWriter(req);
    await activity.add(req.body);
    res.status(201).end();
  });

  // Its caller was authorized before its body was read (above).
  router.post('/activity/batch', async (req, res) => {
    await activity.addAll(req.body.entries);
    res.status(201).end();
  });

  router.get('/services/:namespace/:name/activity', async (req, res) => {
    const { namespace, name } = req.params;
    const service = `component:${namespace}/${name}`;
    await gate.authorize(service, await caller(req), {
      permission: k2ActivityReadPermission,
      verb: 'read the activity of',
    });
    const { limit = 20, before } = req.query;
    res.json(await activity.list(service, { limit, before }));
  });

  router.get('/clusters', async (req, res) => {
    await gate.authorize('the cluster health', await caller(req), {
      permission: k2ClustersReadPermission,
      verb: 'read',
    });
    res.json({ items: access.health() });
  });

  return outer;
}
