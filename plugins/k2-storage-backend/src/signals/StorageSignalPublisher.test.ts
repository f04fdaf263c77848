import { mockServices } from '@backstage/backend-test-utils';
import { SignalPayload } from '@backstage/plugin-signals-node';
import {
  ClusterChange,
  K2ClusterAccess,
  KubeObject,
} from '@internal/plugin-k2-node';
import { StorageSignalPublisher } from './StorageSignalPublisher';

const BASKET = 'component:default/basket';

const services = {
  entityRefsFor: (id: string) => ({ basket: [BASKET] }[id] ?? []),
};

function claim(name: string, environment: string, volume?: string): KubeObject {
  return {
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: 'shop',
      labels: {
        'k2.io/service': 'basket',
        'k2.io/environment': environment,
        ...(volume ? { 'k2.io/volume': volume } : {}),
      },
    },
  };
}

const change = (
  object: KubeObject,
  resource: ClusterChange['resource'] = 'persistentvolumeclaims',
): ClusterChange => ({ cluster: 'test', resource, type: 'MODIFIED', object });

describe('StorageSignalPublisher', () => {
  let sent: SignalPayload[];
  let publisher: StorageSignalPublisher;
  let cached: Record<string, KubeObject>;

  beforeEach(() => {
    jest.useFakeTimers();
    sent = [];
    cached = {};
    const access = {
      cache: () => ({
        store: (resource: string) => ({
          get: (namespace: string, name: string) =>
            cached[`${resource}/${namespace}/${name}`],
        }),
      }),
    } as unknown as K2ClusterAccess;
    publisher = new StorageSignalPublisher({
      signals: { publish: async signal => void sent.push(signal) },
      services,
      access,
      logger: mockServices.logger.mock(),
      windowMs: 1000,
    });
  });

  afterEach(() => {
    publisher.stop();
    jest.useRealTimers();
  });

  it("announces a volume's changes once per window on the service's channel, naming the one environment", () => {
    publisher.notify(change(claim('basket-data', 'test', 'data')));
    jest.advanceTimersByTime(500);
    publisher.notify(change(claim('basket-logs', 'test', 'logs')));
    jest.advanceTimersByTime(499);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([
      {
        recipients: { type: 'broadcast' },
        channel: `k2-storage:${BASKET}`,
        message: { environment: 'test' },
      },
    ]);

    publisher.notify(change(claim('basket-data', 'test', 'data')));
    publisher.notify(change(claim('basket-data', 'prod', 'data')));
    jest.advanceTimersByTime(1000);
    expect(sent[1].message).toEqual({});
  });

  it('announces an event about a volume, and nothing for claims K2 did not make as volumes', () => {
    cached['persistentvolumeclaims/shop/basket-data'] = claim(
      'basket-data',
      'test',
      'data',
    );
    cached['persistentvolumeclaims/shop/basket-cache'] = claim(
      'basket-cache',
      'test',
    );
    const event = (name: string): KubeObject => ({
      metadata: { name: `${name}.1`, namespace: 'shop' },
      involvedObject: {
        kind: 'PersistentVolumeClaim',
        name,
        namespace: 'shop',
      },
      reason: 'ProvisioningFailed',
    });
    publisher.notify(change(claim('basket-cache', 'test')));
    publisher.notify(change(event('basket-cache'), 'events'));
    jest.advanceTimersByTime(5000);
    expect(sent).toEqual([]);

    publisher.notify(change(event('basket-data'), 'events'));
    jest.advanceTimersByTime(1000);
    expect(sent.map(s => s.channel)).toEqual([`k2-storage:${BASKET}`]);
  });
});
