import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { RegistryTagsService } from '../registries/RegistryTagsService';
import { DeployRouter } from './contract';

/** The tags a release of a service may pick, from its image registry. */
export function imageTagRoutes(
  router: DeployRouter,
  options: { httpAuth: HttpAuthService; registryTags: RegistryTagsService },
) {
  const { registryTags } = options;
  const caller = callerOf(options.httpAuth);

  router.get('/services/:namespace/:name/image-tags', async (req, res) => {
    const { namespace, name } = req.params;
    res.json(
      await registryTags.getImageTags(
        { kind: 'component', namespace, name },
        await caller(req),
      ),
    );
  });
}
