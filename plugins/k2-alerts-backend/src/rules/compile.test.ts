import { loadBuiltinTemplates } from '../templates/builtin';
import {
  checkParameters,
  ruleExpressions,
  RuleTarget,
  selectorWarnings,
  splitComparison,
} from './compile';

const templates = loadBuiltinTemplates();
const template = (id: string) => templates.find(t => t.id === id)!;

const target: RuleTarget = {
  entityRef: 'component:default/payment-gateway',
  service: 'payment-gateway',
  environment: 'prod',
  clusters: ['prod-a', 'prod-b'],
  namespace: 'payments',
  kubernetesId: 'payment-gateway',
  team: 'group:default/payments-team',
};

describe('splitComparison', () => {
  it.each([
    ['a / b > 3', 'a / b'],
    ['sum(x{a=">"}) >= 0.5', 'sum(x{a=">"})'],
    ['max(x) == bool 0', 'max(x)'],
    ['rate(x[5m]) <= 1 and on (pod) y', 'rate(x[5m]) <= 1 and on (pod) y'],
    ['up', 'up'],
    ['(a > 1)', '(a > 1)'],
  ])('%s is valued as %s', (expr, value) => {
    expect(splitComparison(expr)).toBe(value);
  });
});

describe('checkParameters', () => {
  it('fills defaults and refuses values no PromQL may carry', () => {
    expect(checkParameters(template('restarts'), {})).toEqual({
      count: 3,
      window: '15m',
    });
    expect(
      checkParameters(template('memory-usage'), { threshold: '85' }),
    ).toEqual({
      threshold: 85,
    });
    expect(() =>
      checkParameters(template('container-memory'), {
        pod: 'x"} or vector(1) #',
        container: 'app',
      }),
    ).toThrow(/must be a Kubernetes name/);
    expect(() =>
      checkParameters(template('http-probe'), { url: 'http://x/"}' }),
    ).toThrow(/http or https URL without quotes/);
    expect(() =>
      checkParameters(template('http-probe'), { url: 'file:///etc/passwd' }),
    ).toThrow(/http or https URL/);
    expect(() => checkParameters(template('http-probe'), {})).toThrow(
      /Parameter 'url' \(URL\) is required/,
    );
    expect(() =>
      checkParameters(template('restarts'), { window: '2d' }),
    ).toThrow(/between 60s and 86400s/);
    expect(() =>
      checkParameters(template('memory-bytes'), { bytes: 'lots' }),
    ).toThrow(/must be a number, not 'lots'/);
  });
});

describe('ruleExpressions', () => {
  it("scopes a template rule to the service's clusters, namespace and Deployment pods", () => {
    const { expr, value } = ruleExpressions(
      {
        id: 'r1',
        name: 'Mem',
        templateId: 'memory-bytes',
        parameters: { bytes: 1048576 },
        for: '5m',
        severity: 'warning',
      },
      template('memory-bytes'),
      target,
    );
    expect(expr).toBe(
      'max by (cluster, namespace, pod, container) (container_memory_working_set_bytes{cluster=~"prod-a|prod-b",namespace="payments",pod=~"payment-gateway-[a-z0-9]+-[a-z0-9]+",container!=""}) > 1048576',
    );
    expect(value).toBe(expr.replace(/ > 1048576$/, ''));
  });

  it('gives a URL rule the probe targets of the rule alone', () => {
    const { expr } = ruleExpressions(
      {
        id: 'r9',
        name: 'Up',
        templateId: 'http-probe',
        parameters: { url: 'https://x.example/' },
        for: '1m',
        severity: 'critical',
      },
      template('http-probe'),
      target,
    );
    expect(expr).toBe('min by (instance) (probe_success{k2_rule="r9"}) == 0');
  });
});

describe('selectorWarnings', () => {
  it('warns of selectors beyond the namespace, and of none', () => {
    expect(selectorWarnings('up{namespace="payments"} == 0', target)).toEqual(
      [],
    );
    expect(selectorWarnings('up{namespace=~"pay.*"} == 0', target)).toEqual([
      expect.stringContaining('namespace=~"pay.*"'),
    ]);
    expect(selectorWarnings('sum(up) == 0', target)).toEqual([
      expect.stringContaining('reaches every namespace'),
    ]);
  });
});
