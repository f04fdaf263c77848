import { Entity } from '@backstage/catalog-model';

/**
 * The service `payment-gateway` as the Storage tab's tests see it: environments `test`
 * and `prod` (K2_CONFIG), owned by OWNER_GROUP.
 */

export const OWNER_GROUP = 'group:default/payments-team';

/** The `k2` app config the tab reads its environment model from. */
export const K2_CONFIG = {
  app: { baseUrl: 'http://localhost:3000' },
  backend: { baseUrl: 'http://localhost:7007' },
  k2: {
    platformAdminGroup: 'group:default/platform-admins',
    environments: [
      {
        name: 'test',
        title: 'Test',
        approval: { required: false },
        clusters: [{ name: 'test', weight: 1 }],
        defaults: {
          replicas: 1,
          resources: { cpu: '1', memory: '1Gi' },
          overcommit: { cpu: 4, memory: 2 },
        },
      },
      {
        name: 'prod',
        title: 'Production',
        production: true,
        approval: {
          required: true,
          approverGroup: 'group:default/release-approvers',
        },
        clusters: [{ name: 'prod-a', weight: 1 }],
        defaults: {
          replicas: 2,
          resources: { cpu: '1', memory: '1Gi' },
          overcommit: { cpu: 2, memory: 1 },
        },
      },
    ],
  },
};

export function serviceEntity(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'backstage.io/kubernetes-id': name,
        'k2.io/environments': 'test,prod',
        'k2.io/image': 'registry.northwind.internal/payments/gateway',
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner: OWNER_GROUP },
  };
}

/** An ISO timestamp `minutes` ago. */
export const minutesAgo = (minutes: number) =>
  new Date(Date.now() - minutes * 60_000).toISOString();
