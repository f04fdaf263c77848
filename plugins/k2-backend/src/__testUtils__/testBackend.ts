import { createServiceFactory } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  K2ClusterAccess,
  k2ClusterAccessServiceRef,
  k2EnvironmentsServiceRef,
} from '@internal/plugin-k2-node';
import { Knex } from 'knex';
import { k2Plugin } from '../plugin';

/**
 * The k2 plugin alone in a test backend, on `knex`: every permission decided as
 * `decide` (allowed unless given), an empty environment model, and cluster access that
 * only reports `health` (none unless given).
 */
export function startK2TestBackend(options: {
  knex: Knex;
  decide?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  /** What the cluster access's `health()` answers. */
  health?: object[];
}) {
  const health = options.health ?? [];
  return startTestBackend({
    features: [
      k2Plugin,
      mockServices.database.factory({ knex: options.knex }),
      mockServices.permissions.factory({
        result: options.decide ?? AuthorizeResult.ALLOW,
      }),
      createServiceFactory({
        service: k2EnvironmentsServiceRef,
        deps: {},
        factory: () => ({ model: { environments: [] } } as any),
      }),
      createServiceFactory({
        service: k2ClusterAccessServiceRef,
        deps: {},
        factory: () => ({ health: () => health } as unknown as K2ClusterAccess),
      }),
    ],
  });
}
