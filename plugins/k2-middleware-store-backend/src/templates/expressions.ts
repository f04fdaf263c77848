/**
 * The substitution language of middleware templates. It works on the parsed YAML
 * (never on text), so a value can only ever become one scalar where the template put
 * its expression: it cannot add keys, items or objects. There is no eval.
 *
 * - A string that is exactly `${{ expr }}` becomes the expression's value with its
 *   type (`replicas: ${{ parameters.replicas }}` is a number); in a template file a
 *   quoted `'${{ expr }}'` stays text (`"3"`, for env values). It must be one scalar,
 *   never a mapping or list. When the value is undefined or null the key (in a
 *   mapping) or item (in a list) is left out.
 * - `${{ expr }}` inside a longer string interpolates the value as text; it must be a
 *   string, number or boolean.
 * - A mapping inside a list (a manifest, a container, an env var, ...) may carry
 *   `$when: <expr>`: the item is kept only when the expression is true; the key itself
 *   never reaches the output.
 * - Expressions: paths (`parameters.replicas`, `preset.memory`, `instance.name`),
 *   literals (`3`, `'sentinel'`, `true`, `false`, `null`), `==` `!=` `<` `<=` `>` `>=`,
 *   `!`, `&&`, `||` and parentheses. Ordering compares numbers only.
 * - Mapping keys are literal; keys starting with `$` other than `$when` are refused.
 */

/** A parsed expression. */
export type Expression =
  | { kind: 'path'; path: string[] }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'not'; operand: Expression }
  | { kind: 'binary'; op: BinaryOp; left: Expression; right: Expression };

type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|'([^'\\]*)'|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|(==|!=|<=|>=|&&|\|\||[<>!()]))/y;

type Token =
  | { type: 'number'; value: number }
  | { type: 'string'; value: string }
  | { type: 'path'; value: string }
  | { type: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (text.slice(at).trim() !== '') {
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) {
      throw new Error(
        `cannot read expression "${text}" at "${text.slice(at).trim()}"`,
      );
    }
    at = TOKEN.lastIndex;
    if (m[1] !== undefined)
      tokens.push({ type: 'number', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ type: 'string', value: m[2] });
    else if (m[3] !== undefined) tokens.push({ type: 'path', value: m[3] });
    else tokens.push({ type: 'op', value: m[4] });
  }
  return tokens;
}

/** Parses an expression (the text between `${{` and `}}`); throws naming what it cannot read. */
export function parseExpression(text: string): Expression {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const isOp = (...ops: string[]) => {
    const t = peek();
    return t?.type === 'op' && ops.includes(t.value);
  };
  const fail = (what: string): never => {
    throw new Error(`cannot read expression "${text}": ${what}`);
  };

  // Declared before use so `primary` can recurse into parentheses.
  let or: () => Expression = () => fail('not ready');

  const primary = (): Expression => {
    const t = tokens[i++];
    if (!t) return fail('it ends too early');
    if (t.type === 'number' || t.type === 'string')
      return { kind: 'literal', value: t.value };
    if (t.type === 'path') {
      if (t.value === 'true') return { kind: 'literal', value: true };
      if (t.value === 'false') return { kind: 'literal', value: false };
      if (t.value === 'null') return { kind: 'literal', value: null };
      return { kind: 'path', path: t.value.split('.') };
    }
    if (t.value === '(') {
      const inner = or();
      if (!isOp(')')) fail('a "(" is not closed');
      i++;
      return inner;
    }
    return fail(`unexpected "${t.value}"`);
  };
  const unary = (): Expression => {
    if (isOp('!')) {
      i++;
      return { kind: 'not', operand: unary() };
    }
    return primary();
  };
  const comparison = (): Expression => {
    const left = unary();
    if (isOp('==', '!=', '<', '<=', '>', '>=')) {
      const op = tokens[i++].value as BinaryOp;
      return { kind: 'binary', op, left, right: unary() };
    }
    return left;
  };
  const and = (): Expression => {
    let left = comparison();
    while (isOp('&&')) {
      i++;
      left = { kind: 'binary', op: '&&', left, right: comparison() };
    }
    return left;
  };
  or = (): Expression => {
    let left = and();
    while (isOp('||')) {
      i++;
      left = { kind: 'binary', op: '||', left, right: and() };
    }
    return left;
  };

  const expression = or();
  if (i < tokens.length) fail(`unexpected "${String(tokens[i].value)}"`);
  return expression;
}

/** Every path an expression reads. */
export function expressionPaths(expression: Expression): string[][] {
  switch (expression.kind) {
    case 'path':
      return [expression.path];
    case 'literal':
      return [];
    case 'not':
      return expressionPaths(expression.operand);
    default:
      return [
        ...expressionPaths(expression.left),
        ...expressionPaths(expression.right),
      ];
  }
}

function lookup(scope: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = scope;
  for (const part of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The expression's value in the scope (plain data only; nothing is called). */
export function evaluate(
  expression: Expression,
  scope: Record<string, unknown>,
): unknown {
  switch (expression.kind) {
    case 'path':
      return lookup(scope, expression.path);
    case 'literal':
      return expression.value;
    case 'not':
      return !evaluate(expression.operand, scope);
    default: {
      const left = evaluate(expression.left, scope);
      if (expression.op === '&&')
        return left ? evaluate(expression.right, scope) : left;
      if (expression.op === '||')
        return left ? left : evaluate(expression.right, scope);
      const right = evaluate(expression.right, scope);
      if (expression.op === '==') return left === right;
      if (expression.op === '!=') return left !== right;
      if (typeof left !== 'number' || typeof right !== 'number') {
        throw new Error(
          `"${expression.op}" compares numbers only, not ${JSON.stringify(
            left,
          )} and ${JSON.stringify(right)}`,
        );
      }
      if (expression.op === '<') return left < right;
      if (expression.op === '<=') return left <= right;
      if (expression.op === '>') return left > right;
      return left >= right;
    }
  }
}

const WHOLE = /^\$\{\{(.*?)\}\}$/s;
const INLINE = /\$\{\{(.*?)\}\}/gs;
/** The key that makes a list item conditional. */
export const WHEN = '$when';

/** Whether the string is one `${{ expr }}` and nothing else. */
export function isWholeExpression(text: string): boolean {
  const whole = WHOLE.exec(text);
  return whole !== null && !whole[1].includes('}}');
}

/** A node of parsed YAML. */
export type Node =
  | string
  | number
  | boolean
  | null
  | Node[]
  | { [key: string]: Node };

function isMapping(node: unknown): node is { [key: string]: Node } {
  return node !== null && typeof node === 'object' && !Array.isArray(node);
}

/**
 * Every expression in a parsed template part, with where it is (`spec.replicas`), for
 * checks when the template is loaded. Throws naming the place of a key starting with
 * `$` other than `$when`, or of `$when` outside a list item.
 */
export function* expressionsIn(
  node: unknown,
  at: string,
  inListItem = false,
): Generator<{ at: string; text: string }> {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole && !whole[1].includes('}}')) {
      yield { at, text: whole[1] };
      return;
    }
    for (const m of node.matchAll(INLINE)) yield { at, text: m[1] };
  } else if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      yield* expressionsIn(node[i], `${at}[${i}]`, true);
    }
  } else if (isMapping(node)) {
    for (const [key, value] of Object.entries(node)) {
      const where = at ? `${at}.${key}` : key;
      if (key === WHEN) {
        if (!inListItem)
          throw new Error(`${where}: "$when" is allowed on list items only`);
        if (typeof value !== 'string')
          throw new Error(`${where}: "$when" must be an expression string`);
        yield { at: where, text: value };
      } else if (key.startsWith('$')) {
        throw new Error(`${where}: unknown key "${key}"`);
      } else {
        yield* expressionsIn(value, where);
      }
    }
  }
}

/** Marks a value left out: an undefined or null whole-string expression, or a false `$when`. */
const OMIT = Symbol('omit');

function interpolate(text: string, scope: Record<string, unknown>): string {
  return text.replace(INLINE, (_, source: string) => {
    const value = evaluate(parseExpression(source), scope);
    if (
      typeof value !== 'string' &&
      typeof value !== 'number' &&
      typeof value !== 'boolean'
    ) {
      throw new Error(
        `"\${{${source}}}" inside text has no text value (${
          value === undefined ? 'undefined' : JSON.stringify(value)
        })`,
      );
    }
    return String(value);
  });
}

function substituteNode(
  node: Node,
  scope: Record<string, unknown>,
): Node | typeof OMIT {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole && !whole[1].includes('}}')) {
      const value = evaluate(parseExpression(whole[1]), scope);
      if (value === undefined || value === null) return OMIT;
      if (typeof value === 'object') {
        throw new Error(`"\${{${whole[1]}}}" is not a single value`);
      }
      return value as Node;
    }
    return interpolate(node, scope);
  }
  if (Array.isArray(node)) {
    const out: Node[] = [];
    for (const item of node) {
      let current: Node = item;
      if (isMapping(item) && WHEN in item) {
        const { [WHEN]: condition, ...rest } = item;
        if (!evaluate(parseExpression(String(condition)), scope)) continue;
        current = rest;
      }
      const value = substituteNode(current, scope);
      if (value !== OMIT) out.push(value);
    }
    return out;
  }
  if (isMapping(node)) {
    const out: { [key: string]: Node } = {};
    for (const [key, value] of Object.entries(node)) {
      const substituted = substituteNode(value, scope);
      if (substituted !== OMIT) out[key] = substituted;
    }
    return out;
  }
  return node;
}

/**
 * A copy of `node` with every expression replaced (see the module's comment); the
 * input is not changed. Values taken from the scope are copied, never shared.
 */
export function substitute(node: Node, scope: Record<string, unknown>): Node {
  const value = substituteNode(node, scope);
  return value === OMIT ? null : structuredClone(value);
}
