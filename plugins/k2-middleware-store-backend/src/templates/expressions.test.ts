import {
  evaluate,
  expressionsIn,
  parseExpression,
  substitute,
} from './expressions';

describe('template expressions', () => {
  const scope = {
    parameters: { replicas: 3, mode: 'sentinel', note: 'a: b', flag: false },
    instance: { name: 'cache' },
  };

  it('keeps the type of a whole-string expression and interpolates inside text', () => {
    expect(
      substitute(
        {
          replicas: '${{ parameters.replicas }}',
          flag: '${{ parameters.flag }}',
          name: '${{ instance.name }}-headless',
          line: 'replicas=${{ parameters.replicas }} mode=${{parameters.mode}}',
        },
        scope,
      ),
    ).toEqual({
      replicas: 3,
      flag: false,
      name: 'cache-headless',
      line: 'replicas=3 mode=sentinel',
    });
  });

  it('leaves out a key or item whose whole-string value is undefined', () => {
    expect(
      substitute(
        {
          storageClassName: '${{ parameters.storageClass }}',
          items: ['${{ parameters.missing }}', 'kept'],
        },
        scope,
      ),
    ).toEqual({ items: ['kept'] });
  });

  it('keeps a list item only when its $when holds, and drops the $when key', () => {
    expect(
      substitute(
        [
          { $when: 'parameters.replicas > 1', kind: 'PodDisruptionBudget' },
          { $when: "parameters.mode == 'standalone'", kind: 'Other' },
          {
            $when: '!parameters.flag && (parameters.replicas >= 3)',
            kind: 'K',
          },
        ],
        scope,
      ),
    ).toEqual([{ kind: 'PodDisruptionBudget' }, { kind: 'K' }]);
  });

  it('substitutes a value with YAML or JSON syntax as one plain string', () => {
    const hostile = {
      parameters: { note: '{"kind": "Secret"}\nmetadata: {name: x}' },
    };
    expect(
      substitute(
        {
          data: { a: '${{ parameters.note }}', b: 'x ${{ parameters.note }}' },
        },
        hostile,
      ),
    ).toEqual({
      data: {
        a: '{"kind": "Secret"}\nmetadata: {name: x}',
        b: 'x {"kind": "Secret"}\nmetadata: {name: x}',
      },
    });
  });

  it('refuses to put a mapping where a value goes, or a missing value inside text', () => {
    expect(() => substitute({ a: '${{ parameters }}' }, scope)).toThrow(
      'is not a single value',
    );
    expect(() => substitute({ a: 'x-${{ parameters.nope }}' }, scope)).toThrow(
      'has no text value (undefined)',
    );
  });

  it('evaluates && and || to their operands, and compares numbers only', () => {
    const port = parseExpression(
      "parameters.mode == 'sentinel' && 26379 || 6379",
    );
    expect(evaluate(port, scope)).toBe(26379);
    expect(evaluate(port, { parameters: { mode: 'standalone' } })).toBe(6379);
    expect(() =>
      evaluate(parseExpression("parameters.mode > 'a'"), scope),
    ).toThrow('compares numbers only');
  });

  it('refuses what it cannot read, naming the place', () => {
    expect(() => parseExpression('parameters.a +')).toThrow(
      'cannot read expression "parameters.a +" at "+"',
    );
    expect(() => parseExpression('(parameters.a')).toThrow('not closed');
    expect(() => parseExpression('process.exit()')).toThrow('unexpected "("');
    expect(() => [...expressionsIn({ a: { $when: 'true' } }, 'm')]).toThrow(
      'm.a.$when: "$when" is allowed on list items only',
    );
    expect(() => [...expressionsIn([{ $each: 'x' }], 'm')]).toThrow(
      'm[0].$each: unknown key "$each"',
    );
  });

  it('reads only the scope’s own data, never inherited properties', () => {
    expect(
      evaluate(parseExpression('instance.constructor'), scope),
    ).toBeUndefined();
    expect(evaluate(parseExpression('instance.name.length'), scope)).toBe(
      undefined,
    );
  });
});
