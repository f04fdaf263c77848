import { CompoundEntityRef } from '@backstage/catalog-model';
import { K2HistoricalContainerList } from '@internal/plugin-k2-common';
import {
  Caller,
  K2ActionGate,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { InstanceStore } from '../database/InstanceStore';
import { readTargets } from './reads';

/**
 * Historical containers of a service (runs that ended, as `InstanceTracker`
 * recorded them), newest first, one page at a time from the store. A reader sees only
 * the service's own targets, and only once allowed to read its runtime.
 */
export class InstanceHistoryService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #store: InstanceStore;

  constructor(options: {
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    store: InstanceStore;
  }) {
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#store = options.store;
  }

  /** Historical containers, newest first, in pages. */
  async list(
    ref: CompoundEntityRef,
    query: {
      environment?: string;
      cluster?: string;
      limit: number;
      before?: string;
    },
    caller: Caller,
  ): Promise<K2HistoricalContainerList> {
    const { spec, targets } = await readTargets(
      { resolver: this.#resolver, gate: this.#gate },
      ref,
      query.environment,
      caller,
      'read the instances of',
    );
    return this.#store.list({
      serviceId: spec.kubernetesId,
      targets: targets.map(t => ({
        environment: t.environment.name,
        namespace: t.namespace,
      })),
      cluster: query.cluster,
      limit: query.limit,
      before: query.before,
    });
  }
}
