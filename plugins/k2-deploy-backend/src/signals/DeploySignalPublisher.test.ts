import { mockServices } from '@backstage/backend-test-utils';
import { SignalPayload } from '@backstage/plugin-signals-node';
import {
  ClusterChange,
  K2ClusterAccess,
  KubeObject,
} from '@internal/plugin-k2-node';
import { DeploySignalPublisher } from './DeploySignalPublisher';

const PAYMENTS = 'component:default/payments';
const CHECKOUT = 'component:default/checkout';

/** Kubernetes-ids to services, as the service index answers. */
const services = {
  entityRefsFor: (id: string) =>
    ({ 'payment-gateway': [PAYMENTS], checkout: [CHECKOUT] }[id] ?? []),
};

function pod(
  name: string,
  service: string,
  environment?: string,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return {
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels: {
        'k2.io/service': service,
        ...(environment ? { 'k2.io/environment': environment } : {}),
      },
      ...extra,
    },
  };
}

const change = (
  object: KubeObject,
  resource: ClusterChange['resource'] = 'pods',
  before?: KubeObject,
): ClusterChange => ({
  cluster: 'test',
  resource,
  type: before ? 'MODIFIED' : 'ADDED',
  object,
  before,
});

describe('DeploySignalPublisher', () => {
  let sent: SignalPayload[];
  let publisher: DeploySignalPublisher;
  /** The objects the fake cache holds, for events to name. */
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
    publisher = new DeploySignalPublisher({
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

  it('sends one broadcast per service per window, carrying the last change of the window', () => {
    publisher.notify(change(pod('gw-1', 'payment-gateway', 'test')));
    jest.advanceTimersByTime(400);
    publisher.notify(change(pod('gw-2', 'payment-gateway', 'test')));
    publisher.notify(change(pod('co-1', 'checkout', 'prod')));
    jest.advanceTimersByTime(599);
    expect(sent).toEqual([]);

    jest.advanceTimersByTime(1);
    expect(sent).toEqual([
      {
        recipients: { type: 'broadcast' },
        channel: `k2-deploy:${PAYMENTS}`,
        message: { kind: 'runtime', environment: 'test' },
      },
    ]);

    // A change just before the window closes is announced when it closes, never lost.
    publisher.notify(change(pod('gw-3', 'payment-gateway', 'prod')));
    jest.advanceTimersByTime(400);
    expect(sent.map(s => s.channel)).toEqual([
      `k2-deploy:${PAYMENTS}`,
      `k2-deploy:${CHECKOUT}`,
    ]);
    jest.advanceTimersByTime(600);
    expect(sent.slice(2)).toEqual([
      {
        recipients: { type: 'broadcast' },
        channel: `k2-deploy:${PAYMENTS}`,
        message: { kind: 'runtime', environment: 'prod' },
      },
    ]);

    // Nothing more without changes.
    jest.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(3);
  });

  it('sends at most one signal per window however busy the service is', () => {
    for (let ms = 0; ms < 5000; ms += 50) {
      publisher.notify(change(pod(`gw-${ms}`, 'payment-gateway', 'test')));
      jest.advanceTimersByTime(50);
    }
    jest.advanceTimersByTime(1000);
    expect(sent).toHaveLength(5);
  });

  it('names the environment and release only when every change agrees', () => {
    publisher.releaseChanged({
      id: 'r1',
      service: PAYMENTS,
      environment: 'test',
    });
    publisher.notify(change(pod('gw-1', 'payment-gateway', 'test')));
    jest.advanceTimersByTime(1000);
    publisher.releaseChanged({
      id: 'r1',
      service: PAYMENTS,
      environment: 'test',
    });
    publisher.releaseChanged({
      id: 'r2',
      service: PAYMENTS,
      environment: 'prod',
    });
    jest.advanceTimersByTime(1000);
    // A pod without K2's environment label: its environment is unknown.
    publisher.notify(change(pod('gw-2', 'payment-gateway')));
    publisher.notify(change(pod('gw-3', 'payment-gateway', 'test')));
    jest.advanceTimersByTime(1000);
    expect(sent.map(s => s.message)).toEqual([
      { kind: 'release', environment: 'test', releaseId: 'r1' },
      { kind: 'release' },
      { kind: 'runtime' },
    ]);
  });

  it('maps events to the service of the object they are about, and ignores what the tab does not show', () => {
    cached['pods/shop/gw-1'] = pod('gw-1', 'payment-gateway', 'test');
    const event = (kind: string, name: string): KubeObject => ({
      metadata: { name: `${name}.1`, namespace: 'shop' },
      involvedObject: { kind, name, namespace: 'shop' },
      reason: 'BackOff',
    });
    publisher.notify(change(event('Pod', 'gw-1'), 'events'));
    publisher.notify(change(event('Pod', 'gone'), 'events'));
    publisher.notify(change(event('Node', 'node-1'), 'events'));
    publisher.notify(change(pod('cm', 'checkout', 'test'), 'configmaps'));
    publisher.notify(change(pod('other', 'not-a-k2-service', 'test')));
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual([
      expect.objectContaining({
        channel: `k2-deploy:${PAYMENTS}`,
        message: { kind: 'runtime', environment: 'test' },
      }),
    ]);
  });

  it('tells both services when an object moves from one to the other', () => {
    publisher.notify(
      change(
        pod('x', 'checkout', 'test'),
        'pods',
        pod('x', 'payment-gateway', 'test'),
      ),
    );
    jest.advanceTimersByTime(1000);
    expect(sent.map(s => s.channel).sort()).toEqual([
      `k2-deploy:${CHECKOUT}`,
      `k2-deploy:${PAYMENTS}`,
    ]);
  });

  it('sends nothing once stopped, and leaves no timer behind', () => {
    publisher.notify(change(pod('gw-1', 'payment-gateway', 'test')));
    publisher.stop();
    expect(jest.getTimerCount()).toBe(0);
    publisher.notify(change(pod('gw-2', 'payment-gateway', 'test')));
    jest.advanceTimersByTime(5000);
    expect(sent).toEqual([]);
  });
});
