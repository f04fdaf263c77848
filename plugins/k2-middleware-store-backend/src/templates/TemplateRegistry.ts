import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { parseQuantity } from '@internal/plugin-k2-common';
import Ajv, { ErrorObject } from 'ajv';
import type { JSONSchema7 } from 'json-schema';
import YAML from 'yaml';
import {
  expressionPaths,
  expressionsIn,
  isWholeExpression,
  Node,
  parseExpression,
} from './expressions';
import { parameterAjv, renderInstance, resolveParameters } from './render';
import { attachSpec, PresetSpec, TemplateSpec } from './spec';
import {
  MiddlewareTemplate,
  TEMPLATE_LANGUAGES,
  TemplateLanguage,
  TemplateText,
} from './types';

/** Where the built-in templates live: one YAML file per template, versioned with K2. */
export const BUILTIN_TEMPLATES_DIR = resolvePackagePath(
  '@internal/plugin-k2-middleware-store-backend',
  'templates',
);

const NAME = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const QUANTITY = '^[0-9]+(Mi|Gi|Ti)$';
/** Most replicas any template may allow (the API's resize bound). */
const MAX_REPLICAS = 9;

/** The shape of a template file; anything else in it is an error naming the field. */
const FILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: [
    'name',
    'product',
    'version',
    'title',
    'description',
    'category',
    'backup',
    'resizable',
    'readme',
    'storageLimits',
    'parameters',
    'presets',
    'secretKeys',
    'connection',
    'manifests',
  ],
  properties: {
    name: { type: 'string', pattern: NAME },
    product: { type: 'string', pattern: NAME },
    version: { type: 'string', minLength: 1 },
    title: { type: 'string', minLength: 1 },
    description: { type: 'string', minLength: 1 },
    category: { enum: ['database', 'cache', 'queue', 'coordination'] },
    upgradesTo: { type: 'array', items: { type: 'string', pattern: NAME } },
    backup: { type: 'boolean' },
    resizable: {
      type: 'object',
      additionalProperties: false,
      required: ['replicas', 'storage'],
      properties: {
        replicas: { type: 'boolean' },
        storage: { type: 'boolean' },
      },
    },
    readme: { type: 'string', minLength: 1 },
    storageLimits: {
      type: 'object',
      additionalProperties: false,
      required: ['min', 'max'],
      properties: {
        min: { type: 'string', pattern: QUANTITY },
        max: { type: 'string', pattern: QUANTITY },
      },
    },
    parameters: { type: 'object' },
    presets: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'cpu', 'memory'],
        properties: {
          name: { type: 'string', pattern: NAME },
          cpu: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?m?$' },
          memory: { type: 'string', pattern: '^[0-9]+(Mi|Gi)$' },
          values: {
            type: 'object',
            additionalProperties: { type: ['string', 'number'] },
          },
        },
      },
    },
    secretKeys: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', pattern: '^[a-z][-a-z0-9]*$' },
    },
    connection: {
      type: 'object',
      additionalProperties: false,
      required: ['port', 'env'],
      properties: {
        port: { type: ['integer', 'string'] },
        uri: {
          oneOf: [
            { type: 'string' },
            {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['value'],
                properties: {
                  $when: { type: 'string' },
                  value: { type: 'string' },
                },
              },
            },
          ],
        },
        env: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'description'],
            oneOf: [{ required: ['value'] }, { required: ['secretKey'] }],
            properties: {
              $when: { type: 'string' },
              name: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$' },
              description: { type: 'string' },
              value: { type: ['string', 'integer'] },
              secretKey: { type: 'string' },
            },
          },
        },
      },
    },
    manifests: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'metadata'],
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: {
            type: 'object',
            required: ['name'],
            not: { required: ['namespace'] },
          },
        },
      },
    },
    i18n: { type: 'object' },
    dumpJob: {
      type: 'object',
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      properties: {
        apiVersion: { const: 'batch/v1' },
        kind: { const: 'Job' },
      },
    },
  },
} as const;

const TEXT = { type: 'string', minLength: 1 } as const;

/** The shape of one language's block under `i18n` (`i18n.zh`). */
const TEXT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    title: TEXT,
    description: TEXT,
    readme: TEXT,
    parameters: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          title: TEXT,
          description: TEXT,
          enum: { type: 'object', additionalProperties: TEXT },
        },
      },
    },
    presets: { type: 'object', additionalProperties: TEXT },
    connection: { type: 'object', additionalProperties: TEXT },
  },
} as const;

const fileAjv = new Ajv({ allErrors: false, strict: false });
const validateFile = fileAjv.compile(FILE_SCHEMA);
const validateText = fileAjv.compile(TEXT_SCHEMA);

interface TemplateFile {
  name: string;
  product: string;
  version: string;
  title: string;
  description: string;
  category: MiddlewareTemplate['category'];
  upgradesTo?: string[];
  backup: boolean;
  resizable: MiddlewareTemplate['resizable'];
  readme: string;
  storageLimits: { min: string; max: string };
  parameters: JSONSchema7;
  presets: PresetSpec[];
  secretKeys: string[];
  connection: {
    port: number | string;
    uri?: string | Array<{ $when?: string; value: string }>;
    env: Array<{
      $when?: string;
      name: string;
      description: string;
      value?: string | number;
      secretKey?: string;
    }>;
  };
  manifests: Node[];
  dumpJob?: Node;
  i18n?: Record<string, unknown>;
}

/** An error in a template file, naming the file and the field. */
class TemplateFileError extends Error {
  constructor(file: string, field: string, message: string) {
    super(`Middleware template ${file}: ${field ? `${field} ` : ''}${message}`);
    this.name = 'TemplateFileError';
  }
}

/** The first error Ajv found, as the field it names and what is wrong with it. */
function schemaError(
  file: string,
  prefix: string,
  errors: ErrorObject[],
): TemplateFileError {
  const error = errors[0];
  const field = [prefix, fieldPath(error.instancePath)]
    .filter(Boolean)
    .join('.');
  const message =
    error.keyword === 'additionalProperties'
      ? `has an unknown key "${error.params.additionalProperty}"`
      : error.message ?? 'is invalid';
  return new TemplateFileError(file, field, message);
}

function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .reduce((acc, part) => {
      if (/^\d+$/.test(part)) return `${acc}[${part}]`;
      return acc ? `${acc}.${part}` : part;
    }, '');
}

/** The parameters every template has, and what each must look like. */
function checkParameters(file: string, t: TemplateFile) {
  const fail = (field: string, message: string): never => {
    throw new TemplateFileError(file, `parameters.${field}`, message);
  };
  const schema = t.parameters;
  if (schema.$id !== undefined) {
    // Ajv keeps schemas by id: a second registry (a reload, a test) would collide.
    fail('$id', 'is not allowed');
  }
  try {
    parameterAjv.compile(schema);
  } catch (e) {
    fail('', `is not a valid JSON Schema: ${(e as Error).message}`);
  }
  if (schema.type !== 'object') fail('type', 'must be "object"');
  if (schema.additionalProperties !== false) {
    fail(
      'additionalProperties',
      'must be false (unknown parameters are refused)',
    );
  }
  const properties = (schema.properties ?? {}) as Record<string, JSONSchema7>;
  for (const [name, property] of Object.entries(properties)) {
    if (!property.title) fail(`properties.${name}.title`, 'is missing');
    if (!property.description) {
      fail(`properties.${name}.description`, 'is missing');
    }
    if (name !== 'storageClass' && property.default === undefined) {
      fail(`properties.${name}.default`, 'is missing');
    }
    if (
      property.type === 'string' &&
      property.enum === undefined &&
      (typeof property.pattern !== 'string' ||
        !property.pattern.startsWith('^') ||
        !property.pattern.endsWith('$') ||
        property.maxLength === undefined)
    ) {
      // Values reach config files and command lines: only a bounded, anchored
      // pattern or a list of choices keeps them from carrying syntax.
      fail(
        `properties.${name}`,
        'is a string without "enum" or an anchored "pattern" with "maxLength"',
      );
    }
  }
  const size = properties.size;
  if (!size) fail('properties.size', 'is missing');
  const presetNames = t.presets.map(p => p.name);
  if (JSON.stringify(size.enum) !== JSON.stringify(presetNames)) {
    fail(
      'properties.size.enum',
      `must list the presets: ${presetNames.join(', ')}`,
    );
  }
  const replicas = properties.replicas;
  if (!replicas) fail('properties.replicas', 'is missing');
  if (
    replicas.type !== 'integer' ||
    typeof replicas.minimum !== 'number' ||
    replicas.minimum < 1 ||
    typeof replicas.maximum !== 'number' ||
    replicas.maximum > MAX_REPLICAS
  ) {
    fail(
      'properties.replicas',
      `must be an integer with a minimum of at least 1 and a maximum of at most ${MAX_REPLICAS}`,
    );
  }
  if (!properties.storageClass) fail('properties.storageClass', 'is missing');
  const storageSize = properties.storageSize;
  if (!storageSize) fail('properties.storageSize', 'is missing');
  if (storageSize.pattern !== QUANTITY) {
    fail('properties.storageSize.pattern', `must be ${QUANTITY}`);
  }
}

const INSTANCE_FIELDS = [
  'id',
  'name',
  'namespace',
  'environment',
  'service',
  'owner',
  'secretName',
  'host',
];

/** Every expression in the file reads something that exists. */
function checkExpressions(file: string, t: TemplateFile) {
  const parameters = Object.keys(
    (t.parameters.properties ?? {}) as Record<string, unknown>,
  );
  const presetValues = Object.keys(t.presets[0].values ?? {});
  for (const preset of t.presets) {
    const keys = Object.keys(preset.values ?? {});
    if (
      JSON.stringify(keys.sort()) !== JSON.stringify([...presetValues].sort())
    ) {
      throw new TemplateFileError(
        file,
        `presets.${preset.name}.values`,
        `must have the same keys as the first preset (${presetValues.join(
          ', ',
        )})`,
      );
    }
  }
  const known = (path: string[], job: boolean) => {
    const [root, field, sub, ...rest] = path;
    if (rest.length > 0) return false;
    if (root === 'parameters') return !sub && parameters.includes(field);
    if (root === 'instance') return !sub && INSTANCE_FIELDS.includes(field);
    if (root === 'preset') {
      if (field === 'values') return presetValues.includes(sub);
      return !sub && ['name', 'cpu', 'memory'].includes(field);
    }
    if (root === 'job')
      return job && !sub && ['name', 'claimName'].includes(field);
    return false;
  };
  const parts: Array<[string, unknown, boolean]> = [
    ['manifests', t.manifests, false],
    ['connection', t.connection, false],
    ['dumpJob', t.dumpJob, true],
  ];
  for (const [name, part, job] of parts) {
    try {
      for (const found of expressionsIn(part, name)) {
        let paths: string[][];
        try {
          paths = expressionPaths(parseExpression(found.text));
        } catch (e) {
          throw new TemplateFileError(file, found.at, (e as Error).message);
        }
        for (const path of paths) {
          if (!known(path, job)) {
            throw new TemplateFileError(
              file,
              found.at,
              `reads "${path.join('.')}", which a template cannot read`,
            );
          }
        }
      }
    } catch (e) {
      if (e instanceof TemplateFileError) throw e;
      throw new TemplateFileError(file, '', (e as Error).message);
    }
  }
  for (const [i, env] of t.connection.env.entries()) {
    if (env.secretKey !== undefined && !t.secretKeys.includes(env.secretKey)) {
      throw new TemplateFileError(
        file,
        `connection.env[${i}].secretKey`,
        `names ${env.secretKey}, not one of secretKeys`,
      );
    }
  }
  for (const m of JSON.stringify(t.connection.uri ?? '').matchAll(
    /\{\{\s*secret\.([^\s}]+)\s*\}\}/g,
  )) {
    if (!t.secretKeys.includes(m[1])) {
      throw new TemplateFileError(
        file,
        'connection.uri',
        `reads secret.${m[1]}, not one of secretKeys`,
      );
    }
  }
}

/**
 * The file's `i18n` block: one block per language K2 offers besides English, each
 * naming only parameters (and their `enum` values), presets and connection env vars
 * the file has. Any field may be left out; it then shows in English.
 */
function checkTranslations(
  file: string,
  t: TemplateFile,
): MiddlewareTemplate['i18n'] {
  const i18n: MiddlewareTemplate['i18n'] = {};
  const properties = (t.parameters.properties ?? {}) as Record<
    string,
    JSONSchema7
  >;
  const names = (list: string[]) => list.join(', ');
  for (const [language, block] of Object.entries(t.i18n ?? {})) {
    const at = `i18n.${language}`;
    if (!(TEMPLATE_LANGUAGES as readonly string[]).includes(language)) {
      throw new TemplateFileError(
        file,
        at,
        `is not a language templates are translated into (${names([
          ...TEMPLATE_LANGUAGES,
        ])})`,
      );
    }
    if (!validateText(block)) throw schemaError(file, at, validateText.errors!);
    const text = block as TemplateText;
    for (const [name, parameter] of Object.entries(text.parameters ?? {})) {
      const property = properties[name];
      if (!property) {
        throw new TemplateFileError(
          file,
          `${at}.parameters.${name}`,
          `names no parameter (${names(Object.keys(properties))})`,
        );
      }
      const values = (property.enum ?? []).map(String);
      for (const value of Object.keys(parameter.enum ?? {})) {
        if (!values.includes(value)) {
          throw new TemplateFileError(
            file,
            `${at}.parameters.${name}.enum.${value}`,
            values.length
              ? `names no value of the parameter (${names(values)})`
              : 'is set, but the parameter has no enum',
          );
        }
      }
    }
    const presets = t.presets.map(p => p.name);
    for (const name of Object.keys(text.presets ?? {})) {
      if (!presets.includes(name)) {
        throw new TemplateFileError(
          file,
          `${at}.presets.${name}`,
          `names no preset (${names(presets)})`,
        );
      }
    }
    const env = [...new Set(t.connection.env.map(e => e.name))];
    for (const name of Object.keys(text.connection ?? {})) {
      if (!env.includes(name)) {
        throw new TemplateFileError(
          file,
          `${at}.connection.${name}`,
          `names no connection env var (${names(env)})`,
        );
      }
    }
    i18n[language as TemplateLanguage] = text;
  }
  return i18n;
}

/** Renders the template once with its defaults, so a broken manifest fails at load. */
function checkRender(file: string, template: MiddlewareTemplate) {
  const ctx = {
    id: '00000000-0000-4000-8000-000000000000',
    name: 'check',
    namespace: 'check',
    environment: 'test',
    service: 'component:default/check',
    owner: 'group:default/check',
  };
  let rendered;
  try {
    rendered = renderInstance(template, ctx, resolveParameters(template));
  } catch (e) {
    throw new TemplateFileError(
      file,
      '',
      `does not render with its defaults: ${(e as Error).message}`,
    );
  }
  if (rendered.workloads.length === 0) {
    throw new TemplateFileError(file, 'manifests', 'has no StatefulSet');
  }
  if (
    !rendered.objects.some(
      o => o.kind === 'Service' && o.metadata.name === ctx.name,
    )
  ) {
    throw new TemplateFileError(
      file,
      'manifests',
      'has no Service named ${{ instance.name }} (the connection host)',
    );
  }
  if (!Number.isInteger(rendered.connection.port)) {
    throw new TemplateFileError(
      file,
      'connection.port',
      'is not a port number',
    );
  }
  if (template.backup !== (rendered.dumpJob !== undefined)) {
    throw new TemplateFileError(
      file,
      'dumpJob',
      template.backup
        ? 'is missing (backup is true)'
        : 'is set but backup is false',
    );
  }
  if (rendered.dumpJob) {
    const job = rendered.dumpJob({
      jobName: 'check-dump',
      claimName: 'check-backup',
    });
    if (job.metadata.name !== 'check-dump') {
      throw new TemplateFileError(
        file,
        'dumpJob.metadata.name',
        'must be ${{ job.name }}',
      );
    }
  }
}

/**
 * Parses a template file. A quoted scalar that is a whole `${{ expr }}` stays text
 * (`value: '${{ parameters.replicas }}'` gives "3", where the plain scalar gives 3): it
 * is read as `${{ '' }}${{ expr }}`, an interpolation into a string.
 */
function parseTemplateYaml(text: string): unknown {
  const document = YAML.parseDocument(text, { prettyErrors: false });
  if (document.errors.length > 0) throw document.errors[0];
  YAML.visit(document, {
    Scalar(_, node) {
      if (
        (node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE') &&
        typeof node.value === 'string' &&
        isWholeExpression(node.value)
      ) {
        node.value = `\${{ '' }}${node.value}`;
      }
    },
  });
  return document.toJS();
}

function load(file: string, text: string): MiddlewareTemplate {
  let doc: unknown;
  try {
    doc = parseTemplateYaml(text);
  } catch (e) {
    throw new TemplateFileError(
      file,
      '',
      `is not YAML: ${(e as Error).message}`,
    );
  }
  if (!validateFile(doc)) throw schemaError(file, '', validateFile.errors!);
  const t = doc as TemplateFile;
  if (`${t.name}.yaml` !== file) {
    throw new TemplateFileError(
      file,
      'name',
      `must match the file name (${t.name})`,
    );
  }
  const { min, max } = t.storageLimits;
  if (parseQuantity(min)! > parseQuantity(max)!) {
    throw new TemplateFileError(file, 'storageLimits', 'has min above max');
  }
  checkParameters(file, t);
  checkExpressions(file, t);
  const i18n = checkTranslations(file, t);
  const creates = ['Secret'];
  for (const manifest of t.manifests as Array<{ kind: string }>) {
    if (!creates.includes(manifest.kind)) creates.push(manifest.kind);
  }
  const template: MiddlewareTemplate = {
    name: t.name,
    product: t.product,
    version: t.version,
    title: t.title,
    description: t.description,
    category: t.category,
    creates,
    upgradesTo: t.upgradesTo ?? [],
    backup: t.backup,
    readme: t.readme,
    parameters: t.parameters,
    presets: t.presets.map(({ name, cpu, memory }) => ({ name, cpu, memory })),
    connection: t.connection.env.map(e => ({
      name: e.name,
      secret: e.secretKey !== undefined,
      description: e.description,
    })),
    resizable: t.resizable,
    i18n,
  };
  const spec: TemplateSpec = {
    file,
    presets: t.presets,
    storageLimits: t.storageLimits,
    secretKeys: t.secretKeys,
    connection: {
      port: t.connection.port,
      env: t.connection.env as unknown as Node[],
      uri: t.connection.uri as Node | undefined,
    },
    manifests: t.manifests,
    dumpJob: t.dumpJob,
  };
  attachSpec(template, spec);
  checkRender(file, template);
  return template;
}

/**
 * The middleware templates: one YAML file per product and version, no code per
 * template. Loading is strict: a file with an unknown key, a parameter schema Ajv
 * refuses (or a parameter without title, description or default, or a free string
 * parameter), an expression reading something that does not exist, a duplicate name,
 * an `upgradesTo` naming no template of the same product, manifests that do not
 * render with the defaults, or an `i18n` block in a language K2 does not offer, with
 * an unknown key or naming a parameter, enum value, preset or env var the file does
 * not have, throws naming the file and the field. A registry never
 * changes after it is built.
 *
 * Manifests use a small substitution language over the parsed YAML, documented in
 * `expressions.ts` and at the top of `templates/redis-7.yaml`: `${{ parameters.x }}`
 * as a whole string keeps the value's type, inside a string it interpolates, and
 * `$when: <expr>` on a list item keeps the item only when the expression holds.
 * Expressions read `parameters.*`, `preset.cpu|memory|name|values.*`, `instance.*`
 * (`id`, `name`, `namespace`, `environment`, `service`, `owner`, `secretName`, `host`)
 * and, in `dumpJob`, `job.name|claimName`.
 */
export class TemplateRegistry {
  private constructor(private readonly templates: MiddlewareTemplate[]) {}

  /** Loads every `*.yaml` file of the directory, in file name order. */
  static async fromDirectory(dir: string): Promise<TemplateRegistry> {
    const files = (await readdir(dir)).filter(f => f.endsWith('.yaml')).sort();
    const templates: MiddlewareTemplate[] = [];
    for (const file of files) {
      const template = load(file, await readFile(join(dir, file), 'utf8'));
      if (templates.some(t => t.name === template.name)) {
        throw new TemplateFileError(
          file,
          'name',
          `${template.name} is used twice`,
        );
      }
      templates.push(template);
    }
    for (const template of templates) {
      for (const [i, target] of template.upgradesTo.entries()) {
        const to = templates.find(t => t.name === target);
        if (!to || to.product !== template.product || to === template) {
          throw new TemplateFileError(
            `${template.name}.yaml`,
            `upgradesTo[${i}]`,
            `names ${target}, which is no other template of ${template.product}`,
          );
        }
      }
    }
    return new TemplateRegistry(templates);
  }

  /** The templates shipped with the package (its `templates/` directory). */
  static async builtIn(): Promise<TemplateRegistry> {
    return TemplateRegistry.fromDirectory(BUILTIN_TEMPLATES_DIR);
  }

  /** Every template, by product, the newest version of each product first. */
  list(): MiddlewareTemplate[] {
    return [...this.templates].sort(
      (a, b) =>
        a.product.localeCompare(b.product) ||
        b.version.localeCompare(a.version, undefined, { numeric: true }),
    );
  }

  get(name: string): MiddlewareTemplate | undefined {
    return this.templates.find(t => t.name === name);
  }
}
