import { BundleService } from '../bundles/BundleService';
import { TrafficRouter } from './contract';

/** How long a bundle request is held when nothing changed. */
export const LONG_POLL_MS = 25_000;

/**
 * The routes Nginx agents call with their cluster's token (the plugin lets them past
 * Backstage's own authentication; {@link BundleService.authenticate} checks them).
 */
export function agentRoutes(
  router: TrafficRouter,
  options: { bundles: BundleService; longPollMs?: number },
) {
  const { bundles } = options;
  const longPollMs = options.longPollMs ?? LONG_POLL_MS;

  router.get('/agent/v1/bundle', async (req, res) => {
    const { cluster, host, after } = req.query;
    bundles.authenticate(cluster, host, req.headers.authorization);
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const bundle = await bundles.waitForChange(
      cluster,
      after,
      longPollMs,
      gone.signal,
    );
    if (res.writableEnded || gone.signal.aborted) return;
    if (!bundle) {
      res.status(204).end();
      return;
    }
    res.json({
      cluster: bundle.cluster,
      version: bundle.version,
      hash: bundle.hash,
      files: bundle.files,
    });
  });

  router.post('/agent/v1/report', async (req, res) => {
    const { cluster, host } = req.body;
    bundles.authenticate(cluster, host, req.headers.authorization);
    await bundles.report(req.body);
    res.status(204).end();
  });
}
