import { useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { K2Release } from '@internal/plugin-k2-common';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { isActive } from './format';
import { useLiveRefresh } from './useLiveRefresh';

/**
 * An environment's release history, live, and what it says about the environment:
 * the release that runs (`current`, the newest that succeeded), the one waiting for
 * approval and the one in flight. Older pages are appended on demand.
 *
 * Invariant: a release waiting for approval does not block scale or restart; one in
 * flight (applying, rolling out) blocks every action until it ends.
 */
export function useEnvironmentReleases(
  service: ServiceName,
  environment: string,
) {
  const api = useApi(k2DeployApiRef);
  const [older, setOlder] = useState<K2Release[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>();
  const history = useLiveRefresh(
    () => api.getReleases(service, { environment, limit: 20 }),
    {
      service,
      environment,
      intervalMs: page => (page?.items.some(isActive) ? 1000 : 5000),
      // The overview shows the last page at once when the tab is opened again.
      rememberAs: `releases:${service.namespace}/${service.name}/${environment}`,
    },
    [service.namespace, service.name, environment],
  );
  const page = history.value;
  const releases = [...(page?.items ?? []), ...older];
  const waiting = releases.find(r => r.status === 'pending-approval');
  const inFlight = releases.find(r => isActive(r) && r !== waiting);
  const current = releases.find(r => r.status === 'succeeded');
  const nextCursor =
    olderCursor === undefined ? page?.nextCursor : olderCursor ?? undefined;

  return {
    page,
    error: history.error,
    releases,
    total: page?.total ?? 0,
    waiting,
    inFlight,
    current,
    refresh: history.refresh,
    hasMore: Boolean(nextCursor),
    loadOlder: async () => {
      const more = await api.getReleases(service, {
        environment,
        limit: 50,
        before: nextCursor,
      });
      setOlder(o => [...o, ...more.items]);
      setOlderCursor(more.nextCursor ?? null);
    },
  };
}
