import { createApiMock } from '@backstage/frontend-test-utils';
import {
  K2TrafficSiteChange,
  K2TrafficSiteVersion,
} from '@internal/plugin-k2-traffic-common';
import { K2TrafficApi, k2TrafficApiRef } from '../api/K2TrafficApi';
import { clusters, templates, version } from './fixtures';

/**
 * A `K2TrafficApi` whose every method is a `jest.fn` over an in-memory history: `test`
 * has versions #1 (one member) and #2 (a second member, 10.20.0.8); a publish or a
 * rollback appends a version and becomes the current one. The site view answers one
 * stable pod (127.1.0.7) and one canary pod (127.1.0.9). `prod` (approval required)
 * has change #7 by erin waiting for approval (#2's site with 10.20.0.7 at weight 3
 * instead of 2, and a VM member 10.30.0.4): approving it publishes it as the next
 * version, rejecting or withdrawing it drops it. Override a method with
 * `createK2TrafficApi({ publish: ... })` or `api.publish.mockRejectedValue(...)`.
 */
export const createK2TrafficApi = createApiMock(k2TrafficApiRef, () => {
  const one = version(1);
  const history: K2TrafficSiteVersion[] = [
    version(2, {
      site: {
        ...one.site,
        upstreams: [
          {
            ...one.site.upstreams[0],
            members: [
              ...(one.site.upstreams[0].members ?? []),
              { address: '10.20.0.8', port: 8080, backup: true },
            ],
          },
        ],
      },
    }),
    one,
  ];
  let waiting: K2TrafficSiteChange | undefined = {
    id: 7,
    service: 'component:default/payment-gateway',
    environment: 'prod',
    status: 'waiting',
    requestedBy: 'user:default/erin',
    requestedAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    message: 'Add the VM member',
    contentHash: `sha256:${'7'.repeat(64)}`,
    site: {
      ...history[0].site,
      upstreams: [
        {
          ...history[0].site.upstreams[0],
          members: [
            { address: '10.20.0.7', port: 8080, weight: 3 },
            { address: '10.20.0.8', port: 8080, backup: true },
            { address: '10.30.0.4', port: 8080 },
          ],
        },
      ],
    },
  };
  const find = (number: number) => history.find(v => v.number === number)!;
  const append = (site: K2TrafficSiteVersion['site'], extra: object) => {
    const next = version(history[0].number + 1, { site, ...extra });
    history.unshift(next);
    return next;
  };
  const fake: K2TrafficApi = {
    getTemplates: async () => templates(),
    getClusters: async () => clusters(),
    getSite: async (service, environment) => ({
      service: `component:default/${service.name}`,
      environment,
      cluster: 'edge-test',
      podMembers: [
        {
          address: '127.1.0.7',
          port: 8080,
          cluster: 'test',
          pod: `${service.name}-7d9f-abcde`,
        },
      ],
      canaryMembers: [
        {
          address: '127.1.0.9',
          port: 8080,
          cluster: 'test',
          pod: `${service.name}-canary-5c8d-fghij`,
        },
      ],
      testDomain: `${service.name}.${environment}.k2.example.com`,
      domains: [
        `${service.name}.${environment}.k2.example.com`,
        ...(history[0].site.domains ?? []),
      ],
      current: history[0],
    }),
    getVersions: async (_service, environment) => ({
      items: history.map(({ site: _s, files: _f, ...summary }) => summary),
      total: history.length,
      ...(environment === 'prod' && waiting ? { waiting } : {}),
    }),
    getVersion: async (_service, _environment, number) => find(number),
    compareVersions: async (_service, _environment, from, to) => ({
      from: find(from),
      to: find(to),
    }),
    publish: async (_service, _environment, input) =>
      append(input.site, { message: input.message }),
    rollback: async (_service, _environment, number) =>
      append(find(number).site, {
        message: `Roll back to #${number}`,
        rollbackOf: number,
      }),
    approve: async () => {
      const change = waiting!;
      waiting = undefined;
      return append(change.site, {
        message: change.message,
        author: change.requestedBy,
        approvedBy: 'user:default/carol',
      });
    },
    reject: async (_service, _environment, _id, input) => {
      const change = waiting!;
      waiting = undefined;
      return { ...change, status: 'rejected' as const, reason: input?.reason };
    },
    withdraw: async (_service, _environment, _id, input) => {
      const change = waiting!;
      waiting = undefined;
      return {
        ...change,
        status: 'withdrawn' as const,
        decidedBy: change.requestedBy,
        reason: input?.reason,
      };
    },
  };
  // Every method a jest.fn over the fake, so tests can assert on calls and override.
  return Object.fromEntries(
    Object.entries(fake).map(([name, method]) => [
      name,
      jest.fn(method as (...args: unknown[]) => unknown),
    ]),
  ) as unknown as jest.Mocked<K2TrafficApi>;
});
