import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { ServiceRuntimeService } from './runtime/ServiceRuntimeService';

// Entity names and namespaces as the catalog allows them.
const NAME = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

export async function createRouter(options: {
  httpAuth: HttpAuthService;
  runtime: ServiceRuntimeService;
}): Promise<express.Router> {
  const { httpAuth, runtime } = options;
  const router = Router();

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
