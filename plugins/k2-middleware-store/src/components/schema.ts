import { MiddlewareT } from '../translation';

/** What the create form reads of one property of a template's JSON Schema (draft 7). */
export interface FieldSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  const?: unknown;
  /** Labels of `enum` values in the user's language (`sentinel: 哨兵`), from the template's text. */
  enumLabels?: Record<string, string>;
}

/** A branch of a schema's `if`/`then`/`else`: constraints on some properties. */
interface SchemaBranch {
  properties?: Record<string, FieldSchema>;
}

/**
 * A template's parameter schema as the form reads it for the values set so far:
 * properties in order, required names. A top-level `if` whose properties each name a
 * `const` (Redis: `mode: sentinel`) is decided on the typed value or else the default,
 * and the properties of `then` or `else` narrow the fields (`const` as a one-value
 * `enum`); a default the narrowed field no longer allows is dropped, so the field
 * must be chosen.
 */
export function schemaFields(
  parameters: Record<string, unknown>,
  values: Record<string, string> = {},
): {
  fields: Array<[string, FieldSchema]>;
  required: string[];
} {
  const properties = (parameters.properties ?? {}) as Record<
    string,
    FieldSchema
  >;
  const condition = parameters.if as SchemaBranch | undefined;
  let branch: SchemaBranch | undefined;
  if (condition?.properties) {
    const holds = Object.entries(condition.properties).every(([key, rule]) => {
      const field = properties[key];
      if (!field || !('const' in rule)) return false;
      const text = values[key] ?? '';
      const value = text === '' ? field.default : fieldValue(field, text);
      return value === rule.const;
    });
    branch = (holds ? parameters.then : parameters.else) as
      | SchemaBranch
      | undefined;
  }
  const required = Array.isArray(parameters.required)
    ? [...(parameters.required as string[])]
    : [];
  const fields = Object.entries(properties).map(
    ([key, field]): [string, FieldSchema] => {
      const narrowed = branch?.properties?.[key];
      if (!narrowed) return [key, field];
      const merged: FieldSchema = { ...field, ...narrowed };
      if ('const' in narrowed) merged.enum = [narrowed.const];
      if (merged.enum && !merged.enum.includes(merged.default)) {
        delete merged.default;
        required.push(key);
      }
      return [key, merged];
    },
  );
  return { fields, required };
}

/** The field's type, `string` when the schema says none. */
export function fieldType(schema: FieldSchema): string {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  return type ?? 'string';
}

/**
 * The value a typed text stands for, by the field's type: a number for
 * integer/number, a boolean for `true`/`false`, else the text itself.
 */
export function fieldValue(schema: FieldSchema, text: string): unknown {
  const type = fieldType(schema);
  if (type === 'integer' || type === 'number') return Number(text);
  if (type === 'boolean') return text === 'true';
  return text;
}

/**
 * Why a value typed into a field breaks its schema (the first rule it breaks, in the
 * user's words), or undefined when it does not. An empty field is checked only when
 * required without a default: the backend fills defaults.
 */
export function fieldProblem(
  t: MiddlewareT,
  schema: FieldSchema,
  text: string,
  required: boolean,
): string | undefined {
  if (text === '') {
    return required && schema.default === undefined
      ? t('create.required')
      : undefined;
  }
  if (schema.enum && !schema.enum.some(v => String(v) === text)) {
    return t('create.oneOf', { values: schema.enum.map(String).join(', ') });
  }
  const type = fieldType(schema);
  if (type === 'integer' || type === 'number') {
    const n = Number(text);
    if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
      return t('create.notInteger');
    }
    if (schema.minimum !== undefined && n < schema.minimum) {
      return t('create.atLeast', { min: String(schema.minimum) });
    }
    if (schema.maximum !== undefined && n > schema.maximum) {
      return t('create.atMost', { max: String(schema.maximum) });
    }
    return undefined;
  }
  if (type === 'string') {
    if (schema.maxLength !== undefined && text.length > schema.maxLength) {
      return t('create.tooLong', { max: String(schema.maxLength) });
    }
    if (schema.pattern && !new RegExp(schema.pattern).test(text)) {
      return t('create.notMatching', { pattern: schema.pattern });
    }
  }
  return undefined;
}

/** A default as the form names it: `Yes`/`No` for booleans, else the value. */
export function defaultText(t: MiddlewareT, value: unknown): string {
  if (value === true) return t('create.yes');
  if (value === false) return t('create.no');
  return typeof value === 'string' ? value : JSON.stringify(value);
}
