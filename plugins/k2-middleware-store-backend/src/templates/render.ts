import { randomInt } from 'node:crypto';
import { InputError } from '@backstage/errors';
import {
  ANNOTATION_KUBERNETES_ID,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_MIDDLEWARE_INSTANCE,
  LABEL_SERVICE,
  MANAGED_BY_K2,
  parseQuantity,
} from '@internal/plugin-k2-common';
import type { KubeObject } from '@internal/plugin-k2-node';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { Node, substitute } from './expressions';
import { specOf, TemplateSpec } from './spec';
import type {
  ConnectionEnv,
  InstanceContext,
  MiddlewareTemplate,
  RenderedInstance,
} from './types';

/**
 * One Ajv for every template's parameter schema: strict about keywords (an unknown
 * keyword is a bad schema), filling defaults.
 */
export const parameterAjv = new Ajv({
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  useDefaults: true,
  allErrors: false,
});

const validators = new WeakMap<MiddlewareTemplate, ValidateFunction>();

function validatorOf(template: MiddlewareTemplate): ValidateFunction {
  let validate = validators.get(template);
  if (!validate) {
    validate = parameterAjv.compile(template.parameters);
    validators.set(template, validate);
  }
  return validate;
}

/** `/a/0/b` (Ajv's instance path) as `parameters.a[0].b`. */
function fieldOf(error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1);
  if (error.keyword === 'additionalProperties') {
    parts.push(String(error.params.additionalProperty));
  }
  return parts.reduce(
    (acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : `${acc}.${part}`),
    'parameters',
  );
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'is not a parameter';
  if (error.keyword === 'enum') {
    return `must be one of ${(error.params.allowedValues as unknown[])
      .map(v => JSON.stringify(v))
      .join(', ')}`;
  }
  if (error.keyword === 'const') {
    return `must be ${JSON.stringify(error.params.allowedValue)}`;
  }
  return error.message ?? 'is invalid';
}

/**
 * The template's parameters for an instance: `input` validated against the template's
 * schema with defaults filled in (the input is not changed). Throws `InputError`
 * naming the field (`parameters.replicas must be <= 5`) for a value the schema
 * refuses, a parameter the template does not have, or a `storageSize` outside the
 * template's limits.
 */
export function resolveParameters(
  template: MiddlewareTemplate,
  input: Record<string, unknown> = {},
): Record<string, unknown> {
  const spec = specOf(template);
  const parameters = structuredClone(input);
  const validate = validatorOf(template);
  if (!validate(parameters)) {
    const error = validate.errors![0];
    throw new InputError(
      `Template ${template.name}: ${fieldOf(error)} ${describe(error)}`,
    );
  }
  const size = parameters.storageSize as string;
  const bytes = parseQuantity(size)!;
  const { min, max } = spec.storageLimits;
  if (bytes < parseQuantity(min)! || bytes > parseQuantity(max)!) {
    throw new InputError(
      `Template ${template.name}: parameters.storageSize ${size} is outside ${min} to ${max}`,
    );
  }
  return parameters;
}

const SECRET_ALPHABET =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 32 characters of 62: about 190 bits, and safe in URIs, shells and config files. */
const SECRET_LENGTH = 32;

/** Fresh random values for every key of a new instance's Secret. */
export function generateSecretData(
  template: MiddlewareTemplate,
): Record<string, string> {
  const data: Record<string, string> = {};
  for (const key of specOf(template).secretKeys) {
    let value = '';
    for (let i = 0; i < SECRET_LENGTH; i++) {
      value += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
    }
    data[key] = value;
  }
  return data;
}

/** Labels a middleware object must never carry: they would make it the service's. */
const FOREIGN_LABELS = [LABEL_SERVICE, ANNOTATION_KUBERNETES_ID];

function instanceLabels(ctx: InstanceContext): Record<string, string> {
  return {
    [LABEL_MIDDLEWARE_INSTANCE]: ctx.name,
    [LABEL_MANAGED_BY]: MANAGED_BY_K2,
    [LABEL_ENVIRONMENT]: ctx.environment,
  };
}

function withLabels(
  metadata: Record<string, any> | undefined,
  labels: Record<string, string>,
  where: string,
): Record<string, any> {
  const own = (metadata?.labels ?? {}) as Record<string, string>;
  for (const label of FOREIGN_LABELS) {
    if (label in own) {
      throw new Error(`${where} carries the label ${label}`);
    }
  }
  return { ...metadata, labels: { ...own, ...labels } };
}

/**
 * Labels the object, its pod template and its claim templates, and puts it in the
 * instance's namespace. Throws when its name is not the instance's name or does not
 * start with `<name>-`.
 */
function finish(node: Node, ctx: InstanceContext, where: string): KubeObject {
  const object = node as unknown as KubeObject;
  const labels = instanceLabels(ctx);
  const name = object.metadata?.name;
  if (
    typeof name !== 'string' ||
    (name !== ctx.name && !name.startsWith(`${ctx.name}-`))
  ) {
    throw new Error(
      `${where}: metadata.name must be the instance's name or start with "<name>-", not ${JSON.stringify(
        name,
      )}`,
    );
  }
  object.metadata = withLabels(object.metadata, labels, where) as any;
  object.metadata.namespace = ctx.namespace;
  if (object.spec?.template) {
    object.spec.template.metadata = withLabels(
      object.spec.template.metadata,
      labels,
      `${where} spec.template`,
    );
  }
  if (Array.isArray(object.spec?.volumeClaimTemplates)) {
    for (const claim of object.spec.volumeClaimTemplates) {
      claim.metadata = withLabels(
        claim.metadata,
        labels,
        `${where} volumeClaimTemplates`,
      );
    }
  }
  return object;
}

function scopeOf(
  template: MiddlewareTemplate,
  spec: TemplateSpec,
  ctx: InstanceContext,
  parameters: Record<string, unknown>,
) {
  const preset = spec.presets.find(p => p.name === parameters.size);
  if (!preset) {
    throw new InputError(
      `Template ${template.name}: parameters.size ${JSON.stringify(
        parameters.size,
      )} is not a size preset`,
    );
  }
  return {
    parameters,
    preset: {
      name: preset.name,
      cpu: preset.cpu,
      memory: preset.memory,
      values: preset.values ?? {},
    },
    instance: {
      ...ctx,
      secretName: secretNameOf(ctx.name),
      host: `${ctx.name}.${ctx.namespace}.svc`,
    },
  };
}

/** The connection URI: the string, or the first alternative whose `$when` holds. */
function uriOf(
  uri: Node | undefined,
  scope: Record<string, unknown>,
): string | undefined {
  if (uri === undefined) return undefined;
  const value = substitute(uri, scope);
  if (Array.isArray(value)) {
    const first = value[0] as { value: string } | undefined;
    return first?.value;
  }
  return value as string;
}

/** The name of an instance's Secret. */
export function secretNameOf(instance: string): string {
  return `${instance}-credentials`;
}

/**
 * An instance's objects from a template and resolved parameters (see
 * {@link resolveParameters}). Every object is named from the instance's name, lives in
 * its namespace and carries `k2.io/middleware: <name>`, `app.kubernetes.io/managed-by:
 * k2` and `k2.io/environment`, never `k2.io/service` or `backstage.io/kubernetes-id`;
 * pod and claim templates carry the same labels, so pods and PVCs do too.
 */
export function renderInstance(
  template: MiddlewareTemplate,
  ctx: InstanceContext,
  parameters: Record<string, unknown>,
): RenderedInstance {
  const spec = specOf(template);
  const scope = scopeOf(template, spec, ctx, parameters);
  const objects = (substitute(spec.manifests, scope) as Node[]).map((o, i) =>
    finish(o, ctx, `${spec.file} manifests[${i}]`),
  );

  const workloads: RenderedInstance['workloads'] = [];
  const dataVolumes: string[] = [];
  for (const object of objects) {
    if (object.kind !== 'StatefulSet') continue;
    const replicas = Number(object.spec.replicas ?? 1);
    workloads.push({
      kind: 'StatefulSet',
      name: object.metadata.name,
      replicas,
    });
    for (const claim of object.spec.volumeClaimTemplates ?? []) {
      for (let i = 0; i < replicas; i++) {
        dataVolumes.push(`${claim.metadata.name}-${object.metadata.name}-${i}`);
      }
    }
  }

  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretNameOf(ctx.name),
      namespace: ctx.namespace,
      labels: instanceLabels(ctx),
    },
    type: 'Opaque',
  };

  const env = substitute(spec.connection.env, scope) as Node[];
  const port = substitute(spec.connection.port, scope);
  const uri = uriOf(spec.connection.uri, scope);

  const rendered: RenderedInstance = {
    objects,
    secret,
    workloads,
    dataVolumes,
    connection: {
      host: scope.instance.host,
      port: Number(port),
      env: env.map(e => {
        const item = e as Record<string, string>;
        const out: ConnectionEnv = { name: item.name };
        if (item.secretKey !== undefined) out.secretKey = item.secretKey;
        else out.value = String(item.value);
        return out;
      }),
      ...(uri !== undefined ? { uri } : {}),
    },
  };
  const dumpJob = spec.dumpJob;
  if (template.backup && dumpJob !== undefined) {
    rendered.dumpJob = ({ jobName, claimName }) =>
      finish(
        substitute(dumpJob, {
          ...scope,
          job: { name: jobName, claimName },
        }),
        ctx,
        `${spec.file} dumpJob`,
      );
  }
  return rendered;
}
