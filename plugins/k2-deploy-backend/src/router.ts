import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  K2ClusterList,
  k2ClustersReadPermission,
} from '@internal/plugin-k2-common';
import { K2ClusterAccess } from '@internal/plugin-k2-node';
import express from 'express';
import Router from 'express-promise-router';
import { ServiceRuntimeService } from './runtime/ServiceRuntimeService';

// Entity names and namespaces as the catalog allows them.
const NAME = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

export async function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  access: K2ClusterAccess;
  runtime: ServiceRuntimeService;
}): Promise<express.Router> {
  const { httpAuth, permissions, access, runtime } = options;
  const router = Router();

  /** Health of every cluster's watch cache. */
  router.get('/clusters', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await permissions.authorize(
      [{ permission: k2ClustersReadPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError('You may not read the cluster health');
    }
    const body: K2ClusterList = { items: access.health() };
    res.json(body);
  });

  /** The runtime view of a service (a catalog Component) in all its clusters. */
  router.get('/services/:namespace/:name/runtime', async (req, res) => {
    const { namespace, name } = req.params;
    if (!NAME.test(namespace) || !NAME.test(name)) {
      throw new InputError(
        `'${namespace}/${name}' is not a valid entity namespace and name`,
      );
    }
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    res.json(
      await runtime.getRuntime(
        { kind: 'component', namespace, name },
        credentials,
      ),
    );
  });

  return router;
}
