import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@backstage/errors';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import YAML from 'yaml';
import {
  generateSecretData,
  InstanceContext,
  MiddlewareTemplate,
  renderInstance,
  resolveParameters,
  TemplateRegistry,
} from '.';

const ctx: InstanceContext = {
  id: '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
  name: 'orders-cache',
  namespace: 'payments',
  environment: 'test',
  service: 'component:default/payment-gateway',
  owner: 'group:default/payments-team',
};

/** Kubernetes' own schemas for every kind a template may create. */
const MODELS: Record<string, { validate(o: unknown): void }> = {
  ConfigMap: { validate: o => new ConfigMap(o as any).validate() },
  Service: { validate: o => new Service(o as any).validate() },
  StatefulSet: { validate: o => new StatefulSet(o as any).validate() },
  PodDisruptionBudget: {
    validate: o => new PodDisruptionBudget(o as any).validate(),
  },
  Job: { validate: o => new Job(o as any).validate() },
  Secret: { validate: o => new Secret(o as any).validate() },
};

/** Non-default parameters for each built-in template. */
const NON_DEFAULT: Record<string, Record<string, unknown>> = {
  'redis-7': {
    mode: 'sentinel',
    replicas: 3,
    size: 'medium',
    storageClass: 'ceph-rbd',
    storageSize: '8Gi',
    maxmemoryPolicy: 'allkeys-lru',
  },
  'mysql-8': {
    size: 'large',
    storageClass: 'cephfs',
    storageSize: '50Gi',
    database: 'orders',
    username: 'orders_rw',
    maxConnections: 800,
    lowerCaseTableNames: true,
  },
  'kafka-3': {
    replicas: 3,
    size: 'medium',
    storageSize: '100Gi',
    retentionHours: 24,
    autoCreateTopics: false,
  },
  'redis-6': {
    mode: 'sentinel',
    replicas: 5,
    size: 'large',
    appendfsync: 'always',
  },
  'zookeeper-3': { replicas: 5, size: 'medium', maxClientConnections: 200 },
  'pika-3': { size: 'large', databases: 4, compression: 'zstd' },
  'rabbitmq-3': { replicas: 3, size: 'medium', maxConnections: 10000 },
};

function expectValidAndOwned(template: MiddlewareTemplate, objects: any[]) {
  for (const object of objects) {
    const where = `${template.name} ${object.kind}/${object.metadata.name}`;
    expect({ where, model: MODELS[object.kind] !== undefined }).toEqual({
      where,
      model: true,
    });
    MODELS[object.kind].validate(object);
    expect(object.metadata.namespace).toBe('payments');
    expect(object.metadata.name).toMatch(/^orders-cache(-|$)/);
    expect(object.metadata.labels).toEqual(
      expect.objectContaining({
        'k2.io/middleware': 'orders-cache',
        'app.kubernetes.io/managed-by': 'k2',
        'k2.io/environment': 'test',
      }),
    );
    const text = JSON.stringify(object);
    expect(text).not.toContain('k2.io/service');
    expect(text).not.toContain('backstage.io/kubernetes-id');
    expect(text).not.toContain('${{');
  }
}

/**
 * What of a template has no text in the language: the title, description and readme,
 * each parameter's title and description, each preset and each connection env var.
 */
function untranslated(template: MiddlewareTemplate, language: 'zh') {
  const text = template.i18n[language] ?? {};
  const missing: string[] = [];
  for (const field of ['title', 'description', 'readme'] as const) {
    if (!text[field]) missing.push(field);
  }
  for (const name of Object.keys(template.parameters.properties ?? {})) {
    if (!text.parameters?.[name]?.title) missing.push(`${name}.title`);
    if (!text.parameters?.[name]?.description) {
      missing.push(`${name}.description`);
    }
  }
  for (const preset of template.presets) {
    if (!text.presets?.[preset.name]) missing.push(`presets.${preset.name}`);
  }
  for (const env of template.connection) {
    if (!text.connection?.[env.name]) missing.push(`connection.${env.name}`);
  }
  return missing;
}

describe('built-in templates', () => {
  let registry: TemplateRegistry;

  beforeAll(async () => {
    registry = await TemplateRegistry.builtIn();
  });

  it('offers the six products, newest version of each product first', () => {
    expect(registry.list().map(t => t.name)).toEqual([
      'kafka-3',
      'mysql-8',
      'pika-3',
      'rabbitmq-3',
      'redis-7',
      'redis-6',
      'zookeeper-3',
    ]);
    expect(registry.get('redis-6')!.upgradesTo).toEqual(['redis-7']);
    expect(registry.get('redis-7')).toMatchObject({
      product: 'redis',
      category: 'cache',
      backup: true,
      creates: [
        'Secret',
        'ConfigMap',
        'Service',
        'StatefulSet',
        'PodDisruptionBudget',
      ],
      presets: [
        { name: 'small', cpu: '250m', memory: '512Mi' },
        { name: 'medium', cpu: '1', memory: '2Gi' },
        { name: 'large', cpu: '2', memory: '8Gi' },
      ],
    });
    expect(registry.get('mysql-8')!.backup).toBe(true);
    expect(registry.get('kafka-3')!.backup).toBe(false);
    expect(registry.get('nope')).toBeUndefined();
  });

  it.each(Object.keys(NON_DEFAULT))(
    '%s renders with its defaults into objects Kubernetes’ schemas accept',
    name => {
      const template = registry.get(name)!;
      const parameters = resolveParameters(template);
      const defaults = Object.fromEntries(
        Object.entries(template.parameters.properties!)
          .filter(([key]) => key !== 'storageClass')
          .map(([key, property]) => [key, (property as any).default]),
      );
      expect(parameters).toEqual(defaults);
      const rendered = renderInstance(template, ctx, parameters);
      expectValidAndOwned(template, [...rendered.objects, rendered.secret]);
      expect(rendered.secret).toMatchObject({
        kind: 'Secret',
        metadata: { name: 'orders-cache-credentials' },
      });
      expect(rendered.secret.data).toBeUndefined();
      expect(rendered.workloads).toEqual([
        { kind: 'StatefulSet', name: 'orders-cache', replicas: 1 },
      ]);
      expect(rendered.dataVolumes).toEqual(['data-orders-cache-0']);
      expect(rendered.connection.host).toBe('orders-cache.payments.svc');
      const sts = rendered.objects.find(o => o.kind === 'StatefulSet')!;
      const claim = sts.spec.volumeClaimTemplates[0].spec;
      expect(claim.storageClassName).toBeUndefined();
      expect(claim.resources.requests.storage).toBe(parameters.storageSize);
      const main = sts.spec.template.spec.containers[0];
      expect(main.resources.limits).toEqual({
        cpu: template.presets[0].cpu,
        memory: template.presets[0].memory,
      });
      expect(main.readinessProbe).toBeDefined();
      expect(main.livenessProbe).toBeDefined();
      expect(sts.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(rendered.objects.some(o => o.kind === 'PodDisruptionBudget')).toBe(
        false,
      );
      expect(rendered.connection.env.map(e => e.name)).toEqual(
        template.connection
          .filter(c => !c.description?.includes('Sentinel only'))
          .map(c => c.name),
      );
      for (const env of rendered.connection.env) {
        expect(typeof (env.value ?? env.secretKey)).toBe('string');
      }
    },
  );

  it.each(['mysql-8', 'redis-7'])(
    '%s has a dump Job writing to the claim it is given',
    name => {
      const template = registry.get(name)!;
      const rendered = renderInstance(
        template,
        ctx,
        resolveParameters(template),
      );
      const job = rendered.dumpJob!({
        jobName: 'orders-cache-dump',
        claimName: 'orders-cache-backup',
      });
      expectValidAndOwned(template, [job]);
      expect(job.spec.template.spec.volumes).toContainEqual({
        name: 'backup',
        persistentVolumeClaim: { claimName: 'orders-cache-backup' },
      });
    },
  );

  it('has every text of every template in Chinese', () => {
    for (const template of registry.list()) {
      expect({
        template: template.name,
        untranslated: untranslated(template, 'zh'),
      }).toEqual({ template: template.name, untranslated: [] });
      const zh = template.i18n.zh!;
      // Chinese, not a copy of the English.
      expect(zh.description).toMatch(/[\u4e00-\u9fff]/);
      expect(zh.readme).toMatch(/[\u4e00-\u9fff]/);
      for (const [name, text] of Object.entries(zh.parameters!)) {
        expect({ name, description: text.description }).toEqual({
          name,
          description: expect.stringMatching(/[\u4e00-\u9fff]/),
        });
      }
    }
    expect(registry.get('redis-7')!.i18n.zh!.parameters!.mode).toEqual({
      title: '模式',
      description:
        '单机（一个服务器）或哨兵（一个主节点、若干从节点，并自动故障转移）。',
      enum: { standalone: '单机', sentinel: '哨兵' },
    });
  });

  it('gives a dump Job only to the templates with backup', () => {
    const withDump = registry
      .list()
      .filter(
        t => renderInstance(t, ctx, resolveParameters(t)).dumpJob !== undefined,
      );
    expect(withDump.map(t => t.name)).toEqual([
      'mysql-8',
      'redis-7',
      'redis-6',
    ]);
    expect(registry.list().filter(t => t.backup)).toEqual(withDump);
  });

  it.each(Object.entries(NON_DEFAULT))(
    '%s renders other parameters where they belong',
    (name, input) => {
      const template = registry.get(name)!;
      const parameters = resolveParameters(template, input);
      const rendered = renderInstance(template, ctx, parameters);
      expectValidAndOwned(template, rendered.objects);
      const replicas = Number(parameters.replicas);
      const sts = rendered.objects.find(o => o.kind === 'StatefulSet')!;
      expect(sts.spec.replicas).toBe(replicas);
      expect(rendered.dataVolumes).toHaveLength(replicas);
      const pdb = rendered.objects.find(o => o.kind === 'PodDisruptionBudget');
      expect(pdb !== undefined).toBe(replicas > 1);
      const preset = template.presets.find(p => p.name === input.size)!;
      expect(sts.spec.template.spec.containers[0].resources.requests).toEqual({
        cpu: preset.cpu,
        memory: preset.memory,
      });
      const claim = sts.spec.volumeClaimTemplates[0].spec;
      expect(claim.storageClassName).toBe(input.storageClass);
      expect(claim.resources.requests.storage).toBe(parameters.storageSize);
    },
  );

  it('puts Redis with Sentinel behind Sentinel’s port with a majority quorum', () => {
    const template = registry.get('redis-7')!;
    const rendered = renderInstance(
      template,
      ctx,
      resolveParameters(template, { mode: 'sentinel', replicas: 5 }),
    );
    expect(rendered.connection).toEqual({
      host: 'orders-cache.payments.svc',
      port: 26379,
      env: [
        {
          name: 'REDIS_SENTINEL_NODES',
          value: 'orders-cache.payments.svc:26379',
        },
        { name: 'REDIS_SENTINEL_MASTER', value: 'mymaster' },
        { name: 'REDIS_PASSWORD', secretKey: 'password' },
      ],
      uri: 'redis-sentinel://:{{ secret.password }}@orders-cache.payments.svc:26379/0#mymaster',
    });
    const sts = rendered.objects.find(o => o.kind === 'StatefulSet')!;
    const [redis, sentinel] = sts.spec.template.spec.containers;
    expect(sentinel.name).toBe('sentinel');
    expect(sentinel.env).toContainEqual({ name: 'REPLICAS', value: '5' });
    expect(redis.env).toContainEqual({ name: 'MODE', value: 'sentinel' });
    const client = rendered.objects.find(
      o => o.kind === 'Service' && o.metadata.name === 'orders-cache',
    )!;
    expect(client.spec.ports).toEqual([
      { name: 'sentinel', port: 26379, targetPort: 'sentinel' },
    ]);
    const config = rendered.objects.find(o => o.kind === 'ConfigMap')!;
    expect(config.data['start-sentinel.sh']).toContain('$((REPLICAS / 2 + 1))');
  });

  it('upgrades Redis 6 to 7 onto the same objects, Secret and volumes with a new image', () => {
    const from = registry.get('redis-6')!;
    const to = registry.get(from.upgradesTo[0])!;
    const parameters = resolveParameters(from, {
      mode: 'sentinel',
      replicas: 3,
    });
    const before = renderInstance(from, ctx, parameters);
    const after = renderInstance(to, ctx, resolveParameters(to, parameters));
    const names = (r: typeof before) =>
      r.objects.map(o => `${o.kind}/${o.metadata.name}`);
    expect(names(after)).toEqual(names(before));
    expect(after.secret).toEqual(before.secret);
    expect(after.dataVolumes).toEqual(before.dataVolumes);
    const image = (r: typeof before) =>
      r.objects.find(o => o.kind === 'StatefulSet')!.spec.template.spec
        .containers[0].image;
    expect([image(before), image(after)]).toEqual([
      'redis:6.2.14',
      'redis:7.2.5',
    ]);
  });

  it('writes MySQL’s parameters into its config and environment', () => {
    const template = registry.get('mysql-8')!;
    const rendered = renderInstance(
      template,
      ctx,
      resolveParameters(template, NON_DEFAULT['mysql-8']),
    );
    const config = rendered.objects.find(o => o.kind === 'ConfigMap')!;
    expect(config.data['k2.cnf']).toContain('max_connections = 800\n');
    expect(config.data['k2.cnf']).toContain('innodb_buffer_pool_size = 10G\n');
    const sts = rendered.objects.find(o => o.kind === 'StatefulSet')!;
    const mysql = sts.spec.template.spec.containers[0];
    expect(mysql.args).toEqual(['--lower-case-table-names=1']);
    expect(mysql.env).toContainEqual({
      name: 'MYSQL_DATABASE',
      value: 'orders',
    });
    expect(rendered.connection.uri).toBe(
      'mysql://orders_rw:{{ secret.password }}@orders-cache.payments.svc:3306/orders',
    );
    expect(rendered.connection.env).toContainEqual({
      name: 'MYSQL_PASSWORD',
      secretKey: 'password',
    });
  });

  it('refuses a bad parameter, naming the field, and fills nothing in the input', () => {
    const redis = registry.get('redis-7')!;
    const input = { replicas: 3 };
    expect(() => resolveParameters(redis, input)).toThrow(
      new InputError('Template redis-7: parameters.replicas must be 1'),
    );
    expect(input).toEqual({ replicas: 3 });
    expect(() =>
      resolveParameters(redis, { mode: 'sentinel', replicas: 4 }),
    ).toThrow('parameters.replicas must be one of 3, 5');
    expect(() => resolveParameters(redis, { size: 'huge' })).toThrow(
      'parameters.size must be one of "small", "medium", "large"',
    );
    expect(() => resolveParameters(redis, { storageSize: '200Gi' })).toThrow(
      'parameters.storageSize 200Gi is outside 1Gi to 100Gi',
    );
    expect(() => resolveParameters(redis, { storageSize: '5G' })).toThrow(
      'parameters.storageSize must match pattern',
    );
    expect(() => resolveParameters(redis, { maxmemory: '1gb' })).toThrow(
      'parameters.maxmemory is not a parameter',
    );
    const mysql = registry.get('mysql-8')!;
    expect(() =>
      resolveParameters(mysql, { database: 'app; DROP DATABASE x' }),
    ).toThrow('parameters.database must match pattern');
    expect(() => resolveParameters(mysql, { maxConnections: '300' })).toThrow(
      'parameters.maxConnections must be integer',
    );
  });

  it('generates a fresh 32-character value for every secret key', () => {
    const template = registry.get('mysql-8')!;
    const first = generateSecretData(template);
    const second = generateSecretData(template);
    expect(Object.keys(first)).toEqual(['root-password', 'password']);
    for (const value of [...Object.values(first), ...Object.values(second)]) {
      expect(value).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    expect(first.password).not.toBe(second.password);
    expect(first.password).not.toBe(first['root-password']);
    expect(generateSecretData(registry.get('zookeeper-3')!)).toEqual({});
  });

  it('refuses a template object it did not load', () => {
    const copy = { ...registry.get('redis-7')! };
    expect(() => resolveParameters(copy)).toThrow(
      'Template redis-7 was not loaded by a TemplateRegistry',
    );
  });
});

describe('TemplateRegistry.fromDirectory', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-mw-templates-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A small valid template; each test breaks one thing. */
  const valid = (name = 'echo-1'): any => ({
    name,
    product: 'echo',
    version: '1.0',
    title: 'Echo 1',
    description: 'An echo server.',
    category: 'cache',
    backup: false,
    resizable: { replicas: true, storage: false },
    readme: 'Echoes.',
    storageLimits: { min: '1Gi', max: '10Gi' },
    parameters: {
      type: 'object',
      additionalProperties: false,
      properties: {
        size: {
          title: 'Size',
          description: 'Size.',
          type: 'string',
          enum: ['small'],
          default: 'small',
        },
        replicas: {
          title: 'Replicas',
          description: 'Replicas.',
          type: 'integer',
          minimum: 1,
          maximum: 3,
          default: 1,
        },
        storageClass: {
          title: 'Class',
          description: 'Class.',
          type: 'string',
          pattern: '^[a-z]+$',
          maxLength: 63,
        },
        storageSize: {
          title: 'Storage',
          description: 'Storage.',
          type: 'string',
          pattern: '^[0-9]+(Mi|Gi|Ti)$',
          maxLength: 20,
          default: '1Gi',
        },
        greeting: {
          title: 'Greeting',
          description: 'Any line of text.',
          type: 'string',
          pattern: '^[^\\n]*$',
          maxLength: 200,
          default: 'hello',
        },
      },
    },
    presets: [{ name: 'small', cpu: '100m', memory: '64Mi' }],
    i18n: {
      zh: {
        title: '回声 1',
        readme: '回声。',
        parameters: {
          size: { title: '规格', enum: { small: '小' } },
          greeting: { description: '任意一行文字。' },
        },
        presets: { small: '小型' },
        connection: { ECHO_HOST: '主机名。' },
      },
    },
    secretKeys: ['password'],
    connection: {
      port: 7,
      env: [
        {
          name: 'ECHO_HOST',
          value: '${{ instance.host }}',
          description: 'Host.',
        },
      ],
    },
    manifests: [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: '${{ instance.name }}-config' },
        data: { greeting: '${{ parameters.greeting }}' },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: '${{ instance.name }}' },
        spec: { ports: [{ port: 7 }] },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: '${{ instance.name }}' },
        spec: {
          replicas: '${{ parameters.replicas }}',
          serviceName: '${{ instance.name }}',
          selector: { matchLabels: { app: '${{ instance.name }}' } },
          template: {
            metadata: { labels: { app: '${{ instance.name }}' } },
            spec: { containers: [{ name: 'echo', image: 'echo:1' }] },
          },
        },
      },
    ],
  });

  const write = (template: any, file = `${template.name}.yaml`) =>
    fs.writeFileSync(path.join(dir, file), YAML.stringify(template));

  it('loads a valid file, and a value with YAML or JSON syntax stays one plain string', async () => {
    write(valid());
    const registry = await TemplateRegistry.fromDirectory(dir);
    const template = registry.get('echo-1')!;
    const greeting = '{"kind": "Secret", "data": {}} # a: [b]\'';
    const rendered = renderInstance(
      template,
      ctx,
      resolveParameters(template, { greeting }),
    );
    expect(rendered.objects[0]).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'orders-cache-config',
        namespace: 'payments',
        labels: {
          'k2.io/middleware': 'orders-cache',
          'app.kubernetes.io/managed-by': 'k2',
          'k2.io/environment': 'test',
        },
      },
      data: { greeting },
    });
    expect(template.i18n).toEqual(valid().i18n);
    // What the block leaves out is listed, so a missing translation fails the built-in check.
    expect(untranslated(template, 'zh')).toEqual([
      'description',
      'size.description',
      'replicas.title',
      'replicas.description',
      'storageClass.title',
      'storageClass.description',
      'storageSize.title',
      'storageSize.description',
      'greeting.title',
    ]);
  });

  it.each<[string, (t: any) => void, string]>([
    [
      'an unknown key',
      t => {
        t.replicas = 3;
      },
      'Middleware template echo-1.yaml: has an unknown key "replicas"',
    ],
    [
      'an unknown key in a nested part',
      t => {
        t.resizable.version = true;
      },
      'echo-1.yaml: resizable has an unknown key "version"',
    ],
    [
      'a schema keyword Ajv does not know',
      t => {
        t.parameters.properties.replicas.maximumm = 3;
      },
      'echo-1.yaml: parameters. is not a valid JSON Schema: strict mode: unknown keyword: "maximumm"',
    ],
    [
      'a schema with an id',
      t => {
        t.parameters.$id = 'echo';
      },
      'echo-1.yaml: parameters.$id is not allowed',
    ],
    [
      'a parameter without a default',
      t => {
        delete t.parameters.properties.greeting.default;
      },
      'echo-1.yaml: parameters.properties.greeting.default is missing',
    ],
    [
      'a free-text string parameter',
      t => {
        delete t.parameters.properties.greeting.pattern;
      },
      'parameters.properties.greeting is a string without "enum" or an anchored "pattern" with "maxLength"',
    ],
    [
      'replicas beyond what resize allows',
      t => {
        t.parameters.properties.replicas.maximum = 12;
      },
      'parameters.properties.replicas must be an integer with a minimum of at least 1 and a maximum of at most 9',
    ],
    [
      'an expression reading something that does not exist',
      t => {
        t.manifests[0].data.greeting = '${{ parameters.greting }}';
      },
      'echo-1.yaml: manifests[0].data.greeting reads "parameters.greting", which a template cannot read',
    ],
    [
      'a namespace of its own',
      t => {
        t.manifests[0].metadata.namespace = 'kube-system';
      },
      'echo-1.yaml: manifests[0].metadata must NOT be valid',
    ],
    [
      'an object named outside the instance',
      t => {
        t.manifests[0].metadata.name = 'shared-config';
      },
      'manifests[0]: metadata.name must be the instance\'s name or start with "<name>-", not "shared-config"',
    ],
    [
      'the service label',
      t => {
        t.manifests[0].metadata.labels = { 'k2.io/service': 'x' };
      },
      'manifests[0] carries the label k2.io/service',
    ],
    [
      'a connection env var from a key the Secret lacks',
      t => {
        t.connection.env.push({
          name: 'ECHO_TOKEN',
          secretKey: 'token',
          description: 'Token.',
        });
      },
      'echo-1.yaml: connection.env[1].secretKey names token, not one of secretKeys',
    ],
    [
      'backup without a dump Job',
      t => {
        t.backup = true;
      },
      'echo-1.yaml: dumpJob is missing (backup is true)',
    ],
    [
      'a language K2 does not offer',
      t => {
        t.i18n.fr = { title: 'Écho 1' };
      },
      'Middleware template echo-1.yaml: i18n.fr is not a language templates are translated into (zh)',
    ],
    [
      'an unknown key in a language',
      t => {
        t.i18n.zh.titel = '回声';
      },
      'Middleware template echo-1.yaml: i18n.zh has an unknown key "titel"',
    ],
    [
      'an unknown key in a parameter’s text',
      t => {
        t.i18n.zh.parameters.size.label = '规格';
      },
      'echo-1.yaml: i18n.zh.parameters.size has an unknown key "label"',
    ],
    [
      'an empty text',
      t => {
        t.i18n.zh.readme = '';
      },
      'echo-1.yaml: i18n.zh.readme must NOT have fewer than 1 characters',
    ],
    [
      'a text for a parameter the file does not have',
      t => {
        t.i18n.zh.parameters.greting = { title: '问候语' };
      },
      'echo-1.yaml: i18n.zh.parameters.greting names no parameter (size, replicas, storageClass, storageSize, greeting)',
    ],
    [
      'a label for a value the parameter does not have',
      t => {
        t.i18n.zh.parameters.size.enum.huge = '巨大';
      },
      'echo-1.yaml: i18n.zh.parameters.size.enum.huge names no value of the parameter (small)',
    ],
    [
      'value labels for a parameter without enum',
      t => {
        t.i18n.zh.parameters.greeting.enum = { hello: '你好' };
      },
      'echo-1.yaml: i18n.zh.parameters.greeting.enum.hello is set, but the parameter has no enum',
    ],
    [
      'a label for a preset the file does not have',
      t => {
        t.i18n.zh.presets.large = '大型';
      },
      'echo-1.yaml: i18n.zh.presets.large names no preset (small)',
    ],
    [
      'a text for an env var the connection does not have',
      t => {
        t.i18n.zh.connection.ECHO_PORT = '端口。';
      },
      'echo-1.yaml: i18n.zh.connection.ECHO_PORT names no connection env var (ECHO_HOST)',
    ],
    [
      'no client Service named after the instance',
      t => {
        t.manifests[1].metadata.name = '${{ instance.name }}-client';
      },
      'has no Service named ${{ instance.name }} (the connection host)',
    ],
  ])(
    'refuses %s, naming the file and the field',
    async (_, breakIt, message) => {
      const template = valid();
      breakIt(template);
      write(template);
      await expect(TemplateRegistry.fromDirectory(dir)).rejects.toThrow(
        message,
      );
    },
  );

  it('refuses a name used twice, a name that is not the file’s, and upgradesTo naming nothing', async () => {
    write(valid('echo-1'));
    write(valid('echo-1'), 'echo-2.yaml');
    await expect(TemplateRegistry.fromDirectory(dir)).rejects.toThrow(
      'Middleware template echo-2.yaml: name must match the file name (echo-1)',
    );
    fs.rmSync(path.join(dir, 'echo-2.yaml'));

    write({ ...valid('echo-1'), upgradesTo: ['echo-2'] });
    await expect(TemplateRegistry.fromDirectory(dir)).rejects.toThrow(
      'Middleware template echo-1.yaml: upgradesTo[0] names echo-2, which is no other template of echo',
    );
    write({ ...valid('echo-2'), version: '2.0' });
    const registry = await TemplateRegistry.fromDirectory(dir);
    expect(registry.get('echo-1')!.upgradesTo).toEqual(['echo-2']);
    expect(registry.list().map(t => t.name)).toEqual(['echo-2', 'echo-1']);
  });
});
