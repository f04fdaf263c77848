import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ConfigReader } from '@backstage/config';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import {
  K2NewActivity,
  k2ReleaseApprovePermission,
  k2ServiceScalePermission,
} from '@internal/plugin-k2-common';
import { K2ActivityLog } from '../activity';
import { K2EnvironmentRegistry } from '../environments';
import { actorOf, ActionAccess, Caller, K2ActionGate } from './K2ActionGate';

const SERVICE = 'component:default/payment-gateway';

function component(name: string, annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'group:default/payments', lifecycle: 'x' },
  };
}

/** The catalog: the K2 service, and a component K2 does not release. */
const entities = [
  component('payment-gateway', { 'k2.io/environments': 'test,prod' }),
  component('wiki', {}),
];

/** `test` and `prod` (production) environments, as the registry reads them from config. */
const environments = K2EnvironmentRegistry.fromConfig(
  new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            { name: 'test-a', url: 'http://127.0.0.1:1' },
            { name: 'prod-a', url: 'http://127.0.0.1:2' },
          ],
        },
      ],
    },
    k2: {
      environments: [
        { name: 'test', clusters: [{ name: 'test-a' }] },
        { name: 'prod', production: true, clusters: [{ name: 'prod-a' }] },
      ],
    },
  }),
);

const scale: ActionAccess = {
  permission: k2ServiceScalePermission,
  verb: 'scale',
};

const caller: Caller = {
  credentials: mockCredentials.user('user:default/alice'),
};

/** A K2ActivityLog that keeps what it is given. */
class RecordingActivityLog implements K2ActivityLog {
  readonly entries: K2NewActivity[] = [];
  async record(entry: K2NewActivity) {
    this.entries.push(entry);
  }
  async write(entry: K2NewActivity) {
    this.entries.push(entry);
  }
  async recordAll(entries: K2NewActivity[]) {
    this.entries.push(...entries);
  }
}

function setUp(
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
  catalog = catalogServiceMock({ entities }),
) {
  const event = {
    success: jest.fn(async () => {}),
    fail: jest.fn(async () => {}),
  };
  const auditor = mockServices.auditor.mock({
    createEvent: jest.fn(async () => event),
  });
  const permissions = mockServices.permissions.mock({
    authorize: jest.fn(async requests => requests.map(() => ({ result }))),
  });
  const activity = new RecordingActivityLog();
  const gate = new K2ActionGate({
    permissions,
    auditor,
    activity,
    environments,
    catalog,
    auth: mockServices.auth(),
  });
  return { gate, auditor, event, permissions, activity };
}

describe('K2ActionGate.audited', () => {
  it('runs an allowed action and records it as succeeded, with its summary and release', async () => {
    const { gate, event, activity } = setUp(AuthorizeResult.ALLOW);
    const action = jest.fn(async () => ({
      releaseId: 'rel-1',
      summary: 'Scaled to 3 replicas',
      replicas: 3,
    }));

    const result = await gate.audited(
      caller,
      'scale',
      { service: SERVICE, environment: 'test', summary: 'Scale' },
      scale,
      action,
    );

    expect(action).toHaveBeenCalledTimes(1);
    expect(result.replicas).toBe(3);
    expect(activity.entries).toEqual([
      {
        service: SERVICE,
        environment: 'test',
        actor: 'user:default/alice',
        action: 'scale',
        summary: 'Scaled to 3 replicas',
        result: 'succeeded',
        releaseId: 'rel-1',
      },
    ]);
    expect(event.success).toHaveBeenCalledWith({
      meta: { releaseId: 'rel-1' },
    });
    expect(event.fail).not.toHaveBeenCalled();
  });

  it("keeps the entry's summary when the action returns none", async () => {
    const { gate, activity } = setUp(AuthorizeResult.ALLOW);
    await gate.audited(
      caller,
      'restart',
      { service: SERVICE, environment: 'test', summary: 'Restart all pods' },
      scale,
      async () => ({}),
    );
    expect(activity.entries).toHaveLength(1);
    expect(activity.entries[0].summary).toBe('Restart all pods');
    expect(activity.entries[0].releaseId).toBeUndefined();
  });

  it.each([
    ['a production environment', 'high', 'prod'],
    ['another environment', 'medium', 'test'],
    ['no environment', 'medium', undefined],
    ['an environment the model does not know', 'medium', 'staging'],
  ])(
    'audits an action in %s with severity %s',
    async (_, severityLevel, environment) => {
      const { gate, auditor } = setUp(AuthorizeResult.ALLOW);
      const request = { method: 'POST' } as Caller['request'];
      await gate.audited(
        { ...caller, request },
        'scale',
        { service: SERVICE, environment, summary: 'Scale' },
        scale,
        async () => ({}),
      );
      expect(auditor.createEvent).toHaveBeenCalledTimes(1);
      expect(auditor.createEvent).toHaveBeenCalledWith({
        eventId: 'scale',
        severityLevel,
        request,
        meta: { service: SERVICE, environment: environment ?? null },
      });
    },
  );

  it('never runs a refused action, and audits and logs the refusal', async () => {
    const { gate, event, activity } = setUp(AuthorizeResult.DENY);
    const action = jest.fn(async () => ({}));

    const outcome = gate.audited(
      caller,
      'scale',
      { service: SERVICE, environment: 'prod', summary: 'Scale' },
      scale,
      action,
    );

    await expect(outcome).rejects.toThrow(NotAllowedError);
    await expect(outcome).rejects.toThrow(`You may not scale ${SERVICE}`);
    expect(action).not.toHaveBeenCalled();
    expect(activity.entries).toEqual([
      {
        service: SERVICE,
        environment: 'prod',
        actor: 'user:default/alice',
        action: 'scale',
        summary: `Refused: You may not scale ${SERVICE}`,
        result: 'failed',
      },
    ]);
    expect(event.fail).toHaveBeenCalledTimes(1);
    expect(event.fail.mock.calls[0]).toEqual([
      { error: expect.any(NotAllowedError) },
    ]);
    expect(event.success).not.toHaveBeenCalled();
  });

  it('refuses with the access refusal when one is given', async () => {
    const { gate, activity } = setUp(AuthorizeResult.DENY);
    await expect(
      gate.audited(
        caller,
        'release-approve',
        { service: SERVICE, environment: 'prod', summary: 'Approve rel-7' },
        {
          permission: k2ReleaseApprovePermission,
          verb: 'approve releases of',
          resourceRef: 'rel-7',
          refusal: 'Only the approvers of prod may approve rel-7',
        },
        async () => ({}),
      ),
    ).rejects.toThrow(
      new NotAllowedError('Only the approvers of prod may approve rel-7'),
    );
    expect(activity.entries.map(e => e.summary)).toEqual([
      'Refused: Only the approvers of prod may approve rel-7',
    ]);
  });

  it('lets the error of a failing action through unchanged, logging it as failed', async () => {
    const { gate, event, activity } = setUp(AuthorizeResult.ALLOW);
    const error = new Error('the cluster said no');

    await expect(
      gate.audited(
        caller,
        'scale',
        { service: SERVICE, environment: 'test', summary: 'Scale to 3' },
        scale,
        async () => {
          throw error;
        },
      ),
    ).rejects.toBe(error);

    expect(activity.entries).toEqual([
      expect.objectContaining({
        result: 'failed',
        summary: 'Failed (Error): the cluster said no',
      }),
    ]);
    expect(event.fail).toHaveBeenCalledWith({ error });
    expect(event.success).not.toHaveBeenCalled();
  });

  it('cuts a summary longer than 2000 characters to 2000', async () => {
    const { gate, activity } = setUp(AuthorizeResult.ALLOW);
    const long = 'x'.repeat(2500);
    await gate.audited(
      caller,
      'scale',
      { service: SERVICE, summary: 'Scale' },
      scale,
      async () => ({ summary: long }),
    );
    expect(activity.entries[0].summary).toBe(long.slice(0, 2000));
  });

  it('cuts a long failure summary to 2000 characters too', async () => {
    const { gate, activity } = setUp(AuthorizeResult.ALLOW);
    await expect(
      gate.audited(
        caller,
        'scale',
        { service: SERVICE, summary: 'Scale' },
        scale,
        async () => {
          throw new Error('y'.repeat(2500));
        },
      ),
    ).rejects.toThrow();
    expect(activity.entries[0].summary).toHaveLength(2000);
    expect(activity.entries[0].summary.startsWith('Failed (Error): yyy')).toBe(
      true,
    );
  });

  // Issue 14: a refused caller must not write its own text into the activity log.
  const image = `evil.example.com/${'a'.repeat(5000)}:<script>`;
  const release = {
    service: SERVICE,
    environment: 'prod',
    summary: `Release ${image} to prod`,
  };

  it('logs a refusal without the text of the request', async () => {
    const { gate, activity } = setUp(AuthorizeResult.DENY);
    await expect(
      gate.audited(caller, 'release-create', release, scale, async () => ({})),
    ).rejects.toThrow(NotAllowedError);
    expect(activity.entries).toEqual([
      {
        service: SERVICE,
        environment: 'prod',
        actor: 'user:default/alice',
        action: 'release-create',
        summary: `Refused: You may not scale ${SERVICE}`,
        result: 'failed',
      },
    ]);
  });

  it('logs bad input by the error name only: its message may quote the request', async () => {
    const { gate, activity } = setUp(AuthorizeResult.ALLOW);
    await expect(
      gate.audited(caller, 'release-create', release, scale, async () => {
        throw new InputError(`Invalid image '${image}'`);
      }),
    ).rejects.toThrow(InputError);
    expect(activity.entries.map(e => e.summary)).toEqual([
      'Failed (InputError)',
    ]);
  });
});

describe('K2ActionGate: refusals name only what K2 knows', () => {
  it.each([
    ['a service the catalog does not hold', 'component:default/made-up-name'],
    ['a component that is not a K2 service', 'component:default/wiki'],
    ['a name that is no entity ref', 'component:default/'],
  ])(
    'writes no activity entry for a refusal about %s, and audits it',
    async (_, service) => {
      const { gate, event, activity, auditor } = setUp(AuthorizeResult.DENY);
      const action = jest.fn(async () => ({}));
      await expect(
        gate.audited(
          caller,
          'release-create',
          { service, environment: 'test', summary: 'Release x to test' },
          scale,
          action,
        ),
      ).rejects.toThrow(new NotAllowedError(`You may not scale ${service}`));
      expect(action).not.toHaveBeenCalled();
      // Nobody can fill another page's log, or the log itself, with names they chose...
      expect(activity.entries).toEqual([]);
      // ...while the audit trail keeps the attempt, with the name asked for.
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'release-create',
          meta: { service, environment: 'test' },
        }),
      );
      expect(event.fail).toHaveBeenCalledWith({
        error: expect.any(NotAllowedError),
      });
    },
  );

  it('writes no entry when an allowed action fails for a service the catalog does not hold', async () => {
    const { gate, activity, event } = setUp(AuthorizeResult.ALLOW);
    await expect(
      gate.audited(
        caller,
        'scale',
        { service: 'component:default/gone', summary: 'Scale' },
        scale,
        async () => {
          throw new Error('No such service component:default/gone');
        },
      ),
    ).rejects.toThrow('No such service');
    expect(activity.entries).toEqual([]);
    expect(event.fail).toHaveBeenCalledTimes(1);
  });

  it("logs a known service's refusal under the catalog's ref, without an environment the model does not know", async () => {
    const { gate, activity } = setUp(AuthorizeResult.DENY);
    const environment = `<img src=x>${'e'.repeat(300)}`;
    await expect(
      gate.audited(
        caller,
        'release-create',
        {
          service: 'component:default/Payment-Gateway',
          environment,
          summary: 'Release',
        },
        scale,
        async () => ({}),
      ),
    ).rejects.toThrow(NotAllowedError);
    expect(activity.entries).toEqual([
      {
        service: SERVICE,
        environment: undefined,
        actor: 'user:default/alice',
        action: 'release-create',
        summary: 'Refused: You may not scale component:default/Payment-Gateway',
        result: 'failed',
      },
    ]);
  });

  it('still refuses, with its own error, when the catalog cannot say whether the service exists', async () => {
    const catalog = catalogServiceMock({ entities });
    jest
      .spyOn(catalog, 'getEntityByRef')
      .mockRejectedValue(new Error('catalog unavailable'));
    const { gate, activity, event } = setUp(AuthorizeResult.DENY, catalog);
    await expect(
      gate.audited(
        caller,
        'scale',
        { service: SERVICE, environment: 'test', summary: 'Scale' },
        scale,
        async () => ({}),
      ),
    ).rejects.toThrow(new NotAllowedError(`You may not scale ${SERVICE}`));
    expect(activity.entries).toEqual([]);
    expect(event.fail).toHaveBeenCalledTimes(1);
  });
});

describe('K2ActionGate.authorize', () => {
  it('asks about the service for a resource permission', async () => {
    const { gate, permissions } = setUp(AuthorizeResult.ALLOW);
    await gate.authorize(SERVICE, caller, scale);
    expect(permissions.authorize).toHaveBeenCalledWith(
      [{ permission: k2ServiceScalePermission, resourceRef: SERVICE }],
      { credentials: caller.credentials },
    );
  });

  it('asks about access.resourceRef when one is given', async () => {
    const { gate, permissions } = setUp(AuthorizeResult.ALLOW);
    await gate.authorize(SERVICE, caller, {
      permission: k2ReleaseApprovePermission,
      verb: 'approve',
      resourceRef: 'rel-42',
    });
    expect(permissions.authorize).toHaveBeenCalledWith(
      [{ permission: k2ReleaseApprovePermission, resourceRef: 'rel-42' }],
      { credentials: caller.credentials },
    );
  });

  it('asks about a basic permission without a resource ref', async () => {
    const { gate, permissions } = setUp(AuthorizeResult.ALLOW);
    const basic = createPermission({
      name: 'k2.test.basic',
      attributes: { action: 'read' },
    });
    await gate.authorize('the cluster health', caller, {
      permission: basic,
      verb: 'read',
    });
    expect(permissions.authorize).toHaveBeenCalledWith(
      [{ permission: basic }],
      { credentials: caller.credentials },
    );
  });

  it('throws NotAllowedError naming the verb and the service when denied', async () => {
    const { gate } = setUp(AuthorizeResult.DENY);
    await expect(gate.authorize(SERVICE, caller, scale)).rejects.toThrow(
      new NotAllowedError(`You may not scale ${SERVICE}`),
    );
  });
});

describe('actorOf', () => {
  it('names a user by their entity ref', () => {
    expect(actorOf(mockCredentials.user('user:default/bob'))).toBe(
      'user:default/bob',
    );
  });

  it('names a service by its subject', () => {
    expect(actorOf(mockCredentials.service('plugin:k2-deploy'))).toBe(
      'service:plugin:k2-deploy',
    );
  });

  it('names an unauthenticated caller anonymous', () => {
    expect(actorOf(mockCredentials.none())).toBe('anonymous');
  });
});
