import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import knexFactory from 'knex';
import { itWithNginx, NGINX } from '../__testUtils__/nginx';
import { DatabaseTrafficStore } from '../database/DatabaseTrafficStore';
import { NginxValidator } from '../nginx/NginxValidator';
import { SiteRef, UpstreamMemberSource } from '../rendering/members';
import { filesHash, renderSite } from '../rendering/renderSite';
import { UpstreamMember, ValidSite, validateSite } from '../sites/validateSite';
import { TemplateRegistry } from '../templates/TemplateRegistry';
import { BundleService } from './BundleService';

/** Members from somewhere else than the site, as live pod membership will be. */
class ChangingMembers implements UpstreamMemberSource {
  current: UpstreamMember[] = [];
  members(_site: SiteRef, upstream: ValidSite['upstreams'][number]) {
    return [...upstream.members, ...this.current];
  }
}

describe('BundleService', () => {
  itWithNginx(
    'rewrites only member files when members change, without a site version',
    async () => {
      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      });
      const store = await DatabaseTrafficStore.create({
        database: { getClient: async () => knex },
      });
      const templates = TemplateRegistry.load(
        path.resolve(__dirname, '../../templates'),
      );
      const members = new ChangingMembers();
      const bundles = new BundleService({
        config: {
          clusters: [
            {
              name: 'edge-test',
              environments: ['test'],
              hosts: ['nginx-1'],
              agentToken: 'x'.repeat(32),
              certificates: [],
            },
          ],
          templatesDirectory: '',
          nginxBinary: NGINX,
          nginxTestTimeoutMs: 30_000,
        },
        store,
        members,
        validator: new NginxValidator({ binary: NGINX, timeoutMs: 30_000 }),
        logger: mockServices.logger.mock(),
      });
      await bundles.refreshAll();
      const ref = { service: 'component:default/basket', environment: 'test' };
      const site = {
        template: 'default',
        upstreams: [{ name: 'app' }],
        locations: [{ path: '/', upstream: 'app' }],
      };
      const valid = validateSite(site, {
        testDomain: 'basket.test.k2.example.com',
        wildcardDomains: ['k2.example.com'],
        certificates: [],
        templates,
      });
      const files = renderSite(ref, valid, templates, members);
      await bundles.publish({
        ...ref,
        cluster: 'edge-test',
        document: site,
        serverNames: valid.serverNames,
        upstreams: valid.upstreams,
        files,
        contentHash: filesHash(files),
        message: 'First',
        createdBy: 'user:default/alice',
      });
      const before = (await store.getBundle('edge-test'))!;
      expect(await bundles.refresh('edge-test')).toBe(false);

      members.current = [
        { host: '10.9.0.1', port: 8080, weight: 1, backup: false },
      ];
      expect(await bundles.refresh('edge-test')).toBe(true);
      const after = (await store.getBundle('edge-test'))!;
      expect(after.version).not.toBe(before.version);
      const changed = after.files.filter(
        f => before.files.find(b => b.path === f.path)?.content !== f.content,
      );
      expect(changed.map(f => f.path)).toEqual([
        'k2/members/test/default/basket/app.conf',
      ]);
      expect(changed[0].content).toContain('server 10.9.0.1:8080 weight=1');
      const versions = await store.listVersions({
        service: ref.service,
        environment: 'test',
        limit: 10,
      });
      expect(versions.total).toBe(1);
      bundles.stop();
      await knex.destroy();
    },
  );

  itWithNginx(
    'a backend whose rebuild lost the compare-and-set builds again on top of the other backend',
    async () => {
      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      });
      const store = await DatabaseTrafficStore.create({
        database: { getClient: async () => knex },
      });
      const templates = TemplateRegistry.load(
        path.resolve(__dirname, '../../templates'),
      );
      const config = {
        clusters: [
          {
            name: 'edge-test',
            environments: ['test'],
            hosts: ['nginx-1'],
            agentToken: 'x'.repeat(32),
            certificates: [],
          },
        ],
        templatesDirectory: '',
        nginxBinary: NGINX,
        nginxTestTimeoutMs: 30_000,
      };
      const validator = new NginxValidator({
        binary: NGINX,
        timeoutMs: 30_000,
      });
      const logger = mockServices.logger.mock();
      const member = (host: string) => ({
        host,
        port: 8080,
        weight: 1,
        backup: false,
      });
      // Two backend replicas on one database, each with its own view of the pods.
      const membersA = new ChangingMembers();
      const a = new BundleService({
        config,
        store,
        validator,
        logger,
        members: membersA,
      });
      let interleaved: boolean | undefined;
      const membersB = new ChangingMembers();
      const b = new BundleService({
        config,
        validator,
        logger,
        members: membersB,
        // Replica A stores its rebuild between B's read and B's write.
        store: Object.assign(Object.create(store), {
          saveBundle: async (...args: Parameters<typeof store.saveBundle>) => {
            if (interleaved === undefined) {
              membersA.current = [member('10.9.0.3')];
              interleaved = await a.refresh('edge-test');
            }
            return store.saveBundle(...args);
          },
        }),
      });
      const ref = { service: 'component:default/basket', environment: 'test' };
      const site = {
        template: 'default',
        upstreams: [{ name: 'app' }],
        locations: [{ path: '/', upstream: 'app' }],
      };
      const valid = validateSite(site, {
        testDomain: 'basket.test.k2.example.com',
        wildcardDomains: ['k2.example.com'],
        certificates: [],
        templates,
      });
      const files = renderSite(ref, valid, templates, membersA);
      await a.publish({
        ...ref,
        cluster: 'edge-test',
        document: site,
        serverNames: valid.serverNames,
        upstreams: valid.upstreams,
        files,
        contentHash: filesHash(files),
        message: 'First',
        createdBy: 'user:default/alice',
      });

      // B saw the newest pods: its rebuild lands on top of A's, not dropped.
      membersB.current = [member('10.9.0.4')];
      expect(await b.refresh('edge-test')).toBe(true);
      expect(interleaved).toBe(true);
      const stored = (await store.getBundle('edge-test'))!;
      const memberFile = stored.files.find(
        f => f.path === 'k2/members/test/default/basket/app.conf',
      )!;
      expect(memberFile.content).toContain('server 10.9.0.4:8080');
      expect(memberFile.content).not.toContain('10.9.0.3');
      // The same view on both replicas builds the same version: nothing to store.
      membersA.current = [member('10.9.0.4')];
      expect(await a.refresh('edge-test')).toBe(false);
      a.stop();
      b.stop();
      await knex.destroy();
    },
  );
});
