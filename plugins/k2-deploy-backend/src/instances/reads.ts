import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  K2ServiceSpec,
  K2ServiceTarget,
  k2ServiceRuntimeReadPermission,
} from '@internal/plugin-k2-common';
import {
  ActionAccess,
  Caller,
  K2ActionGate,
  K2InstanceAddress,
  K2ResolvedInstance,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';

/** What the instance reads resolve through and are allowed by. */
export interface InstanceReadDeps {
  resolver: K2ServiceResolver;
  gate: K2ActionGate;
}

/**
 * The service's targets a reader asks for (one environment, or all), once the caller
 * may read the service's runtime. `verb` completes the refusal.
 */
export async function readTargets(
  deps: InstanceReadDeps,
  ref: CompoundEntityRef,
  environment: string | undefined,
  caller: Caller,
  verb: string,
): Promise<{ spec: K2ServiceSpec; targets: K2ServiceTarget[] }> {
  const service = await deps.resolver.service(ref);
  await deps.gate.authorize(service.ref, caller, {
    permission: k2ServiceRuntimeReadPermission,
    verb,
  });
  return {
    spec: service.spec,
    targets: deps.resolver.targets(service, environment),
  };
}

/**
 * One live instance of the service, once `access` allows the caller. Allowed first,
 * so a refused reader cannot learn which instances exist.
 */
export async function readInstance(
  deps: InstanceReadDeps,
  ref: CompoundEntityRef,
  address: K2InstanceAddress,
  caller: Caller,
  access: ActionAccess,
): Promise<K2ResolvedInstance> {
  await deps.gate.authorize(stringifyEntityRef(ref), caller, access);
  return deps.resolver.instance(ref, address);
}
