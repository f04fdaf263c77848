import {
  AuditorServiceCreateEventOptions,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import request from 'supertest';
import {
  as,
  BOB,
  DAVE,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(90_000);

/** Every audit event the backend starts, with how it ended. */
const audits: Array<
  Pick<AuditorServiceCreateEventOptions, 'eventId' | 'meta'> & {
    outcome?: 'success' | 'fail';
  }
> = [];

// The shared test backend with an auditor that keeps its events, so the test sees
// what the audit trail records.
jest.mock('@backstage/backend-test-utils', () => {
  const actual = jest.requireActual('@backstage/backend-test-utils');
  return {
    ...actual,
    startTestBackend: (options: { features: unknown[] }) =>
      actual.startTestBackend({
        ...options,
        features: [
          ...options.features,
          createServiceFactory({
            service: coreServices.auditor,
            deps: {},
            factory: () => ({
              async createEvent(event: AuditorServiceCreateEventOptions) {
                const audit: (typeof audits)[number] = {
                  eventId: event.eventId,
                  meta: event.meta,
                };
                audits.push(audit);
                return {
                  async success() {
                    audit.outcome = 'success';
                  },
                  async fail() {
                    audit.outcome = 'fail';
                  },
                };
              },
            }),
          }),
        ],
      }),
  };
});

const checkout = serviceEntity('checkout', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
  'k2.io/image': 'registry.k2.local/shop/checkout',
});

describe('refusals in the activity log, through the Deploy API', () => {
  const bed = useK2DeployTestBed({
    clusters: ['test'],
    backend: {
      entities: [checkout],
      k2: {
        environments: [testEnvironment('test')],
      },
    },
  });

  /** What a service page's activity log shows. */
  async function activityOf(name: string) {
    const res = await request(bed.backend.server)
      .get(`/api/k2/services/default/${name}/activity?limit=100`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, unknown>>;
  }

  const post = (path: string, user: string, body: object) =>
    request(bed.backend.server)
      .post(`/api/k2-deploy/services/default/${path}`)
      .set(as(user))
      .send(body);

  it("logs another team's refused release on the service's own page", async () => {
    const res = await post('checkout/releases', BOB, {
      environment: 'test',
      image: '6.6.6',
    });
    expect(res.status).toBe(403);
    expect(await activityOf('checkout')).toEqual([
      expect.objectContaining({
        service: 'component:default/checkout',
        environment: 'test',
        actor: BOB,
        action: 'release-create',
        result: 'failed',
        summary: 'Refused: You may not release component:default/checkout',
      }),
    ]);
  });

  it('writes nothing for services the catalog does not hold, whoever asks, and audits every attempt', async () => {
    const made = 'no-such-service-and-a-message-for-its-readers';
    const attempts = [
      // Another team: refused by the policy.
      await post(`${made}/releases`, BOB, {
        environment: 'test',
        image: '1.0.0',
      }),
      await post(`${made}/environments/test/scale`, BOB, { replicas: 3 }),
      await post(`${made}/environments/test/restart`, BOB, {}),
      // A platform admin, whom the policy allows: no such service.
      await post(`${made}/releases`, DAVE, {
        environment: 'test',
        image: '1.0.0',
      }),
    ];
    expect(attempts.map(r => r.status)).toEqual([403, 403, 403, 404]);
    expect(attempts[3].body.error.message).toBe(
      `No such service component:default/${made}`,
    );

    // No page shows them, under the made-up name or any other.
    expect(await activityOf(made)).toEqual([]);
    expect(await activityOf('checkout')).toHaveLength(1);

    // The audit trail has each attempt, failed, with the name that was asked for.
    const service = `component:default/${made}`;
    const attempt = (eventId: string) => ({
      eventId,
      meta: { service, environment: 'test' },
      outcome: 'fail',
    });
    expect(audits.filter(a => a.meta?.service === service)).toEqual([
      attempt('release-create'),
      attempt('scale'),
      attempt('restart'),
      attempt('release-create'),
    ]);
  });
});
