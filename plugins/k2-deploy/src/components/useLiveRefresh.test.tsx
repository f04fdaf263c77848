import { renderInTestApp } from '@backstage/frontend-test-utils';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import { K2DeploySignal } from '@internal/plugin-k2-deploy-common';
import { act, screen } from '@testing-library/react';
import { useLiveRefresh } from './useLiveRefresh';

const CHANNEL = 'k2-deploy:component:default/checkout';

/** A signal API the test speaks through, as the Signals backend would. */
function fakeSignals() {
  type Listener = Parameters<SignalApi['subscribe']>[1];
  const listeners = new Map<string, Set<Listener>>();
  const api: SignalApi = {
    subscribe(channel, onMessage) {
      const listener = onMessage as Listener;
      const forChannel = listeners.get(channel) ?? new Set();
      listeners.set(channel, forChannel);
      forChannel.add(listener);
      return { unsubscribe: () => forChannel.delete(listener) };
    },
  };
  const send = (channel: string, message: K2DeploySignal) =>
    act(() => listeners.get(channel)?.forEach(l => l(message)));
  const subscribers = (channel: string) => listeners.get(channel)?.size ?? 0;
  return { api, send, subscribers };
}

/** Shows how many times the service was loaded; polls every 50 ms without Signals. */
function Rollout(props: { load: () => Promise<number>; environment?: string }) {
  const { value } = useLiveRefresh(
    props.load,
    {
      service: { namespace: 'default', name: 'checkout' },
      environment: props.environment,
      intervalMs: () => 50,
    },
    [],
  );
  return <p>{value === undefined ? 'loading' : `load #${value}`}</p>;
}

function counter() {
  let n = 0;
  return jest.fn(async () => ++n);
}

const settle = () => act(() => new Promise(r => setTimeout(r, 300)));

describe('useLiveRefresh', () => {
  it('refetches when the service’s signal arrives, and otherwise polls only as a slow fallback', async () => {
    const signals = fakeSignals();
    const load = counter();
    renderInTestApp(<Rollout load={load} />, {
      apis: [[signalApiRef, signals.api]],
    });
    expect(await screen.findByText('load #1')).toBeInTheDocument();

    // No polling at the fast interval while signals bring the changes.
    await settle();
    expect(load).toHaveBeenCalledTimes(1);

    signals.send(CHANNEL, { kind: 'runtime', environment: 'test' });
    expect(await screen.findByText('load #2')).toBeInTheDocument();

    // Another service's signal changes nothing here.
    signals.send('k2-deploy:component:default/payments', { kind: 'release' });
    await settle();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('refetches for its own environment, or when the environment is not named', async () => {
    const signals = fakeSignals();
    const load = counter();
    renderInTestApp(<Rollout load={load} environment="prod" />, {
      apis: [[signalApiRef, signals.api]],
    });
    expect(await screen.findByText('load #1')).toBeInTheDocument();

    signals.send(CHANNEL, { kind: 'release', environment: 'test' });
    await settle();
    expect(load).toHaveBeenCalledTimes(1);

    signals.send(CHANNEL, { kind: 'release', environment: 'prod' });
    expect(await screen.findByText('load #2')).toBeInTheDocument();

    signals.send(CHANNEL, { kind: 'runtime' });
    expect(await screen.findByText('load #3')).toBeInTheDocument();
  });

  it('stops listening when the view goes away', async () => {
    const signals = fakeSignals();
    const { unmount } = renderInTestApp(<Rollout load={counter()} />, {
      apis: [[signalApiRef, signals.api]],
    });
    expect(await screen.findByText('load #1')).toBeInTheDocument();
    expect(signals.subscribers(CHANNEL)).toBe(1);
    unmount();
    expect(signals.subscribers(CHANNEL)).toBe(0);
  });

  it('keeps polling at the fast interval in an app without Signals', async () => {
    const load = counter();
    renderInTestApp(<Rollout load={load} />);
    expect(await screen.findByText('load #3')).toBeInTheDocument();
  });
});
