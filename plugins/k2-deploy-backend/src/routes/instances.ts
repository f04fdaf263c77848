import { HttpAuthService } from '@backstage/backend-plugin-api';
import { pipeline } from 'stream/promises';
import { InstanceActionsService } from '../instances/InstanceActionsService';
import { InstanceEventsService } from '../instances/InstanceEventsService';
import { InstanceHistoryService } from '../instances/InstanceHistoryService';
import { InstanceLogsService } from '../instances/InstanceLogsService';
import { InstanceUsageService } from '../instances/InstanceUsageService';
import { callerOf } from '@internal/plugin-k2-node';
import { DeployRouter } from './contract';

const component = (p: { namespace: string; name: string }) => ({
  kind: 'component',
  namespace: p.namespace,
  name: p.name,
});

/** Instances: historical containers, events, logs, usage and per-instance actions. */
export function instanceRoutes(
  router: DeployRouter,
  options: {
    httpAuth: HttpAuthService;
    instanceHistory: InstanceHistoryService;
    instanceEvents: InstanceEventsService;
    instanceLogs: InstanceLogsService;
    instanceUsage: InstanceUsageService;
    instanceActions: InstanceActionsService;
  },
) {
  const {
    instanceHistory,
    instanceEvents,
    instanceLogs,
    instanceUsage,
    instanceActions,
  } = options;
  const caller = callerOf(options.httpAuth);

  /** Historical containers (runs that ended), newest first. */
  router.get(
    '/services/:namespace/:name/instances/history',
    async (req, res) => {
      const { environment, cluster, limit = 20, before } = req.query;
      res.json(
        await instanceHistory.list(
          component(req.params),
          { environment, cluster, limit, before },
          await caller(req),
        ),
      );
    },
  );

  /** The service's events, converged per object and reason. */
  router.get('/services/:namespace/:name/events', async (req, res) => {
    res.json(
      await instanceEvents.list(
        component(req.params),
        req.query,
        await caller(req),
      ),
    );
  });

  const instance =
    '/services/:namespace/:name/environments/:environment/instances/:cluster/:pod';

  /**
   * A container's log: the tail, the previous run's, followed live (streamed, at the
   * client's pace), or downloaded whole.
   */
  router.get(`${instance}/logs`, async (req, res) => {
    const { environment, cluster, pod } = req.params;
    const query = req.query;
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    const { stream, filename } = await instanceLogs.open(
      component(req.params),
      { environment, cluster, pod },
      query,
      await caller(req),
      aborted.signal,
    );
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    // A followed log must not wait in a compression buffer: no-transform keeps the
    // backend's compression off it, so each line leaves as it arrives.
    res.setHeader(
      'Cache-Control',
      query.follow ? 'no-store, no-transform' : 'no-store',
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (query.download) {
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="${filename}"`,
      );
    }
    res.flushHeaders();
    try {
      await pipeline(stream, res);
    } catch (error) {
      // The client went away (or the cluster ended the stream): nothing to answer.
      if (!aborted.signal.aborted) res.destroy(error as Error);
    }
  });

  router.get(`${instance}/usage`, async (req, res) => {
    const { environment, cluster, pod } = req.params;
    res.json(
      await instanceUsage.read(
        component(req.params),
        { environment, cluster, pod },
        await caller(req),
      ),
    );
  });

  /** Takes the instance out of traffic (`{ inTraffic: false }`) or puts it back. */
  router.put(`${instance}/traffic`, async (req, res) => {
    const { environment, cluster, pod } = req.params;
    res.json(
      await instanceActions.setTraffic(
        component(req.params),
        { environment, cluster, pod },
        req.body.inTraffic,
        await caller(req),
      ),
    );
  });

  /** Restarts one instance: its ReplicaSet starts a replacement. */
  router.post(`${instance}/restart`, async (req, res) => {
    const { environment, cluster, pod } = req.params;
    await instanceActions.end(
      component(req.params),
      { environment, cluster, pod },
      'restarted',
      await caller(req),
    );
    res.status(202).end();
  });

  /** Destroys one instance at once (no drain). */
  router.delete(instance, async (req, res) => {
    const { environment, cluster, pod } = req.params;
    await instanceActions.end(
      component(req.params),
      { environment, cluster, pod },
      'destroyed',
      await caller(req),
    );
    res.status(202).end();
  });
}
