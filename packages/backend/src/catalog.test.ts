import fs from 'fs';
import path from 'path';
import request from 'supertest';
import YAML from 'yaml';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import {
  readEnvironmentModel,
  readServiceSpec,
  isK2Service,
} from '@internal/plugin-k2-common';

const root = path.resolve(__dirname, '../../..');
const appConfig = YAML.parse(
  fs.readFileSync(path.join(root, 'app-config.yaml'), 'utf8'),
);
const databases = createK2TestDatabases();

/** Waits until the catalog has processed every demo entity. */
async function entitiesOnceSettled(server: Parameters<typeof request>[0]) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await request(server)
      .get('/api/catalog/entities')
      .set('Authorization', mockCredentials.user.header());
    const entities: Entity[] = res.body;
    // Processing order varies (and slows under load): wait for every kind.
    const count = (kind: string) =>
      res.status === 200 ? entities.filter(e => e.kind === kind).length : 0;
    if (
      (count('Component') >= 25 &&
        count('User') >= 20 &&
        count('Group') >= 6) ||
      Date.now() > deadline
    ) {
      return entities;
    }
    await new Promise(r => setTimeout(r, 500));
  }
}

describe('the demo CMDB', () => {
  it.each(databases.eachSupportedId())(
    'loads completely into the catalog on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startTestBackend({
        features: [
          catalogPlugin,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                rules: appConfig.catalog.rules,
                // The same locations as app-config.yaml, resolved from the repo root.
                locations: appConfig.catalog.locations.map(
                  (location: { target: string }) => ({
                    ...location,
                    target: path.resolve(
                      root,
                      'packages/backend',
                      location.target,
                    ),
                  }),
                ),
              },
            },
          }),
        ],
      });
      const entities = await entitiesOnceSettled(backend.server);
      const count = (kind: string) =>
        entities.filter(e => e.kind === kind).length;

      expect(count('Domain')).toBeGreaterThanOrEqual(3);
      expect(count('System')).toBeGreaterThanOrEqual(3);
      expect(count('Group')).toBeGreaterThanOrEqual(6);
      expect(count('User')).toBeGreaterThanOrEqual(20);
      const services = entities.filter(isK2Service);
      expect(services.length).toBeGreaterThanOrEqual(20);

      // Four languages, and every team owns something.
      const languages = new Set(
        services.map(e => e.metadata.annotations?.['k2.io/language']),
      );
      expect([...languages].sort()).toEqual(['go', 'java', 'node', 'python']);
      const teams = entities.filter(
        e =>
          e.kind === 'Group' && (e.spec as { type?: string }).type === 'team',
      );
      expect(teams.length).toBeGreaterThanOrEqual(6);
      expect(teams.length).toBeLessThanOrEqual(10);
      for (const team of teams) {
        expect({
          team: team.metadata.name,
          owns: entities.some(
            e => e.kind === 'Component' && e.spec?.owner === team.metadata.name,
          ),
        }).toEqual({ team: team.metadata.name, owns: true });
      }

      // Every reference resolved: no entity carries processing errors.
      const withErrors = entities.filter(
        e => (e as { status?: { items?: unknown[] } }).status?.items?.length,
      );
      expect(withErrors.map(e => e.metadata.name)).toEqual([]);

      await backend.stop();
    },
    120_000,
  );

  it('has K2 annotations that resolve cleanly against app-config.yaml', () => {
    const model = readEnvironmentModel(new ConfigReader(appConfig));
    const documents = ['entities.yaml']
      .flatMap(file =>
        YAML.parseAllDocuments(
          fs.readFileSync(path.join(root, 'examples', file), 'utf8'),
        ),
      )
      .map(doc => doc.toJS() as Entity)
      .filter(isK2Service);
    expect(documents.length).toBeGreaterThanOrEqual(20);
    const problems = documents.flatMap(entity =>
      readServiceSpec(entity, model).problems.map(
        p => `${entity.metadata.name}: ${p}`,
      ),
    );
    expect(problems).toEqual([]);
    for (const entity of documents) {
      expect(entity.metadata.annotations?.['backstage.io/kubernetes-id']).toBe(
        entity.metadata.name,
      );
    }
  });
});
