import {
  AuditorService,
  BackendFeature,
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
  BOB,
  DAVE,
  OTHER_TEAM,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import express from 'express';
import { Knex } from 'knex';
import { k2BuildsPlugin } from '../plugin';

export { ALICE, as, BOB, DAVE, OTHER_TEAM, serviceEntity };

/** A release the Deploy API double was asked for, and who asked. */
export interface RequestedRelease {
  service: string;
  body: { environment: string; image: string };
  principal: { type: string; userEntityRef?: string; subject?: string };
}

/**
 * A stand-in for the Deploy backend's release route (pluginId `k2-deploy`): it records
 * each release asked for with the caller's credentials as the real route reads them,
 * and answers a release. The builds plugin calls it over HTTP as it calls the real one.
 */
export function deployReleasesDouble(requested: RequestedRelease[]) {
  return createBackendPlugin({
    pluginId: 'k2-deploy',
    register(env) {
      env.registerInit({
        deps: {
          httpRouter: coreServices.httpRouter,
          httpAuth: coreServices.httpAuth,
        },
        async init({ httpRouter, httpAuth }) {
          const router = express.Router();
          router.use(express.json());
          router.post(
            '/services/:namespace/:name/releases',
            async (req, res) => {
              const credentials = await httpAuth.credentials(req, {
                allow: ['user', 'service'],
              });
              requested.push({
                service: `${req.params.namespace}/${req.params.name}`,
                body: req.body,
                principal:
                  credentials.principal as RequestedRelease['principal'],
              });
              res.status(201).json({
                id: `release-${requested.length}`,
                number: requested.length,
              });
            },
          );
          httpRouter.use(router);
        },
      });
    },
  });
}

/** An auditor event as the builds plugin recorded it. */
export interface RecordedAuditEvent {
  plugin: string;
  eventId: string;
  status: 'succeeded' | 'failed';
  meta?: Record<string, unknown>;
  error?: string;
}

/** An auditor that keeps every event each plugin records, with how it ended. */
export function recordingAuditor(events: RecordedAuditEvent[]) {
  return createServiceFactory({
    service: coreServices.auditor,
    deps: { plugin: coreServices.pluginMetadata },
    factory({ plugin }): AuditorService {
      return {
        async createEvent(options) {
          const base = {
            plugin: plugin.getId(),
            eventId: options.eventId,
            meta: options.meta as Record<string, unknown> | undefined,
          };
          return {
            async success() {
              events.push({ ...base, status: 'succeeded' });
            },
            async fail(failure) {
              events.push({
                ...base,
                status: 'failed',
                error: String(failure.error),
              });
            },
          };
        },
      };
    },
  });
}

/**
 * The k2-builds plugin in a K2 test backend (`startK2PluginTestBackend`: the real
 * permission backend with K2's policy, a real catalog holding `entities`, the `k2` core
 * plugin) on sandbox clusters and a database the caller owns.
 */
export function startK2BuildsBackend(options: {
  entities: Entity[];
  clusters: SandboxCluster[];
  knex: Knex;
  k2: JsonObject;
  features?: BackendFeature[];
}) {
  return startK2PluginTestBackend({
    plugin: k2BuildsPlugin,
    pluginId: 'k2-builds',
    ...options,
  });
}
