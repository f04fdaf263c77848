import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { K2ConfigError } from '@internal/plugin-k2-common';
import Ajv, { ValidateFunction } from 'ajv';
import Handlebars from 'handlebars';
import { unsafeTextProblem } from '../sites/syntax';

/** What a template renders from: the validated site and the template's fields. */
export interface TemplateContext {
  site: {
    /** The service's entity ref. */
    service: string;
    environment: string;
    /** Every server name of the site, the test domain first. */
    serverNames: string[];
    tls?: { certificate: string; key: string; redirectHttp: boolean };
    locations: Array<{
      path: string;
      /** The Nginx name of the upstream block K2 rendered for this location. */
      upstream: string;
      connectTimeoutSeconds: number;
      readTimeoutSeconds: number;
      sendTimeoutSeconds: number;
    }>;
  };
  /** The site's fields, checked against the template's schema, defaults filled in. */
  fields: JsonObject;
}

/** One admin-owned template: `<name>.conf.hbs` and `<name>.schema.json`. */
export type SiteTemplate = {
  name: string;
  title: string;
  description?: string;
  /** JSON Schema of the fields users may set. */
  schema: JsonObject;
};

interface LoadedTemplate extends SiteTemplate {
  render: (context: TemplateContext) => string;
  validate: ValidateFunction;
}

const TEMPLATE_SUFFIX = '.conf.hbs';
const NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** Longest string a template field may hold, whatever its schema says. */
const MAX_FIELD_LENGTH = 1024;

/** `/a/0/b` (Ajv's instance path) as `a[0].b`, prefixed. */
function fieldPath(prefix: string, instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .reduce(
      (acc, part) =>
        /^\d+$/.test(part) ? `${acc}[${part}]` : `${acc}.${part}`,
      prefix,
    );
}

/**
 * Every string in `value`, with its field path: template fields are free-form JSON, so
 * each string is checked for Nginx syntax whatever the schema says.
 */
function* strings(
  value: unknown,
  at: string,
): Generator<{ at: string; text: string }> {
  if (typeof value === 'string') {
    yield { at, text: value };
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      yield* strings(value[i], `${at}[${i}]`);
    }
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      yield* strings(item, `${at}.${key}`);
    }
  }
}

/**
 * The site templates of `k2.traffic.templatesDirectory`, read and compiled once at
 * start. Templates are Handlebars without HTML escaping (Nginx config is not HTML):
 * what keeps user values from injecting directives is that every value reaching a
 * template was validated first — the site model by K2's own rules, template fields by
 * the template's JSON Schema and then by K2's rule for every string (no `;`, braces,
 * quotes, `$`, `#`, backslashes or control characters).
 */
export class TemplateRegistry {
  readonly #templates: Map<string, LoadedTemplate>;

  /**
   * @throws K2ConfigError naming the file of a template without a valid schema, or a
   *   directory without templates
   */
  static load(directory: string): TemplateRegistry {
    const handlebars = Handlebars.create();
    handlebars.registerHelper('join', (items: unknown, separator: unknown) =>
      Array.isArray(items)
        ? items.join(typeof separator === 'string' ? separator : ' ')
        : '',
    );
    const ajv = new Ajv({ useDefaults: true, strict: true, allErrors: false });
    const templates = new Map<string, LoadedTemplate>();
    const key = 'k2.traffic.templatesDirectory';
    for (const file of fs.readdirSync(directory).sort()) {
      if (!file.endsWith(TEMPLATE_SUFFIX)) continue;
      const name = file.slice(0, -TEMPLATE_SUFFIX.length);
      if (!NAME.test(name)) {
        throw new K2ConfigError(
          key,
          `template file '${file}' must be named <lowercase name>${TEMPLATE_SUFFIX}`,
        );
      }
      const schemaFile = path.join(directory, `${name}.schema.json`);
      let schema: JsonObject;
      let validate: ValidateFunction;
      try {
        schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
        if (schema.type !== 'object') {
          throw new Error(
            'the schema must describe an object ("type": "object")',
          );
        }
        validate = ajv.compile(schema);
      } catch (error) {
        throw new K2ConfigError(
          key,
          `template '${name}' needs a valid JSON Schema in ${schemaFile}: ${
            (error as Error).message
          }`,
        );
      }
      let render: (context: TemplateContext) => string;
      try {
        const compiled = handlebars.compile<TemplateContext>(
          fs.readFileSync(path.join(directory, file), 'utf8'),
          { noEscape: true, strict: false },
        );
        // Compile errors surface on first use: render once with an empty site now.
        compiled({
          site: {
            service: '',
            environment: '',
            serverNames: [],
            locations: [],
          },
          fields: {},
        });
        render = compiled;
      } catch (error) {
        throw new K2ConfigError(
          key,
          `template ${file} does not compile: ${(error as Error).message}`,
        );
      }
      templates.set(name, {
        name,
        title: typeof schema.title === 'string' ? schema.title : name,
        description:
          typeof schema.description === 'string'
            ? schema.description
            : undefined,
        schema,
        validate,
        render,
      });
    }
    if (templates.size === 0) {
      throw new K2ConfigError(
        key,
        `${directory} holds no template (<name>${TEMPLATE_SUFFIX} with <name>.schema.json)`,
      );
    }
    return new TemplateRegistry(templates);
  }

  private constructor(templates: Map<string, LoadedTemplate>) {
    this.#templates = templates;
  }

  list(): SiteTemplate[] {
    return [...this.#templates.values()].map(
      ({ name, title, description, schema }) => ({
        name,
        title,
        description,
        schema,
      }),
    );
  }

  /**
   * The template's fields from `fields`, checked against its schema (defaults filled
   * in) and for Nginx syntax in every string.
   *
   * @throws InputError naming the field (`site.fields.<path>`) or `site.template`
   */
  fields(template: string, fields: unknown): JsonObject {
    const loaded = this.#get(template);
    // The schema fills in defaults: validate a copy, never the caller's object.
    const copy: JsonObject = JSON.parse(JSON.stringify(fields ?? {}));
    if (!loaded.validate(copy)) {
      const error = loaded.validate.errors![0];
      const at =
        error.keyword === 'additionalProperties'
          ? fieldPath(
              'site.fields',
              `${error.instancePath}/${
                (error.params as { additionalProperty: string })
                  .additionalProperty
              }`,
            )
          : fieldPath('site.fields', error.instancePath);
      throw new InputError(
        `${at}: ${
          error.keyword === 'additionalProperties'
            ? `template '${template}' has no such field`
            : error.message
        }`,
      );
    }
    for (const { at, text } of strings(copy, 'site.fields')) {
      if (text.length > MAX_FIELD_LENGTH) {
        throw new InputError(
          `${at}: at most ${MAX_FIELD_LENGTH} characters, got ${text.length}`,
        );
      }
      const problem = unsafeTextProblem(text);
      if (problem) throw new InputError(`${at}: ${problem}`);
    }
    return copy;
  }

  /** @throws InputError when there is no such template */
  render(template: string, context: TemplateContext): string {
    return this.#get(template).render(context);
  }

  #get(name: string): LoadedTemplate {
    const template = this.#templates.get(name);
    if (!template) {
      throw new InputError(
        `site.template: no template '${name}'; templates: ${[
          ...this.#templates.keys(),
        ].join(', ')}`,
      );
    }
    return template;
  }
}
