import type { KubeObject } from '@internal/plugin-k2-node';
import type { JSONSchema7 } from 'json-schema';

/** The catalog Resource type an instance of a template appears as. */
export type MiddlewareCategory =
  | 'database'
  | 'cache'
  | 'queue'
  | 'coordination';

/** A size preset: the resources one replica gets (requests = limits). */
export interface SizePreset {
  name: string;
  cpu: string;
  memory: string;
}

/** The languages a template may carry text in besides its English (Settings' `zh`). */
export const TEMPLATE_LANGUAGES = ['zh'] as const;

export type TemplateLanguage = (typeof TEMPLATE_LANGUAGES)[number];

/**
 * A template's text in one language, from the file's `i18n.<language>` block. Every
 * field is optional: what is missing shows in English. Keys name what the file has:
 * parameters (with labels for their `enum` values), presets and connection env vars.
 */
export interface TemplateText {
  title?: string;
  description?: string;
  readme?: string;
  parameters?: Record<
    string,
    { title?: string; description?: string; enum?: Record<string, string> }
  >;
  /** A label per size preset name (`small: 小`). */
  presets?: Record<string, string>;
  /** The description of each connection env var, by its name. */
  connection?: Record<string, string>;
}

/**
 * One middleware template, as `GET /templates/{template}` shows it. Loaded only through
 * {@link TemplateRegistry}, which keeps the manifests and secret keys beside it; the
 * object itself holds nothing secret and nothing a client could not see.
 */
export interface MiddlewareTemplate {
  /** `<product>-<major version>` (`redis-7`), the file's name without `.yaml`. */
  name: string;
  product: string;
  /** The product version the template installs (`7.2`). */
  version: string;
  title: string;
  description: string;
  category: MiddlewareCategory;
  /** The kinds of the objects an instance has, in apply order, the Secret included. */
  creates: string[];
  /** Templates of the same product an instance may be upgraded to (each exists). */
  upgradesTo: string[];
  /** Whether deletion and expiry run the template's logical dump Job. */
  backup: boolean;
  /** What an instance creates and how to use it, in Markdown. */
  readme: string;
  /** Draft-7 JSON Schema of the parameters: `size`, `replicas`, `storageClass`, `storageSize` and product options, each with a title and (but `storageClass`) a default. */
  parameters: JSONSchema7;
  presets: SizePreset[];
  /** The env vars a bound service receives; `secret` ones come from the instance's Secret. */
  connection: { name: string; secret: boolean; description?: string }[];
  /** What a resize may change. */
  resizable: { replicas: boolean; storage: boolean };
  /** The template's text in other languages (`zh`), each field falling back to the English above. */
  i18n: Partial<Record<TemplateLanguage, TemplateText>>;
}

/** Who and where an instance is. */
export interface InstanceContext {
  id: string;
  /** The instance's name, unique per environment; every object is named from it. */
  name: string;
  namespace: string;
  environment: string;
  /** The service's entity ref. */
  service: string;
  /** The owning group's entity ref. */
  owner: string;
}

/** One env var of the connection: a plain value, or a key of the instance's Secret. */
export interface ConnectionEnv {
  name: string;
  value?: string;
  /** The key in the instance's Secret holding the value. */
  secretKey?: string;
}

/** What {@link renderInstance} produces for one instance. */
export interface RenderedInstance {
  /** Every object but the Secret, in apply order, labelled, in the instance's namespace. */
  objects: KubeObject[];
  /** The Secret without data (`<name>-credentials`, labelled); the caller adds `generateSecretData`'s values once, at creation. */
  secret: KubeObject;
  /** The instance is ready when every replica of each of these is ready. */
  workloads: { kind: 'StatefulSet'; name: string; replicas: number }[];
  /** The PVCs the StatefulSets create (`<claim template>-<statefulset>-<ordinal>`). */
  dataVolumes: string[];
  connection: {
    /** `<name>.<namespace>.svc`: the instance's client Service. */
    host: string;
    port: number;
    env: ConnectionEnv[];
    /** May contain `{{ secret.<key> }}`, which only the connection route fills. */
    uri?: string;
  };
  /**
   * For templates with `backup: true`: a Job (named `jobName`, labelled as the other
   * objects) writing a logical dump to the PVC `claimName`, which the caller creates
   * first. `jobName` must start with `<name>-` (else it throws).
   */
  dumpJob?: (o: { jobName: string; claimName: string }) => KubeObject;
}
