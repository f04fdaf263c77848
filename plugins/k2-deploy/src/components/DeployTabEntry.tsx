import { lazy, Suspense, useEffect, useRef } from 'react';
import { Progress } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { K2ServiceRuntime } from '@internal/plugin-k2-common';
import { K2DeployApi, k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { preloadDeployPermissions } from './useDeployPermissions';

// Fetched at idle time once the app has started, so opening a service page on this tab
// does not wait for the tab's code after the entity arrives.
const DeployTab = lazy(() =>
  import(/* webpackPrefetch: true */ './DeployTab').then(m => ({
    default: m.DeployTab,
  })),
);

/** How long an answer asked for ahead of a mount that never came is kept. */
const HEAD_START_KEPT_MS = 10_000;

/**
 * Runtime requests started ahead of the tab, per API (one per app) and service, until
 * a mounted tab takes theirs. They live outside the component because the page's
 * first renders are thrown away while the code of the page around the tab is still
 * loading: React renders the tab again, and it must find the request it started then.
 */
const headStarts = new WeakMap<
  K2DeployApi,
  Map<string, Promise<K2ServiceRuntime>>
>();

function runtimeHeadStart(api: K2DeployApi, service: ServiceName, key: string) {
  let started = headStarts.get(api);
  if (!started) {
    started = new Map();
    headStarts.set(api, started);
  }
  let runtime = started.get(key);
  if (!runtime) {
    runtime = api.getRuntime(service);
    started.set(key, runtime);
    const pending = runtime;
    const forget = () =>
      setTimeout(() => {
        if (started!.get(key) === pending) started!.delete(key);
      }, HEAD_START_KEPT_MS);
    // The tab reports a failure when it reads the answer; until then it is not an
    // unhandled rejection.
    runtime.then(forget, forget);
  }
  return runtime;
}

/**
 * What the Deploy tab mounts first, from the app's first chunks: as soon as the entity
 * is known it asks for the service's runtime and the user's permissions, while the
 * tab's own code is still being loaded and evaluated, instead of after it. The tab
 * starts from that runtime answer (its first poll) and from those permission answers,
 * so a page opened on this tab waits for one round of each rather than for the code
 * and then the round.
 */
export function DeployTabEntry() {
  const { entity } = useEntity();
  const api = useApi(k2DeployApiRef);
  const permissionApi = useApi(permissionApiRef);
  const service = {
    namespace: entity.metadata.namespace ?? 'default',
    name: entity.metadata.name,
  };
  const key = `${service.namespace}/${service.name}`;
  // Once mounted, the tab has what it needs and polls on its own: later renders ask
  // nothing ahead.
  const taken = useRef<{ key: string; runtime: Promise<K2ServiceRuntime> }>();
  let runtime: Promise<K2ServiceRuntime>;
  if (taken.current?.key === key) {
    runtime = taken.current.runtime;
  } else {
    runtime = runtimeHeadStart(api, service, key);
    preloadDeployPermissions(permissionApi, stringifyEntityRef(entity));
  }
  useEffect(() => {
    taken.current = { key, runtime };
    // Taken: the next mount of the tab asks afresh.
    const started = headStarts.get(api);
    if (started?.get(key) === runtime) started.delete(key);
  }, [api, key, runtime]);
  return (
    <Suspense fallback={<Progress />}>
      <DeployTab firstRuntime={runtime} />
    </Suspense>
  );
}
