import { k2MiddlewareMessages } from '../translation';
import { MiddlewareT } from '../translation';
import { fieldProblem, schemaFields } from './schema';

/** English words as the form shows them, `{{values}}` filled. */
const t = ((key: string, values: Record<string, string> = {}) => {
  const message = key
    .split('.')
    .reduce<any>((m, part) => m[part], k2MiddlewareMessages) as string;
  return message.replace(/\{\{(\w+)\}\}/g, (_, name) => values[name]);
}) as unknown as MiddlewareT;

/** The Redis template's parameters, as templates/redis-7.yaml writes them (abridged). */
const redis = {
  type: 'object',
  properties: {
    mode: {
      type: 'string',
      enum: ['standalone', 'sentinel'],
      default: 'standalone',
    },
    replicas: { type: 'integer', minimum: 1, maximum: 5, default: 1 },
    storageSize: {
      type: 'string',
      pattern: '^[0-9]+(Mi|Gi|Ti)$',
      maxLength: 20,
      default: '5Gi',
    },
  },
  if: { properties: { mode: { const: 'sentinel' } } },
  then: { properties: { replicas: { enum: [3, 5] } } },
  else: { properties: { replicas: { const: 1 } } },
};

const field = (values: Record<string, string>, key: string) => {
  const { fields, required } = schemaFields(redis, values);
  const schema = fields.find(([name]) => name === key)![1];
  return { schema, required: required.includes(key) };
};

describe('the create form’s reading of a template’s schema', () => {
  it('keeps one replica for a standalone Redis, the default', () => {
    const replicas = field({}, 'replicas');
    expect(replicas.schema.enum).toEqual([1]);
    expect(replicas.schema.default).toBe(1);
    expect(fieldProblem(t, replicas.schema, '', replicas.required)).toBe(
      undefined,
    );
    expect(fieldProblem(t, replicas.schema, '3', replicas.required)).toBe(
      'One of 1',
    );
  });

  it('asks for 3 or 5 replicas once Sentinel is chosen, the default no longer applying', () => {
    const replicas = field({ mode: 'sentinel' }, 'replicas');
    expect(replicas.schema.enum).toEqual([3, 5]);
    expect(replicas.schema.default).toBeUndefined();
    expect(fieldProblem(t, replicas.schema, '', replicas.required)).toBe(
      'Required',
    );
    expect(fieldProblem(t, replicas.schema, '4', replicas.required)).toBe(
      'One of 3, 5',
    );
    expect(fieldProblem(t, replicas.schema, '5', replicas.required)).toBe(
      undefined,
    );
  });

  it('checks a typed value against the pattern, length and bounds', () => {
    const size = field({}, 'storageSize');
    expect(fieldProblem(t, size.schema, '20GB', false)).toBe(
      'Does not have the expected form (^[0-9]+(Mi|Gi|Ti)$)',
    );
    expect(fieldProblem(t, size.schema, '20Gi', false)).toBe(undefined);
    const { fields } = schemaFields({ properties: redis.properties });
    const replicas = fields.find(([name]) => name === 'replicas')![1];
    expect(fieldProblem(t, replicas, '6', false)).toBe('At most 5');
    expect(fieldProblem(t, replicas, '0', false)).toBe('At least 1');
    expect(fieldProblem(t, replicas, '1.5', false)).toBe('A whole number');
  });
});
