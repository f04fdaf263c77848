import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import {
  itWithPromtool,
  testPromtool,
} from '../prometheus/__testUtils__/promtool';
import { checkParameters, compileGroup, RuleTarget } from '../rules/compile';
import { BUILTIN_TEMPLATES_DIR, loadBuiltinTemplates } from './builtin';

/** The service every template's promtool cases are written for. */
const target: RuleTarget = {
  entityRef: 'component:default/payment-gateway',
  service: 'payment-gateway',
  environment: 'test',
  clusters: ['test'],
  namespace: 'payments',
  kubernetesId: 'payment-gateway',
  team: 'group:default/payments-team',
};

const templates = loadBuiltinTemplates();
const TESTS_DIR = join(BUILTIN_TEMPLATES_DIR, 'tests');

const promtool = testPromtool!;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k2-templates-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Compiles the rule of a template's test file and writes rule and test files. */
async function prepare(id: string) {
  const test = YAML.parse(
    await readFile(join(TESTS_DIR, `${id}.yaml`), 'utf8'),
  );
  const template = templates.find(t => t.id === id)!;
  const rule = {
    id: 'r1',
    name: test.rule.name,
    templateId: id,
    parameters: checkParameters(template, test.rule.parameters),
    for: test.rule.for,
    severity: test.rule.severity,
    enabled: true,
  };
  const group = compileGroup(target, [rule], () => template);
  const rules = join(dir, `${id}.rules.yml`);
  const cases = join(dir, `${id}.test.yml`);
  await writeFile(rules, group.yaml);
  await writeFile(
    cases,
    YAML.stringify({ rule_files: [rules], ...test.promtool }),
  );
  return { group, rules, cases };
}

describe('built-in rule templates', () => {
  it('are the templates the issue names, each with promtool cases', async () => {
    expect(templates.map(t => t.id).sort()).toEqual([
      'container-memory',
      'cpu-usage',
      'http-probe',
      'instances-unavailable',
      'memory-bytes',
      'memory-usage',
      'oom-killed',
      'readiness-failing',
      'restarts',
    ]);
    const tests = (await readdir(TESTS_DIR)).map(f => f.replace(/\.yaml$/, ''));
    expect(tests.sort()).toEqual(templates.map(t => t.id).sort());
    expect(templates.map(t => t.scope)).toEqual(
      expect.arrayContaining(['service', 'container', 'url']),
    );
  });

  itWithPromtool.each(templates.map(t => t.id))(
    '%s: its compiled rule file passes promtool check rules and its promtool test rules cases',
    async id => {
      const { group, rules, cases } = await prepare(id);
      await expect(promtool.checkRules(group.yaml)).resolves.toBeUndefined();
      const result = await promtool.testRules(cases);
      expect({ id, rules, output: result.output }).toEqual({
        id,
        rules,
        output: expect.stringContaining('SUCCESS'),
      });
      expect(result.code).toBe(0);
    },
  );

  itWithPromtool(
    'every template compiles with its defaults for a service in two clusters',
    async () => {
      const rules = templates.map((template, i) => ({
        id: `r${i}`,
        name: `Rule${i}`,
        templateId: template.id,
        parameters: checkParameters(template, {
          ...(template.scope === 'container'
            ? { pod: 'payment-gateway-7d9f8b6c5-abcde', container: 'app' }
            : {}),
          ...(template.scope === 'url'
            ? { url: 'https://payment-gateway.k2.internal/health' }
            : {}),
        }),
        for: template.defaultFor,
        severity: template.defaultSeverity,
        enabled: true,
      }));
      const group = compileGroup(
        { ...target, environment: 'prod', clusters: ['prod-a', 'prod-b'] },
        rules,
        id => templates.find(t => t.id === id),
      );
      expect(group.rules).toHaveLength(templates.length);
      expect(group.yaml).toContain('cluster=~"prod-a|prod-b"');
      await expect(promtool.checkRules(group.yaml)).resolves.toBeUndefined();
    },
  );
});
