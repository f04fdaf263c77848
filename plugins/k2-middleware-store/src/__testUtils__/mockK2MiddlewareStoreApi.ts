import { createApiMock } from '@backstage/frontend-test-utils';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { K2ApiError } from '@internal/plugin-k2-common';
import {
  K2MiddlewareEnvironmentPolicy,
  K2MiddlewareInstance,
  K2MiddlewareTemplate,
} from '@internal/plugin-k2-middleware-store-common';
import { minutesAgo } from '@internal/plugin-k2-react/testUtils';
import {
  K2MiddlewareStoreApi,
  k2MiddlewareStoreApiRef,
} from '../api/K2MiddlewareStoreApi';

/** A refusal as the Middleware store backend answers it. */
function refuse(statusCode: number, name: string, message: string): never {
  throw new K2ApiError(message, statusCode, { error: { name, message } });
}

const DAY = 86_400_000;
const inDays = (days: number) =>
  new Date(Date.now() + days * DAY).toISOString();

/**
 * Each mock numbers its instances' ids anew (`i-cache-3`): the permission framework's
 * client caches answers by resource ref (an instance's id for approvals), so one
 * test's answer must never be another's.
 */
let generation = 0;

/** The id of a fixture instance (`cache`, `db`, `old`, `stale`) in the newest mock. */
export const instanceId = (fixture: 'cache' | 'db' | 'old' | 'stale') =>
  `i-${fixture}-${generation}`;

/** The service the fixtures belong to until a tab asks for its own. */
const PLACEHOLDER = 'component:default/payment-gateway';

/** The password the connection route reads from the instance's Secret. */
export const REDIS_PASSWORD = 's3cr3t-redis-pw';

const redisParameters = {
  type: 'object',
  required: ['size'],
  properties: {
    size: { type: 'string', title: 'Size', default: 'small' },
    replicas: {
      type: 'integer',
      title: 'Replicas',
      minimum: 1,
      maximum: 5,
      default: 1,
    },
    storageClass: {
      type: 'string',
      title: 'Storage class',
      default: 'standard',
    },
    storageSize: {
      type: 'string',
      title: 'Storage size',
      pattern: '^[0-9]+(Mi|Gi|Ti)$',
      default: '1Gi',
    },
    mode: {
      type: 'string',
      title: 'Mode',
      enum: ['standalone', 'sentinel'],
      default: 'standalone',
      description: 'Sentinel runs three replicas with automatic failover',
    },
    maxmemoryPolicy: {
      type: 'string',
      title: 'Eviction policy',
      enum: ['noeviction', 'allkeys-lru'],
      default: 'allkeys-lru',
    },
  },
  // As the Redis template has it: Sentinel runs 3 or 5 replicas, standalone one.
  if: { properties: { mode: { const: 'sentinel' } } },
  then: { properties: { replicas: { enum: [3, 5] } } },
  else: { properties: { replicas: { const: 1 } } },
};

const presets = [
  { name: 'small', cpu: '500m', memory: '512Mi' },
  { name: 'medium', cpu: '1', memory: '2Gi' },
];

/** The store's templates: Redis 7 and 6 (6 upgrades to 7) and MySQL 8. */
export const TEMPLATES: K2MiddlewareTemplate[] = [
  {
    name: 'redis-7',
    product: 'redis',
    version: '7.2',
    title: 'Redis',
    description: 'In-memory key-value store, standalone or with Sentinel',
    category: 'cache',
    creates: [
      'ConfigMap',
      'Service',
      'StatefulSet',
      'PodDisruptionBudget',
      'Secret',
    ],
    upgradesTo: [],
    backup: true,
    readme: '# Redis 7\n\nConnect with `REDIS_HOST` and `REDIS_PASSWORD`.',
    parameters: redisParameters,
    presets,
    connection: [
      { name: 'REDIS_HOST', secret: false },
      { name: 'REDIS_PORT', secret: false },
      {
        name: 'REDIS_PASSWORD',
        secret: true,
        description: 'The default user’s password',
      },
    ],
    // Chinese for every field but the eviction policy, which falls back to English.
    i18n: {
      zh: {
        title: 'Redis 缓存',
        description: '内存键值存储，单机或带哨兵',
        readme: '# Redis 7\n\n用 `REDIS_HOST` 和 `REDIS_PASSWORD` 连接。',
        parameters: {
          size: { title: '规格' },
          replicas: { title: '副本数' },
          storageClass: { title: '存储类' },
          storageSize: { title: '存储容量' },
          mode: {
            title: '模式',
            description: '哨兵模式运行三个副本并自动故障转移',
            enum: { standalone: '单机', sentinel: '哨兵' },
          },
        },
        presets: { small: '小型', medium: '中型' },
        connection: { REDIS_PASSWORD: '默认用户的密码' },
      },
    },
  },
  {
    name: 'redis-6',
    product: 'redis',
    version: '6.2',
    title: 'Redis',
    description: 'In-memory key-value store, standalone or with Sentinel',
    category: 'cache',
    creates: ['ConfigMap', 'Service', 'StatefulSet', 'Secret'],
    upgradesTo: ['redis-7'],
    backup: true,
    readme: '# Redis 6',
    parameters: redisParameters,
    presets,
    connection: [
      { name: 'REDIS_HOST', secret: false },
      { name: 'REDIS_PASSWORD', secret: true },
    ],
  },
  {
    name: 'mysql-8',
    product: 'mysql',
    version: '8.0',
    title: 'MySQL',
    description: 'Relational database with a logical dump before deletion',
    category: 'database',
    creates: ['ConfigMap', 'Service', 'StatefulSet', 'Secret'],
    upgradesTo: [],
    backup: true,
    readme: '# MySQL 8',
    parameters: {
      type: 'object',
      properties: {
        size: { type: 'string', title: 'Size', default: 'small' },
        storageSize: { type: 'string', title: 'Storage size', default: '10Gi' },
      },
    },
    presets,
    connection: [
      { name: 'MYSQL_HOST', secret: false },
      { name: 'MYSQL_PASSWORD', secret: true },
    ],
  },
];

/** Test: 7 days by default, 30 at most, restorable 7 days; Production: approval, no expiry. */
export const ENVIRONMENTS: K2MiddlewareEnvironmentPolicy[] = [
  {
    name: 'test',
    title: 'Test',
    approvalRequired: false,
    ttlDays: 7,
    maxTtlDays: 30,
    reminderDays: 2,
    retentionDays: 7,
    storageClasses: [
      { name: 'standard', expandable: true },
      { name: 'local', expandable: false },
    ],
  },
  {
    name: 'prod',
    title: 'Production',
    approvalRequired: true,
    retentionDays: 30,
    storageClasses: [{ name: 'ceph-rbd', expandable: true }],
  },
];

const base = (
  over: Partial<K2MiddlewareInstance> &
    Pick<K2MiddlewareInstance, 'id' | 'name' | 'template' | 'state'>,
): K2MiddlewareInstance => {
  const template = TEMPLATES.find(t => t.name === over.template)!;
  const environment = over.environment ?? 'test';
  return {
    service: PLACEHOLDER,
    owner: 'group:default/payments-team',
    environment,
    cluster: environment === 'test' ? 'test-a' : 'prod-a',
    namespace: 'payments',
    product: template.product,
    version: template.version,
    category: template.category,
    parameters: {
      size: 'small',
      replicas: 1,
      storageClass: 'standard',
      storageSize: '1Gi',
    },
    createdBy: 'user:default/alice',
    createdAt: minutesAgo(600),
    bindings: [],
    entityRef: `resource:default/${environment}-${over.name}`,
    secretName: `${over.name}-credentials`,
    ...over,
  };
};

/**
 * The service's instances: `orders-cache` (Redis 7, Test, ready, expiring in a day and
 * a half, bound to the service), `ledger-db` (MySQL 8, Production, awaiting approval,
 * asked for by alice), `old-cache` (Redis 6, Test, deleted, restorable for 5 more
 * days) and `stale-cache` (Redis 7, Test, expired, its backup's retention over).
 */
function fixtures(): K2MiddlewareInstance[] {
  return [
    base({
      id: instanceId('cache'),
      name: 'orders-cache',
      template: 'redis-7',
      state: 'ready',
      expiresAt: inDays(1.5),
      expiring: true,
      renewals: 1,
      replicas: { desired: 1, ready: 1 },
      bindings: [PLACEHOLDER],
      events: [
        {
          at: minutesAgo(600),
          type: 'created',
          actor: 'user:default/alice',
          summary: 'Created redis-7 in test',
        },
        {
          at: minutesAgo(60),
          type: 'reminded',
          summary: 'Reminded payments-team: expires in 2 days',
        },
      ],
    }),
    base({
      id: instanceId('db'),
      name: 'ledger-db',
      template: 'mysql-8',
      environment: 'prod',
      state: 'awaiting-approval',
      parameters: { size: 'medium', storageSize: '50Gi' },
      approval: {
        requestedBy: 'user:default/alice',
        requestedAt: minutesAgo(30),
        reason: 'The ledger service needs its database',
      },
    }),
    base({
      id: instanceId('old'),
      name: 'old-cache',
      template: 'redis-6',
      state: 'deleted',
      backup: {
        savedAt: minutesAgo(2 * 24 * 60),
        reason: 'deleted',
        restorableUntil: inDays(5),
        volumes: ['data-old-cache-0'],
        dump: {
          job: 'old-cache-dump',
          volume: 'old-cache-backup',
          state: 'succeeded',
        },
      },
    }),
    base({
      id: instanceId('stale'),
      name: 'stale-cache',
      template: 'redis-7',
      state: 'expired',
      backup: {
        savedAt: minutesAgo(9 * 24 * 60),
        reason: 'expired',
        restorableUntil: inDays(-2),
        volumes: ['data-stale-cache-0'],
      },
    }),
  ];
}

/**
 * A `K2MiddlewareStoreApi` whose every method is a `jest.fn` over an in-memory store
 * that answers as the backend does (the fixtures above). The first service a tab asks
 * for owns the fixtures. Creating in Test starts `creating`; in Production the
 * instance waits for approval; a name in use in the environment is a 409. Deleting a
 * bound instance is a 409; restoring after the retention is a 409.
 */
export const createK2MiddlewareStoreApi = createApiMock(
  k2MiddlewareStoreApiRef,
  () => {
    generation += 1;
    let instances = fixtures();
    let owner: string | undefined;
    const adopt = (ref: string) => {
      if (owner) return;
      owner = ref;
      instances = instances.map(i => ({
        ...i,
        service: i.service === PLACEHOLDER ? ref : i.service,
        bindings: i.bindings.map(b => (b === PLACEHOLDER ? ref : b)),
      }));
    };
    const find = (id: string) => {
      const instance = instances.find(i => i.id === id);
      if (!instance) return refuse(404, 'NotFoundError', `No instance '${id}'`);
      return instance;
    };
    const update = (id: string, change: Partial<K2MiddlewareInstance>) => {
      const next = { ...find(id), ...change };
      instances = instances.map(i => (i.id === id ? next : i));
      return structuredClone(next);
    };
    const listed = (list: K2MiddlewareInstance[]) => ({
      items: structuredClone(list).map(({ events: _events, ...i }) => i),
    });
    const fake: K2MiddlewareStoreApi = {
      getTemplates: async () => ({
        // As the backend lists them: each language's title and description only.
        items: TEMPLATES.map(
          ({
            parameters: _p,
            presets: _s,
            connection: _c,
            readme: _r,
            i18n,
            ...t
          }) => ({
            ...t,
            ...(i18n && {
              i18n: Object.fromEntries(
                Object.entries(i18n).map(([language, text]) => [
                  language,
                  { title: text.title, description: text.description },
                ]),
              ),
            }),
          }),
        ),
      }),
      getTemplate: async name => {
        const template = TEMPLATES.find(t => t.name === name);
        if (!template) refuse(404, 'NotFoundError', `No template '${name}'`);
        return structuredClone(template);
      },
      getEnvironments: async () => ({ items: structuredClone(ENVIRONMENTS) }),
      getInstances: async (query = {}) =>
        listed(
          instances.filter(
            i =>
              (!query.owner || i.owner === query.owner) &&
              (!query.environment || i.environment === query.environment) &&
              (!query.state || i.state === query.state),
          ),
        ),
      getServiceInstances: async service => {
        const ref = stringifyEntityRef({ kind: 'component', ...service });
        adopt(ref);
        return listed(
          instances.filter(i => i.service === ref || i.bindings.includes(ref)),
        );
      },
      createInstance: async (service, input) => {
        const ref = stringifyEntityRef({ kind: 'component', ...service });
        if (
          instances.some(
            i => i.environment === input.environment && i.name === input.name,
          )
        ) {
          refuse(
            409,
            'ConflictError',
            `The name '${input.name}' is taken in ${input.environment}`,
          );
        }
        const policy = ENVIRONMENTS.find(e => e.name === input.environment)!;
        const created = base({
          id: `i-${input.name}`,
          name: input.name,
          template: input.template,
          environment: input.environment,
          service: ref,
          state: policy.approvalRequired ? 'awaiting-approval' : 'creating',
          parameters: { size: 'small', replicas: 1, ...input.parameters },
          createdAt: minutesAgo(0),
          ...(policy.ttlDays
            ? { expiresAt: inDays(input.ttlDays ?? policy.ttlDays) }
            : {}),
          ...(policy.approvalRequired
            ? {
                approval: {
                  requestedBy: 'user:default/alice',
                  requestedAt: minutesAgo(0),
                  ...(input.reason ? { reason: input.reason } : {}),
                },
              }
            : { replicas: { desired: 1, ready: 0 } }),
        });
        instances = [created, ...instances];
        return structuredClone(created);
      },
      getInstance: async id => structuredClone(find(id)),
      deleteInstance: async id => {
        const instance = find(id);
        if (instance.bindings.length > 0) {
          refuse(
            409,
            'ConflictError',
            `Instance '${instance.name}' is bound to ${instance.bindings.join(
              ', ',
            )}; unbind it first`,
          );
        }
        return update(id, { state: 'deleting' });
      },
      getConnection: async id => {
        const instance = find(id);
        return {
          host: `${instance.name}.${instance.namespace}.svc`,
          port: 6379,
          uri: `redis://:${REDIS_PASSWORD}@${instance.name}.${instance.namespace}.svc:6379`,
          env: [
            {
              name: 'REDIS_HOST',
              value: `${instance.name}.${instance.namespace}.svc`,
              secret: false,
            },
            { name: 'REDIS_PORT', value: '6379', secret: false },
            { name: 'REDIS_PASSWORD', value: REDIS_PASSWORD, secret: true },
          ],
        };
      },
      approveInstance: async (id, comment) => {
        const instance = find(id);
        return update(id, {
          state: 'creating',
          approval: {
            ...instance.approval!,
            decision: 'approved',
            decidedBy: 'user:default/carol',
            decidedAt: minutesAgo(0),
            ...(comment ? { comment } : {}),
          },
        });
      },
      rejectInstance: async (id, comment) => {
        const instance = find(id);
        return update(id, {
          state: 'rejected',
          approval: {
            ...instance.approval!,
            decision: 'rejected',
            decidedBy: 'user:default/carol',
            decidedAt: minutesAgo(0),
            ...(comment ? { comment } : {}),
          },
        });
      },
      renewInstance: async (id, days) => {
        if (days > 30) {
          refuse(
            400,
            'InputError',
            'Renewal passes the cap of 30 days in test',
          );
        }
        const instance = find(id);
        return update(id, {
          expiresAt: inDays(days),
          expiring: false,
          renewals: (instance.renewals ?? 0) + 1,
        });
      },
      resizeInstance: async (id, input) => {
        const instance = find(id);
        return update(id, {
          state: 'updating',
          parameters: { ...instance.parameters, ...input },
        });
      },
      upgradeInstance: async (id, template) => {
        const target = TEMPLATES.find(t => t.name === template)!;
        return update(id, {
          state: 'updating',
          template,
          version: target.version,
        });
      },
      restoreInstance: async id => {
        const instance = find(id);
        if (
          !instance.backup ||
          Date.parse(instance.backup.restorableUntil) < Date.now()
        ) {
          refuse(
            409,
            'ConflictError',
            `The backup of '${instance.name}' is gone`,
          );
        }
        return update(id, { state: 'restoring' });
      },
      bindInstance: async (id, service) => {
        const ref = stringifyEntityRef({ kind: 'component', ...service });
        const instance = find(id);
        return update(id, { bindings: [...instance.bindings, ref] });
      },
      unbindInstance: async (id, service) => {
        const ref = stringifyEntityRef({ kind: 'component', ...service });
        const instance = find(id);
        return update(id, {
          bindings: instance.bindings.filter(b => b !== ref),
        });
      },
    };
    return Object.fromEntries(
      Object.entries(fake).map(([name, method]) => [
        name,
        jest.fn(method as (...args: unknown[]) => unknown),
      ]),
    ) as unknown as jest.Mocked<K2MiddlewareStoreApi>;
  },
);
