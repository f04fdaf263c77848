import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { BuildService } from '../builds/BuildService';
import { BuildsRouter } from './contract';

const component = (params: { namespace: string; name: string }) =>
  `component:${params.namespace}/${params.name}`;

/**
 * A service's builds: settings, history, one build, start, cancel, the Dockerfile and
 * the log. Thin: the contract has validated every parameter and body; the service decides.
 */
export function buildRoutes(
  router: BuildsRouter,
  options: { httpAuth: HttpAuthService; builds: BuildService },
) {
  const { builds } = options;
  const caller = callerOf(options.httpAuth);

  router.get('/services/:namespace/:name/build-settings', async (req, res) => {
    res.json(await builds.settings(component(req.params), await caller(req)));
  });

  router.get('/services/:namespace/:name/builds', async (req, res) => {
    res.json(
      await builds.list(
        component(req.params),
        { limit: req.query.limit, before: req.query.before },
        await caller(req),
      ),
    );
  });

  router.post('/services/:namespace/:name/builds', async (req, res) => {
    const { build, created } = await builds.start(
      component(req.params),
      req.body,
      await caller(req),
    );
    res.status(created ? 202 : 200).json(build);
  });

  router.get('/services/:namespace/:name/builds/:number', async (req, res) => {
    res.json(
      await builds.get(
        component(req.params),
        req.params.number,
        await caller(req),
      ),
    );
  });

  router.post(
    '/services/:namespace/:name/builds/:number/cancel',
    async (req, res) => {
      res.json(
        await builds.cancel(
          component(req.params),
          req.params.number,
          await caller(req),
        ),
      );
    },
  );

  router.get(
    '/services/:namespace/:name/builds/:number/dockerfile',
    async (req, res) => {
      res.json(
        await builds.dockerfile(
          component(req.params),
          req.params.number,
          await caller(req),
        ),
      );
    },
  );

  router.get(
    '/services/:namespace/:name/builds/:number/logs',
    async (req, res) => {
      const abort = new AbortController();
      req.on('close', () => abort.abort());
      let started = false;
      const start = () => {
        if (started) return;
        started = true;
        res.status(200);
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        // no-transform: the backend's compression middleware (and proxies) would
        // otherwise hold a followed log back until the build ends.
        res.setHeader('Cache-Control', 'no-store, no-transform');
        // Proxies must not hold a followed log back.
        res.setHeader('X-Accel-Buffering', 'no');
        res.flushHeaders();
      };
      await builds.logs(
        component(req.params),
        req.params.number,
        {
          offset: req.query.offset ?? 0,
          follow: req.query.follow ?? false,
          signal: abort.signal,
        },
        await caller(req),
        async text => {
          start();
          if (!res.write(text)) {
            await new Promise<void>(resolve => {
              const done = () => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.on('drain', done);
              res.on('close', done);
            });
          }
        },
      );
      start();
      res.end();
    },
  );
}
