import { k2AlertClusterReadPermission } from '@internal/plugin-k2-common';
import { Caller, K2ActionGate } from '@internal/plugin-k2-node';
import { Incident, IncidentStore } from '../incidents/IncidentStore';
import { ClusterChecks, clusterEntityKey } from './ClusterChecks';
import { ClusterFinding } from './checks';

/** The most open incidents `GET /clusters/checks` reads per kind. */
const INCIDENT_LIMIT = 500;

/** One cluster's findings and open incidents, as the route answers them. */
export type ClusterChecksView = {
  cluster: string;
  findings: Array<
    Omit<ClusterFinding, 'key' | 'service'> & {
      entityRef?: string;
      environment?: string;
      namespace?: string;
    }
  >;
  incidents: Incident[];
};

/**
 * What the cluster checks see now, for platform admins (`k2.alert.cluster.read`): per
 * cluster K2 knows, the current findings and the open incidents of the checks (the
 * cluster's own and those of services found in it).
 */
export class ClusterChecksService {
  readonly #checks: ClusterChecks;
  readonly #store: IncidentStore;
  readonly #gate: K2ActionGate;
  readonly #clusters: () => string[];

  constructor(options: {
    checks: ClusterChecks;
    store: IncidentStore;
    gate: K2ActionGate;
    clusters: () => string[];
  }) {
    this.#checks = options.checks;
    this.#store = options.store;
    this.#gate = options.gate;
    this.#clusters = options.clusters;
  }

  /** @throws NotAllowedError for anyone but a platform admin */
  async read(
    caller: Caller,
  ): Promise<{ checkedAt?: string; clusters: ClusterChecksView[] }> {
    await this.#gate.authorize('the cluster checks', caller, {
      permission: k2AlertClusterReadPermission,
      verb: 'read',
      refusal: 'Only platform admins may read the cluster checks',
    });
    const state = this.#checks.state();
    const names = this.#clusters();
    const services = [
      ...new Set(
        state.findings.flatMap(f => (f.service ? [f.service.entityRef] : [])),
      ),
    ];
    const [platform, ofServices] = await Promise.all([
      this.#store.listIncidents({
        entityRefs: names.map(clusterEntityKey),
        status: 'open',
        limit: INCIDENT_LIMIT,
      }),
      services.length
        ? this.#store.listIncidents({
            entityRefs: services,
            status: 'open',
            limit: INCIDENT_LIMIT,
          })
        : Promise.resolve({ items: [] as Incident[] }),
    ]);
    const incidents = [
      ...platform.items,
      ...ofServices.items.filter(i => i.ruleKey.startsWith('cluster:')),
    ];
    const detail = await Promise.all(
      incidents.map(async incident => ({
        incident,
        clusters: new Set(
          (
            await this.#store.getIncident(incident.id)
          )?.alerts.map(a => a.cluster) ?? [],
        ),
      })),
    );
    return {
      checkedAt: state.checkedAt,
      clusters: names.map(cluster => ({
        cluster,
        findings: state.findings
          .filter(f => f.cluster === cluster)
          .map(({ key: _key, service, ...finding }) => ({
            ...finding,
            ...(service
              ? {
                  entityRef: service.entityRef,
                  environment: service.environment,
                  namespace: service.namespace,
                }
              : {}),
          })),
        incidents: detail
          .filter(d => d.clusters.has(cluster))
          .map(d => d.incident),
      })),
    };
  }
}
