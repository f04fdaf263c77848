import { Entity } from '@backstage/catalog-model';
import { K2ResolvedService } from '@internal/plugin-k2-node';
import { RepositoryOwnership } from './RepositoryOwnership';

const MONOREPO = 'https://github.com/acme/monorepo';

function service(name: string, owner: string, image: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'backstage.io/source-location': `url:${MONOREPO}/tree/main/${name}`,
        'k2.io/image': image,
      },
    },
    spec: { type: 'service', owner, lifecycle: 'production' },
  };
}

/** Two teams' services built from one monorepo, each with its own image, both built. */
function ownership(sharedRepositories?: string[]) {
  const payments = service('ledger', 'payments', 'r.example/payments/ledger');
  const risk = service('scoring', 'risk', 'r.example/risk/scoring');
  // Every service asked about has built there (both sides: the case to settle).
  const built = async (_key: string, services: string[]) => new Set(services);
  return {
    payments,
    check: new RepositoryOwnership({
      services: {
        entities: () => [payments, risk],
        refresh: async () => {},
        status: { refreshedAt: new Date() },
      } as any,
      store: { servicesWithBuildsFrom: built, servicesWithImagesIn: built },
      sharedRepositories,
    }),
  };
}

const plan = (entity: Entity) => ({
  image: {
    repository: entity.metadata.annotations!['k2.io/image'],
  } as any,
  source: { url: MONOREPO, key: MONOREPO } as any,
});

const resolved = (entity: Entity) =>
  ({ ref: 'component:default/ledger', entity } as K2ResolvedService);

describe('RepositoryOwnership and k2.builds.sharedRepositories', () => {
  it('refuses a monorepo two owners have built from unless the platform lists it as shared', async () => {
    const { payments, check } = ownership();
    expect(await check.problems(resolved(payments), plan(payments))).toEqual([
      expect.stringContaining(
        'and builds of both owners have cloned it: neither builds from it until the owners settle',
      ),
    ]);

    const shared = ownership([MONOREPO]);
    expect(
      await shared.check.problems(resolved(payments), plan(payments)),
    ).toEqual([]);
  });

  it('still refuses another owner’s image repository when the source is shared', async () => {
    const { payments, check } = ownership([MONOREPO]);
    const intoRisk = {
      ...plan(payments),
      image: { repository: 'r.example/risk/scoring' } as any,
    };
    expect(await check.problems(resolved(payments), intoRisk)).toEqual([
      expect.stringContaining('k2.io/image r.example/risk/scoring'),
    ]);
  });
});
