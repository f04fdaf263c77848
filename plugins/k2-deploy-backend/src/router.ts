import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  K2ClusterList,
  k2ClustersReadPermission,
  K2EventList,
  K2HistoricalContainerList,
  K2InstanceUsage,
  K2ReleaseList,
} from '@internal/plugin-k2-common';
import { K2ClusterAccess } from '@internal/plugin-k2-node';
import express from 'express';
import Router from 'express-promise-router';
import { ReleaseStore } from './database/ReleaseStore';
import { ReleaseDriver } from './releases/ReleaseDriver';
import { Caller } from './activity/ActionGate';
import { ReleaseEngine } from './releases/ReleaseEngine';
import { releaseView } from './releases/releaseView';
import { PodUsage } from './releases/recommendReplicas';
import { ServiceRuntimeService } from './runtime/ServiceRuntimeService';
import { InstanceAddress, InstanceService } from './instances/InstanceService';
import { pipeline } from 'stream/promises';

// Entity names and namespaces as the catalog allows them.
const NAME = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const ENVIRONMENT = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const RELEASE_ID = /^[0-9a-f-]{36}$/;

/** The service a route names; 400 on names the catalog cannot hold. */
function serviceRef(params: { namespace: string; name: string }) {
  const { namespace, name } = params;
  if (!NAME.test(namespace) || !NAME.test(name)) {
    throw new InputError(
      `'${namespace}/${name}' is not a valid entity namespace and name`,
    );
  }
  return { kind: 'component', namespace, name };
}

function environmentParam(value: string) {
  if (!ENVIRONMENT.test(value)) {
    throw new InputError(`'${value}' is not an environment name`);
  }
  return value;
}

function releaseIdParam(value: string) {
  if (!RELEASE_ID.test(value)) {
    throw new InputError(`'${value}' is not a release id`);
  }
  return value;
}

/** `limit` (1–100, default 20) and `before` (a cursor) from the query string. */
function pageParams(query: express.Request['query']) {
  const { limit, before } = query;
  const n = limit === undefined ? 20 : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new InputError("'limit' must be a whole number from 1 to 100");
  }
  if (before !== undefined && typeof before !== 'string') {
    throw new InputError("'before' must be a cursor from a previous page");
  }
  return { limit: n, before: before as string | undefined };
}

const CLUSTER = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
// Pod and container names: DNS subdomains and labels.
const POD = /^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/;
const CONTAINER = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The instance a route names: environment, cluster and pod. */
function instanceParams(params: Record<string, string>): InstanceAddress {
  const { environment, cluster, pod } = params;
  if (!CLUSTER.test(cluster)) {
    throw new InputError(`'${cluster}' is not a cluster name`);
  }
  if (!POD.test(pod)) throw new InputError(`'${pod}' is not a pod name`);
  return { environment: environmentParam(environment), cluster, pod };
}

/** A `true`/`false` query flag; absent is false. */
function flag(query: express.Request['query'], key: string): boolean {
  const value = query[key];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new InputError(`'${key}' must be true or false`);
}

/** One optional string query parameter matching `pattern`. */
function optional(
  query: express.Request['query'],
  key: string,
  pattern: RegExp,
): string | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new InputError(`'${key}' is not valid`);
  }
  return value;
}

function logQuery(query: express.Request['query']) {
  let tailLines: number | undefined;
  if (query.tailLines !== undefined) {
    tailLines = Number(query.tailLines);
    if (!Number.isInteger(tailLines) || tailLines < 1 || tailLines > 10000) {
      throw new InputError(
        "'tailLines' must be a whole number from 1 to 10000",
      );
    }
  }
  const follow = flag(query, 'follow');
  const previous = flag(query, 'previous');
  const download = flag(query, 'download');
  if (follow && (previous || download)) {
    throw new InputError(
      "'follow' cannot be combined with 'previous' or 'download'",
    );
  }
  return {
    container: optional(query, 'container', CONTAINER),
    tailLines,
    follow,
    previous,
    download,
    timestamps: flag(query, 'timestamps'),
  };
}

export async function createRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  access: K2ClusterAccess;
  runtime: ServiceRuntimeService;
  engine: ReleaseEngine;
  driver: ReleaseDriver;
  store: ReleaseStore;
  instances: InstanceService;
}): Promise<express.Router> {
  const {
    httpAuth,
    permissions,
    access,
    runtime,
    engine,
    driver,
    store,
    instances,
  } = options;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  const caller = async (req: express.Request): Promise<Caller> => ({
    credentials: await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    }),
    request: req,
  });

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
    const ref = serviceRef(req.params);
    const { credentials } = await caller(req);
    res.json(await runtime.getRuntime(ref, credentials));
  });

  /** Release history, newest first; `environment` narrows it to one. */
  router.get('/services/:namespace/:name/releases', async (req, res) => {
    const ref = serviceRef(req.params);
    const { environment } = req.query;
    if (environment !== undefined && typeof environment !== 'string') {
      throw new InputError("'environment' must be one environment name");
    }
    const service = stringifyEntityRef(ref);
    await engine.authorizeRead(service, await caller(req));
    const page = await store.history({
      service,
      environment: environment && environmentParam(environment),
      ...pageParams(req.query),
    });
    const body: K2ReleaseList = {
      ...page,
      items: page.items.map(r => releaseView(r, driver.liveProgress(r))),
    };
    res.json(body);
  });

  /** Release: the same engine as the scaffolder action and the Deploy tab. */
  router.post('/services/:namespace/:name/releases', async (req, res) => {
    const ref = serviceRef(req.params);
    const release = await engine.release(ref, req.body, await caller(req));
    res.status(201).json(releaseView(release));
  });

  router.get('/releases/:id', async (req, res) => {
    const release = await store.get(releaseIdParam(req.params.id));
    if (!release) throw new NotFoundError(`No release ${req.params.id}`);
    await engine.authorizeRead(release.service, await caller(req));
    res.json(releaseView(release, driver.liveProgress(release)));
  });

  router.post('/releases/:id/rollback', async (req, res) => {
    const release = await engine.rollback(
      releaseIdParam(req.params.id),
      req.body,
      await caller(req),
    );
    res.status(201).json(releaseView(release));
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/releases/:id/${decision}`, async (req, res) => {
      const release = await engine.decide(
        releaseIdParam(req.params.id),
        decision,
        req.body,
        await caller(req),
      );
      res.json(releaseView(release));
    });
  }

  router.post(
    '/services/:namespace/:name/environments/:environment/scale',
    async (req, res) => {
      const release = await engine.scale(
        serviceRef(req.params),
        environmentParam(req.params.environment),
        req.body,
        await caller(req),
      );
      res.status(201).json(releaseView(release));
    },
  );

  router.post(
    '/services/:namespace/:name/environments/:environment/restart',
    async (req, res) => {
      const release = await engine.restart(
        serviceRef(req.params),
        environmentParam(req.params.environment),
        await caller(req),
      );
      res.status(201).json(releaseView(release));
    },
  );

  router.put(
    '/services/:namespace/:name/environments/:environment/autoscaling',
    async (req, res) => {
      const release = await engine.setAutoscaling(
        serviceRef(req.params),
        environmentParam(req.params.environment),
        req.body,
        await caller(req),
      );
      res.status(201).json(releaseView(release));
    },
  );

  router.delete(
    '/services/:namespace/:name/environments/:environment/autoscaling',
    async (req, res) => {
      const release = await engine.setAutoscaling(
        serviceRef(req.params),
        environmentParam(req.params.environment),
        null,
        await caller(req),
      );
      res.status(201).json(releaseView(release));
    },
  );

  /** How many replicas today's load needs (from the clusters' metrics API). */
  router.get(
    '/services/:namespace/:name/environments/:environment/recommendation',
    async (req, res) => {
      res.json(
        await engine.recommendReplicas(
          serviceRef(req.params),
          environmentParam(req.params.environment),
          await caller(req),
          async (cluster, namespace, labelSelector) =>
            (
              await access.get<{ items: PodUsage[] }>(
                cluster,
                `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(
                  namespace,
                )}/pods`,
                { labelSelector },
              )
            ).items,
        ),
      );
    },
  );

  /** Every mutating action on the service, newest first. */
  router.get('/services/:namespace/:name/activity', async (req, res) => {
    const service = stringifyEntityRef(serviceRef(req.params));
    await engine.authorizeRead(service, await caller(req));
    res.json(await store.listActivity(service, pageParams(req.query)));
  });

  /** Historical containers (runs that ended), newest first. */
  router.get(
    '/services/:namespace/:name/instances/history',
    async (req, res) => {
      const body: K2HistoricalContainerList = await instances.history(
        serviceRef(req.params),
        {
          environment: optional(req.query, 'environment', ENVIRONMENT),
          cluster: optional(req.query, 'cluster', CLUSTER),
          ...pageParams(req.query),
        },
        await caller(req),
      );
      res.json(body);
    },
  );

  /** The service's events, converged per object and reason. */
  router.get('/services/:namespace/:name/events', async (req, res) => {
    const body: K2EventList = await instances.events(
      serviceRef(req.params),
      {
        environment: optional(req.query, 'environment', ENVIRONMENT),
        cluster: optional(req.query, 'cluster', CLUSTER),
        pod: optional(req.query, 'pod', POD),
        warningsOnly: flag(req.query, 'warningsOnly'),
      },
      await caller(req),
    );
    res.json(body);
  });

  const instance =
    '/services/:namespace/:name/environments/:environment/instances/:cluster/:pod';

  /**
   * A container's log: the tail, the previous run's, followed live (streamed, at the
   * client's pace), or downloaded whole.
   */
  router.get(`${instance}/logs`, async (req, res) => {
    const query = logQuery(req.query);
    const address = instanceParams(req.params);
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    const { stream, filename } = await instances.logs(
      serviceRef(req.params),
      address,
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
    const body: K2InstanceUsage = await instances.usage(
      serviceRef(req.params),
      instanceParams(req.params),
      await caller(req),
    );
    res.json(body);
  });

  /** Takes the instance out of traffic (`{ inTraffic: false }`) or puts it back. */
  router.put(`${instance}/traffic`, async (req, res) => {
    const { inTraffic } = req.body ?? {};
    if (typeof inTraffic !== 'boolean') {
      throw new InputError('Send { inTraffic: true } or { inTraffic: false }');
    }
    res.json(
      await instances.setTraffic(
        serviceRef(req.params),
        instanceParams(req.params),
        inTraffic,
        await caller(req),
      ),
    );
  });

  /** Restarts one instance: its ReplicaSet starts a replacement. */
  router.post(`${instance}/restart`, async (req, res) => {
    await instances.end(
      serviceRef(req.params),
      instanceParams(req.params),
      'restarted',
      await caller(req),
    );
    res.status(202).end();
  });

  /** Destroys one instance at once (no drain). */
  router.delete(instance, async (req, res) => {
    await instances.end(
      serviceRef(req.params),
      instanceParams(req.params),
      'destroyed',
      await caller(req),
    );
    res.status(202).end();
  });

  return router;
}
