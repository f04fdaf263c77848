import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { SiteService } from '../sites/SiteService';
import { TrafficRouter } from './contract';

/**
 * A service's site per environment: read, versions, compare, publish, roll back, and
 * approve, reject or withdraw a change waiting for approval. A publish or rollback answers 201
 * with the new version, or 202 with the change when it waits for approval.
 */
export function siteRoutes(
  router: TrafficRouter,
  options: { httpAuth: HttpAuthService; sites: SiteService },
) {
  const { sites } = options;
  const caller = callerOf(options.httpAuth);
  const base = '/services/:namespace/:name/environments/:environment/site';

  router.get('/sites', async (req, res) => {
    res.json({ items: await sites.published(await caller(req)) });
  });

  router.get(base, async (req, res) => {
    const { namespace, name, environment } = req.params;
    res.json(
      await sites.view(
        { kind: 'component', namespace, name },
        environment,
        await caller(req),
      ),
    );
  });

  router.get(`${base}/versions`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    res.json(
      await sites.versions(
        { kind: 'component', namespace, name },
        environment,
        { limit: req.query.limit ?? 20, before: req.query.before },
        await caller(req),
      ),
    );
  });

  router.post(`${base}/versions`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    const outcome = await sites.publish(
      { kind: 'component', namespace, name },
      environment,
      req.body,
      await caller(req),
    );
    if ('waiting' in outcome) res.status(202).json(outcome.waiting);
    else res.status(201).json(outcome.version);
  });

  router.get(`${base}/versions/:number`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    // Path parameters arrive as text; the contract says a whole number from 1.
    const number = Number(req.params.number);
    res.json(
      await sites.version(
        { kind: 'component', namespace, name },
        environment,
        number,
        await caller(req),
      ),
    );
  });

  router.post(`${base}/versions/:number/rollback`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    // Path parameters arrive as text; the contract says a whole number from 1.
    const number = Number(req.params.number);
    const outcome = await sites.rollback(
      { kind: 'component', namespace, name },
      environment,
      number,
      req.body ?? {},
      await caller(req),
    );
    if ('waiting' in outcome) res.status(202).json(outcome.waiting);
    else res.status(201).json(outcome.version);
  });

  router.post(`${base}/changes/:change/approve`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    // Path parameters arrive as text; the contract says a whole number from 1.
    const change = Number(req.params.change);
    res
      .status(201)
      .json(
        await sites.approve(
          { kind: 'component', namespace, name },
          environment,
          change,
          await caller(req),
        ),
      );
  });

  router.post(`${base}/changes/:change/reject`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    // Path parameters arrive as text; the contract says a whole number from 1.
    const change = Number(req.params.change);
    res.json(
      await sites.reject(
        { kind: 'component', namespace, name },
        environment,
        change,
        req.body ?? {},
        await caller(req),
      ),
    );
  });

  router.post(`${base}/changes/:change/withdraw`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    // Path parameters arrive as text; the contract says a whole number from 1.
    const change = Number(req.params.change);
    res.json(
      await sites.withdraw(
        { kind: 'component', namespace, name },
        environment,
        change,
        req.body ?? {},
        await caller(req),
      ),
    );
  });

  router.get(`${base}/compare`, async (req, res) => {
    const { namespace, name, environment } = req.params;
    res.json(
      await sites.compare(
        { kind: 'component', namespace, name },
        environment,
        req.query.from,
        req.query.to,
        await caller(req),
      ),
    );
  });
}
