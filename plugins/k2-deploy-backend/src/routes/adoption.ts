import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { AdoptionService } from '../releases/AdoptionService';
import { releaseView } from '../releases/releaseView';
import { DeployRouter } from './contract';

/** Adoption: what runs in an environment K2 never released to becomes release #1. */
export function adoptionRoutes(
  router: DeployRouter,
  options: { httpAuth: HttpAuthService; adoption: AdoptionService },
) {
  const { adoption } = options;
  const caller = callerOf(options.httpAuth);

  router.post(
    '/services/:namespace/:name/environments/:environment/adopt',
    async (req, res) => {
      const { namespace, name, environment } = req.params;
      const release = await adoption.adopt(
        { kind: 'component', namespace, name },
        environment,
        await caller(req),
      );
      res.status(201).json(releaseView(release));
    },
  );
}
