import { Entity } from '@backstage/catalog-model';

/**
 * The service every K2 tab's tests render: `payment-gateway-<n>` in `default`, deployed
 * to `test` and `prod` (K2_TEST_CONFIG), owned by K2_TEST_OWNER_GROUP.
 */

/** The team that owns the test service: its members may act on it. */
export const K2_TEST_OWNER_GROUP = 'group:default/payments-team';

/**
 * The app config a K2 tab reads its environment model from: `test` (no approval, one
 * cluster `test`) and `prod` (production, approval by release-approvers, cluster `prod-a`).
 */
export const K2_TEST_CONFIG = {
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

/**
 * The K2 service `name` in `default`, deployed to `test` and `prod`, owned by
 * K2_TEST_OWNER_GROUP; its kubernetes-id is its name.
 */
export function k2ServiceEntity(name: string): Entity {
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
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: K2_TEST_OWNER_GROUP,
    },
  };
}

/** An ISO timestamp `minutes` ago. */
export const minutesAgo = (minutes: number) =>
  new Date(Date.now() - minutes * 60_000).toISOString();
