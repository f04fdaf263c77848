import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { K2ServiceIndex } from './K2ServiceIndex';

function component(
  name: string,
  annotations: Record<string, string>,
  namespace = 'default',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace, annotations },
    spec: { type: 'service', lifecycle: 'production', owner: 'group:team-a' },
  };
}

describe('K2ServiceIndex.entityRefsFor', () => {
  it('finds the services whose workloads carry a kubernetes-id, after a refresh and after a lookup', async () => {
    const entities = [
      component('payments', {
        'k2.io/environments': 'test',
        'backstage.io/kubernetes-id': 'payment-gateway',
      }),
      // No kubernetes-id annotation: the workloads carry the entity's name.
      component('checkout', { 'k2.io/environments': 'test' }),
      component('payments-eu', {
        'k2.io/environments': 'test',
        'backstage.io/kubernetes-id': 'payment-gateway',
      }),
      // Not a K2 service: never announced.
      component('legacy', { 'backstage.io/kubernetes-id': 'legacy' }),
    ];
    const catalog = catalogServiceMock({ entities });
    const index = new K2ServiceIndex({
      catalog,
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
    });

    expect(index.entityRefsFor('payment-gateway')).toEqual([]);
    await index.refresh();
    expect(index.entityRefsFor('payment-gateway').sort()).toEqual([
      'component:default/payments',
      'component:default/payments-eu',
    ]);
    expect(index.entityRefsFor('checkout')).toEqual([
      'component:default/checkout',
    ]);
    expect(index.entityRefsFor('payments')).toEqual([]);
    expect(index.entityRefsFor('legacy')).toEqual([]);

    // A service the last refresh did not see is known once it has been looked up.
    const late = component('late', { 'k2.io/environments': 'test' }, 'shop');
    const later = new K2ServiceIndex({
      catalog: catalogServiceMock({ entities: [...entities, late] }),
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
    });
    expect(later.entityRefsFor('late')).toEqual([]);
    await later.get({ kind: 'Component', namespace: 'shop', name: 'late' });
    expect(later.entityRefsFor('late')).toEqual(['component:shop/late']);
  });
});
