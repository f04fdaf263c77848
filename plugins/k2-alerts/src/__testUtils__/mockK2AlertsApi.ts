import { createApiMock } from '@backstage/frontend-test-utils';
import { K2ApiError } from '@internal/plugin-k2-common';
import { minutesAgo } from '@internal/plugin-k2-react/testUtils';
import {
  K2Alert,
  K2AlertHistoryEntry,
  K2AlertRule,
  K2AlertRuleTemplate,
  K2AlertsApi,
  k2AlertsApiRef,
  K2AlertSilence,
  K2AlertStats,
  K2Incident,
  K2TeamAlertSettings,
  K2TeamAlertSettingsView,
} from '../api/K2AlertsApi';

/** The templates the tests choose from, as the backend lists them. */
export const TEMPLATES: K2AlertRuleTemplate[] = [
  {
    id: 'memory-usage',
    title: 'Memory usage over a share of the limit',
    description:
      'A container of the service uses more than the given percentage of its memory limit.',
    builtin: true,
    scope: 'service',
    defaultSeverity: 'warning',
    defaultFor: '5m',
    parameters: [
      {
        name: 'threshold',
        title: 'Share of the memory limit',
        type: 'percent',
        required: true,
        default: 90,
        min: 1,
        max: 100,
      },
    ],
  },
  {
    id: 'memory-bytes',
    title: 'Memory usage over a size',
    description:
      'A container of the service uses more memory than the given size.',
    builtin: true,
    scope: 'service',
    defaultSeverity: 'warning',
    defaultFor: '5m',
    parameters: [
      {
        name: 'bytes',
        title: 'Memory',
        type: 'bytes',
        required: true,
        default: 2 ** 30,
        min: 2 ** 20,
        max: 2 ** 40,
      },
    ],
  },
  {
    id: 'container-memory',
    title: "One container's memory over a share of its limit",
    description:
      'One named container of one named instance (pod) of the service uses more than the given percentage of its memory limit.',
    builtin: true,
    scope: 'container',
    defaultSeverity: 'warning',
    defaultFor: '5m',
    parameters: [
      { name: 'pod', title: 'Instance (pod)', type: 'string', required: true },
      { name: 'container', title: 'Container', type: 'string', required: true },
      {
        name: 'threshold',
        title: 'Share of the memory limit',
        type: 'percent',
        required: true,
        default: 90,
        min: 1,
        max: 100,
      },
    ],
  },
  {
    id: 'http-probe',
    title: 'HTTP probe failing',
    description:
      'Prometheus probes the URL through the environment’s blackbox exporter; the alert fires while the probe fails.',
    builtin: true,
    scope: 'url',
    defaultSeverity: 'critical',
    defaultFor: '2m',
    parameters: [{ name: 'url', title: 'URL', type: 'url', required: true }],
  },
  {
    id: 'slow-queries',
    title: 'Slow queries',
    description: 'A custom template: query latency over a number of seconds.',
    builtin: false,
    scope: 'service',
    defaultSeverity: 'info',
    defaultFor: '10m',
    parameters: [
      {
        name: 'seconds',
        title: 'Latency',
        type: 'number',
        required: true,
        default: 2,
      },
    ],
  },
];

const SERVICE = 'component:default/payment-gateway';

/** Statistics over `days` days: 3 incidents on the last day, 1 on the one before. */
export function statsOver(days: number): K2AlertStats {
  const daily = Array.from({ length: days }, (_, i) => ({
    day: `2026-11-${String(27 - days + i).padStart(2, '0')}`,
    counts: { critical: 0, warning: 0, info: 0 },
  }));
  daily[days - 1].counts = { critical: 2, warning: 1, info: 0 };
  if (days > 1) daily[days - 2].counts = { critical: 0, warning: 0, info: 1 };
  return {
    from: `${daily[0].day}T00:00:00.000Z`,
    days,
    services: [SERVICE],
    totals: { critical: 2, warning: 1, info: 1 },
    daily,
    noisiestRules: [
      {
        entityRef: SERVICE,
        ruleKey: 'r-memory',
        title: 'High memory',
        incidents: 3,
        alerts: 9,
      },
    ],
    acknowledgeSeconds: { count: 2, mean: 300, median: 240 },
    resolveSeconds: { count: 3, mean: 5400, median: 5400 },
    unacknowledged: { incidents: 2, alerts: 5 },
  };
}

function rule(extra: Partial<K2AlertRule> & Pick<K2AlertRule, 'id' | 'name'>) {
  return {
    entityRef: SERVICE,
    environment: 'test',
    parameters: {},
    for: '5m',
    severity: 'warning',
    enabled: true,
    delivery: { state: 'delivered', at: minutesAgo(3) },
    createdBy: 'user:default/alice',
    createdAt: minutesAgo(60),
    updatedBy: 'user:default/alice',
    updatedAt: minutesAgo(60),
    ...extra,
  } as K2AlertRule;
}

function incident(
  extra: Partial<K2Incident> & Pick<K2Incident, 'id' | 'title'>,
): K2Incident {
  return {
    entityRef: SERVICE,
    environment: 'test',
    ruleKey: 'r-memory',
    severity: 'warning',
    status: 'open',
    source: 'prometheus',
    openedAt: minutesAgo(12),
    firingCount: 1,
    alertCount: 1,
    lastChangeAt: minutesAgo(12),
    ...extra,
  };
}

/**
 * The service's incidents: in test, "High memory" (critical, open, 1 of 2 alerts
 * firing); in prod an OOMKilled signal (open); in test a resolved probe failure.
 */
export const INCIDENTS: K2Incident[] = [
  incident({
    id: 'inc-memory',
    title: 'High memory',
    severity: 'critical',
    firingCount: 1,
    alertCount: 2,
    lastChangeAt: minutesAgo(4),
  }),
  incident({
    id: 'inc-oom',
    title: 'OOMKilled',
    environment: 'prod',
    ruleKey: 'signal:oomkilled',
    source: 'kubernetes',
    openedAt: minutesAgo(30),
  }),
  incident({
    id: 'inc-probe',
    title: 'Checkout probe',
    ruleKey: 'r-probe',
    status: 'resolved',
    firingCount: 0,
    openedAt: minutesAgo(200),
    resolvedAt: minutesAgo(180),
  }),
];

/** High memory's two alerts: one per pod, the second resolved since. */
export const MEMORY_ALERTS: K2Alert[] = [
  {
    id: 'a-1',
    fingerprint: 'f1',
    labels: {
      alertname: 'High memory',
      k2_rule: 'r-memory',
      pod: 'payment-gateway-7d9f-abcde',
      cluster: 'test',
      severity: 'critical',
    },
    annotations: { summary: 'payment-gateway uses 91 % of its memory limit' },
    status: 'firing',
    startsAt: minutesAgo(12),
    cluster: 'test',
    events: [{ status: 'firing', at: minutesAgo(12), source: 'alertmanager' }],
  },
  {
    id: 'a-2',
    fingerprint: 'f2',
    labels: {
      alertname: 'High memory',
      k2_rule: 'r-memory',
      pod: 'payment-gateway-7d9f-fghij',
      cluster: 'test',
      severity: 'critical',
    },
    annotations: { summary: 'payment-gateway uses 85 % of its memory limit' },
    status: 'resolved',
    startsAt: minutesAgo(11),
    endsAt: minutesAgo(4),
    cluster: 'test',
    events: [
      { status: 'firing', at: minutesAgo(11), source: 'alertmanager' },
      { status: 'resolved', at: minutesAgo(4), source: 'alertmanager' },
    ],
  },
];

/** The history: 60 state changes in test, newest first, so it takes two pages. */
export const HISTORY: K2AlertHistoryEntry[] = Array.from(
  { length: 60 },
  (_, i) => ({
    alertId: `a-${i}`,
    incidentId: 'inc-memory',
    status: i % 2 ? 'resolved' : 'firing',
    at: minutesAgo(i + 1),
    labels: {
      alertname: `High memory ${i + 1}`,
      k2_rule: 'r-memory',
      environment: 'test',
      cluster: 'test',
      severity: 'critical',
    },
    summary: `Change ${i + 1}`,
  }),
);

/** A refusal as the Alerts backend answers it. */
/**
 * payments-team's stored settings: in-app notifications and a DingTalk webhook whose
 * URL carries a token (never answered back, as the backend masks it).
 */
const TEAM_SETTINGS: K2TeamAlertSettings = {
  channels: [
    {
      id: 'in-app',
      type: 'notifications',
      enabled: true,
      template: '[{{ severity }}] {{ title }}',
    },
    {
      id: 'dingtalk',
      type: 'webhook',
      enabled: true,
      template: '{{ title }} ({{ environment }})',
      url: 'https://oapi.dingtalk.example/robot/send?access_token=s3cret',
      payload: '{"msgtype": "text", "text": {"content": "{{ message }}"}}',
    },
  ],
  quietHours: { timeZone: 'Asia/Shanghai', start: '22:00', end: '07:00' },
  lead: 'user:default/priya',
  escalation: [
    { target: 'team', waitSeconds: 900 },
    { target: 'lead', waitSeconds: 1800 },
  ],
};

function teamView(
  team: { namespace: string; name: string },
  settings: K2TeamAlertSettings,
): K2TeamAlertSettingsView {
  return {
    team: `group:${team.namespace}/${team.name}`,
    stored: true,
    ...settings,
    channels: settings.channels.map(({ url, ...channel }) => ({
      ...channel,
      ...(url ? { urlHint: `${new URL(url).origin}/…` } : {}),
    })),
    updatedAt: minutesAgo(60),
    updatedBy: 'user:default/alice',
  };
}

/** The sample incident the backend renders previews with, as far as the tests read it. */
const SAMPLE_FIELDS: Record<string, string> = {
  title: 'Memory of payment-gateway over 90 % of the limit for 5m',
  service: 'payment-gateway',
  environment: 'prod',
  severity: 'critical',
  event: 'opened',
};

function renderSample(template: string, fields: Record<string, string>) {
  return template.replace(
    /\{\{\s*([a-zA-Z][a-zA-Z0-9]*)\s*\}\}/g,
    (_, name: string) => fields[name] ?? '',
  );
}

function refuse(statusCode: number, name: string, message: string): never {
  throw new K2ApiError(message, statusCode, { error: { name, message } });
}

/**
 * A `K2AlertsApi` whose every method is a `jest.fn` over an in-memory store that
 * answers as the backend does: the templates above (four built-in, one custom); in
 * test the rules "High memory" (memory-usage at 80 %, delivered), "Checkout probe"
 * (http-probe, delivery failed) and "Slow queries" (the custom template); in prod
 * none; the incidents and history above. A preview answers with the expression and
 * one series per pod of test (83.1234 and 40). Override a method with
 * `api.previewRule.mockResolvedValue(...)`.
 */
export const createK2AlertsApi = createApiMock(k2AlertsApiRef, () => {
  let rules: K2AlertRule[] = [
    rule({
      id: 'r-memory',
      name: 'High memory',
      templateId: 'memory-usage',
      parameters: { threshold: 80 },
      severity: 'critical',
    }),
    rule({
      id: 'r-probe',
      name: 'Checkout probe',
      templateId: 'http-probe',
      parameters: { url: 'https://checkout.test.k2.northwind.internal/health' },
      for: '2m',
      delivery: {
        state: 'failed',
        message: 'promtool: group "payment-gateway": 1 error',
      },
    }),
    rule({
      id: 'r-slow',
      name: 'Slow queries',
      templateId: 'slow-queries',
      parameters: { seconds: 3 },
      for: '10m',
      severity: 'info',
    }),
  ];
  let next = 1;
  let teamSettings = TEAM_SETTINGS;
  /** Incidents acknowledged or resolved through this API, by id. */
  const changed = new Map<string, K2Incident>();
  const silences: K2AlertSilence[] = [
    {
      id: 'sil-1',
      environment: 'prod',
      matchers: [
        { name: 'k2_entity', value: SERVICE, isRegex: false, isEqual: true },
        { name: 'environment', value: 'prod', isRegex: false, isEqual: true },
        { name: 'k2_rule', value: 'r-cpu', isRegex: false, isEqual: true },
      ],
      startsAt: minutesAgo(30),
      endsAt: minutesAgo(-90),
      createdBy: 'user:default/alice',
      comment: 'CPU load test until noon',
      state: 'active',
    },
  ];
  const fake: K2AlertsApi = {
    getTemplates: async () => ({ items: TEMPLATES }),
    getRules: async (_service, environment) => ({
      items: rules.filter(r => !environment || r.environment === environment),
    }),
    createRule: async (_service, input) => {
      const created = rule({
        id: `r-new-${next++}`,
        ...input,
        parameters: input.parameters ?? {},
        for: input.for ?? '5m',
        severity: input.severity ?? 'warning',
        enabled: input.enabled ?? true,
        delivery: { state: 'pending' },
      });
      rules.push(created);
      return created;
    },
    updateRule: async (_service, id, input) => {
      const found = rules.find(r => r.id === id);
      if (!found) return refuse(404, 'NotFoundError', `No rule ${id}`);
      Object.assign(found, input);
      return found;
    },
    deleteRule: async (_service, id) => {
      rules = rules.filter(r => r.id !== id);
    },
    previewRule: async (_service, input) => ({
      expr: input.expr ?? `k2:memory_usage_ratio{k2_service="payment-gateway"}`,
      group: `groups:\n  - name: payment-gateway\n    rules:\n      - alert: ${input.name}\n`,
      current: {
        evaluatedAt: minutesAgo(0),
        series: [
          {
            labels: { cluster: 'test', pod: 'payment-gateway-7d9f-abcde' },
            value: 83.1234,
          },
          {
            labels: { cluster: 'test', pod: 'payment-gateway-7d9f-fghij' },
            value: 40,
          },
        ],
      },
    }),
    getIncidents: async (_service, query = {}) => ({
      items: INCIDENTS.filter(
        i =>
          (!query.status || i.status === query.status) &&
          (!query.environment || i.environment === query.environment) &&
          (!query.severity || i.severity === query.severity),
      ),
    }),
    getIncident: async id => {
      const found = changed.get(id) ?? INCIDENTS.find(i => i.id === id);
      if (!found) return refuse(404, 'NotFoundError', `No incident ${id}`);
      return {
        incident: found,
        alerts: id === 'inc-memory' ? MEMORY_ALERTS : [],
      };
    },
    getAlertHistory: async (_service, query = {}) => {
      const matching = HISTORY.filter(
        e => !query.status || e.status === query.status,
      );
      const start = query.cursor ? Number(query.cursor) : 0;
      const end = start + (query.limit ?? 50);
      return {
        items: matching.slice(start, end),
        ...(end < matching.length ? { nextCursor: String(end) } : {}),
      };
    },
    getTeamIncidents: async (_team, query = {}) => ({
      items: INCIDENTS.filter(i => i.status === (query.status ?? 'open')),
      services: [SERVICE, 'component:default/cart-service'],
    }),
    acknowledgeIncident: async id => {
      const found = changed.get(id) ?? INCIDENTS.find(i => i.id === id)!;
      const acknowledged = {
        ...found,
        acknowledgedAt: new Date().toISOString(),
        acknowledgedBy: 'user:default/alice',
      };
      changed.set(id, acknowledged);
      return acknowledged;
    },
    resolveIncident: async id => {
      const found = changed.get(id) ?? INCIDENTS.find(i => i.id === id)!;
      const resolved = {
        ...found,
        status: 'resolved' as const,
        resolvedAt: new Date().toISOString(),
        resolvedBy: 'user:default/alice',
      };
      changed.set(id, resolved);
      return resolved;
    },
    getSilences: async () => ({ items: [...silences] }),
    createSilence: async (_service, input) => {
      const created: K2AlertSilence = {
        id: `sil-new-${next++}`,
        environment: input.environment,
        matchers: [
          { name: 'k2_entity', value: SERVICE, isRegex: false, isEqual: true },
          {
            name: 'environment',
            value: input.environment,
            isRegex: false,
            isEqual: true,
          },
          ...input.matchers.map(m => ({
            name: m.name,
            value: m.value,
            isRegex: m.isRegex ?? false,
            isEqual: m.isEqual ?? true,
          })),
        ],
        startsAt: minutesAgo(0),
        endsAt: minutesAgo(-240),
        createdBy: 'user:default/alice',
        comment: input.comment,
        state: 'active',
      };
      silences.unshift(created);
      return created;
    },
    expireSilence: async (_service, id) => {
      const found = silences.find(s => s.id === id);
      if (!found) return refuse(404, 'NotFoundError', `No silence ${id}`);
      found.state = 'expired';
      return undefined;
    },
    getServiceStats: async (_service, days = 14) => statsOver(days),
    getTeamStats: async (_team, days = 14) => statsOver(days),
    getClusterChecks: async () => ({
      checkedAt: minutesAgo(0),
      clusters: [
        {
          cluster: 'test-a',
          findings: [
            {
              check: 'node-memory-pressure' as const,
              cluster: 'test-a',
              node: 'test-a-worker-2',
              since: minutesAgo(12),
              pods: [],
              summary:
                'Node test-a-worker-2 in cluster test-a: MemoryPressure (KubeletHasInsufficientMemory)',
            },
            {
              check: 'replicas-on-one-node' as const,
              cluster: 'test-a',
              node: 'test-a-worker-1',
              entityRef: 'component:default/payment-gateway',
              environment: 'test',
              namespace: 'payments',
              since: minutesAgo(40),
              pods: ['payment-gateway-1', 'payment-gateway-2'],
              summary:
                'All 2 replicas of payment-gateway (test) in cluster test-a run on node test-a-worker-1',
            },
          ],
          incidents: [],
        },
        { cluster: 'prod-a', findings: [], incidents: [] },
      ],
    }),
    getTeamSettings: async team => teamView(team, teamSettings),
    updateTeamSettings: async (team, input) => {
      teamSettings = {
        ...input,
        channels: input.channels.map(channel => ({
          ...channel,
          url:
            channel.url ??
            teamSettings.channels.find(c => c.id === channel.id)?.url,
        })),
      };
      return teamView(team, teamSettings);
    },
    previewTeamMessage: async (_team, input) => {
      const text = renderSample(input.template, SAMPLE_FIELDS);
      if (!input.payload) return { text };
      const body = renderSample(input.payload, {
        ...SAMPLE_FIELDS,
        message: text,
      });
      try {
        JSON.parse(body);
      } catch (error) {
        return refuse(
          400,
          'InputError',
          `The payload template does not render to JSON: ${
            (error as Error).message
          }`,
        );
      }
      return { text, body };
    },
  };
  // Every method a jest.fn over the fake, so tests can assert on calls and override.
  return Object.fromEntries(
    Object.entries(fake).map(([name, method]) => [
      name,
      jest.fn(method as (...args: unknown[]) => unknown),
    ]),
  ) as unknown as jest.Mocked<K2AlertsApi>;
});
