import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AlertSeverity } from '@internal/plugin-k2-alerts-common';
import {
  isK2Service,
  k2AlertIncidentUpdatePermission,
  k2AlertReadPermission,
} from '@internal/plugin-k2-common';
import { actorOf, Caller, K2ActionGate } from '@internal/plugin-k2-node';
import {
  AlertStatus,
  Incident,
  IncidentStatus,
  IncidentStore,
} from './IncidentStore';

/** Items per page unless a request asks for fewer or more. */
export const DEFAULT_PAGE = 50;
/** The largest page served; a request for more gets this many. */
export const MAX_PAGE = 200;
/** Incidents the team overview shows at most. */
export const MAX_TEAM_INCIDENTS = 500;

const pageSize = (limit: number | undefined) =>
  Math.min(MAX_PAGE, Math.max(1, limit ?? DEFAULT_PAGE));

/**
 * Reads of incidents and alert history, each allowed by `k2.alert.read` on the
 * service it is about; acknowledging and resolving, by `k2.alert.incident.update`.
 */
export class IncidentService {
  readonly #store: IncidentStore;
  readonly #gate: K2ActionGate;
  readonly #catalog: CatalogService;

  constructor(options: {
    store: IncidentStore;
    gate: K2ActionGate;
    catalog: CatalogService;
  }) {
    this.#store = options.store;
    this.#gate = options.gate;
    this.#catalog = options.catalog;
  }

  /**
   * Acknowledges an open incident: its escalation stops (the store clears it). Audited, in the service's
   * activity log.
   *
   * @throws NotFoundError for an incident that does not exist
   * @throws ConflictError for a resolved incident
   */
  async acknowledge(id: string, caller: Caller): Promise<Incident> {
    return this.#change(id, caller, 'acknowledged');
  }

  /**
   * Resolves an open incident by hand, even while its alerts fire. Audited, in the
   * service's activity log.
   *
   * @throws NotFoundError for an incident that does not exist
   * @throws ConflictError for an incident resolved already
   */
  async resolve(id: string, caller: Caller): Promise<Incident> {
    return this.#change(id, caller, 'resolved');
  }

  async #change(
    id: string,
    caller: Caller,
    change: 'acknowledged' | 'resolved',
  ): Promise<Incident> {
    const found = await this.#store.getIncident(id);
    if (!found) throw new NotFoundError(`No incident ${id}`);
    const { entityRef, environment, title } = found.incident;
    const verb = change === 'acknowledged' ? 'Acknowledge' : 'Resolve';
    return this.#gate.audited(
      caller,
      change === 'acknowledged'
        ? 'alert-incident-acknowledge'
        : 'alert-incident-resolve',
      {
        service: entityRef,
        environment,
        summary: `${verb} incident: ${title}`,
      },
      {
        permission: k2AlertIncidentUpdatePermission,
        verb: `${verb.toLocaleLowerCase('en-US')} the incidents of`,
      },
      async () => {
        const by = actorOf(caller.credentials);
        const changed =
          change === 'acknowledged'
            ? await this.#store.acknowledge(id, by)
            : await this.#store.resolve(id, by);
        if (!changed) throw new NotFoundError(`No incident ${id}`);
        return changed;
      },
    );
  }

  async serviceIncidents(
    service: CompoundEntityRef,
    query: {
      status?: IncidentStatus;
      environment?: string;
      severity?: AlertSeverity;
      limit?: number;
      cursor?: string;
    },
    caller: Caller,
  ) {
    const ref = await this.#readable(service, caller);
    return this.#store.listIncidents({
      entityRefs: [ref],
      status: query.status,
      environment: query.environment,
      severity: query.severity,
      limit: pageSize(query.limit),
      cursor: query.cursor,
    });
  }

  /** @throws NotFoundError for an incident that does not exist */
  async incident(id: string, caller: Caller) {
    const found = await this.#store.getIncident(id);
    if (!found) throw new NotFoundError(`No incident ${id}`);
    await this.#authorize(found.incident.entityRef, caller);
    return found;
  }

  async history(
    service: CompoundEntityRef,
    query: {
      environment?: string;
      status?: AlertStatus;
      severity?: AlertSeverity;
      rule?: string;
      from?: string;
      to?: string;
      limit?: number;
      cursor?: string;
    },
    caller: Caller,
  ) {
    const ref = await this.#readable(service, caller);
    return this.#store.listHistory({
      entityRef: ref,
      ...query,
      limit: pageSize(query.limit),
    });
  }

  /**
   * Incidents of the K2 services the group owns that the caller may read (as
   * {@link IncidentService.teamServices} finds them), newest first.
   */
  async teamIncidents(
    group: CompoundEntityRef,
    status: IncidentStatus | undefined,
    caller: Caller,
  ): Promise<{ items: Incident[]; services: string[] }> {
    const services = await this.teamServices(group, caller);
    const { items } = await this.#store.listIncidents({
      entityRefs: services.map(s => s.toLocaleLowerCase('en-US')),
      status,
      limit: MAX_TEAM_INCIDENTS,
    });
    return { items, services };
  }

  /**
   * The entity refs (sorted) of the K2 services the group owns (`spec.owner`, as the
   * catalog relates them) whose alerts the caller may read; the catalog is asked with
   * the caller's credentials, so it shows only entities the caller may see.
   */
  async teamServices(
    group: CompoundEntityRef,
    caller: Caller,
  ): Promise<string[]> {
    const groupRef = stringifyEntityRef({ ...group, kind: 'group' });
    const { items: entities } = await this.#catalog.getEntities(
      {
        // The owner relation the catalog derives from `spec.owner`, and the field
        // itself when it names the group in full.
        filter: [
          { kind: 'component', 'relations.ownedBy': groupRef },
          { kind: 'component', 'spec.owner': groupRef },
        ],
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.annotations',
        ],
      },
      { credentials: caller.credentials },
    );
    const services: string[] = [];
    for (const entity of entities.filter(isK2Service)) {
      const ref = stringifyEntityRef(entity);
      try {
        await this.#authorize(ref, caller);
        services.push(ref);
      } catch (error) {
        if ((error as Error).name !== 'NotAllowedError') throw error;
      }
    }
    return services.sort();
  }

  /** The service's lowercased ref, once the caller may read its alerts. */
  async #readable(service: CompoundEntityRef, caller: Caller) {
    const ref = stringifyEntityRef(service);
    await this.#authorize(ref, caller);
    return ref.toLocaleLowerCase('en-US');
  }

  #authorize(ref: string, caller: Caller) {
    return this.#gate.authorize(ref, caller, {
      permission: k2AlertReadPermission,
      verb: 'read the alerts of',
    });
  }
}
