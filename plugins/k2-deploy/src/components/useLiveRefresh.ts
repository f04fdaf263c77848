import { useEffect } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApiHolder } from '@backstage/frontend-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import {
  K2DeploySignal,
  k2DeploySignalChannel,
} from '@internal/plugin-k2-deploy-common';
import { ServiceName } from '../api/K2DeployApi';
import { usePolling } from './usePolling';

/**
 * How often a view polls while the backend announces changes through Signals: only a
 * safety net, for an announcement lost while the connection was re-established.
 */
export const FALLBACK_POLL_MS = 30_000;

/**
 * {@link usePolling}, refetched as soon as the backend announces a change to the
 * service on its Signals channel (`k2-deploy:<entity ref>`), or only to its
 * `environment` when given. With Signals, polling slows down to
 * {@link FALLBACK_POLL_MS}; in an app without the Signals API it keeps `intervalMs`.
 * `rememberAs` lets a view mounted again start from the last value, and `first` read a
 * load already under way (see {@link usePolling}).
 */
export function useLiveRefresh<T>(
  load: () => Promise<T>,
  options: {
    service: ServiceName;
    environment?: string;
    intervalMs: (value: T | undefined) => number;
    rememberAs?: string;
    first?: Promise<T>;
  },
  deps: unknown[],
): ReturnType<typeof usePolling<T>> {
  const signals = useApiHolder().get(signalApiRef);
  const { service, environment } = options;
  const polling = usePolling(
    load,
    value => (signals ? FALLBACK_POLL_MS : options.intervalMs(value)),
    deps,
    { rememberAs: options.rememberAs, first: options.first },
  );
  const { refresh } = polling;
  const channel = k2DeploySignalChannel(
    stringifyEntityRef({ kind: 'component', ...service }),
  );

  useEffect(() => {
    if (!signals) return undefined;
    const subscription = signals.subscribe<K2DeploySignal>(channel, signal => {
      // An announcement names its environment when every change was in that one.
      if (
        environment &&
        signal.environment &&
        signal.environment !== environment
      ) {
        return;
      }
      refresh();
    });
    return () => subscription.unsubscribe();
  }, [signals, channel, environment, refresh]);

  return polling;
}
