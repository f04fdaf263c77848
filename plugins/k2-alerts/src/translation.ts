import {
  createTranslationRef,
  createTranslationResource,
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';

/**
 * The Alerts tab's and overview page's words, in English (the default). Every other
 * language lives in `translations/<language>.ts` with exactly these keys and the same
 * `{{placeholders}}`; the key-parity test holds them to it. Keys ending `_one`/`_other`
 * are plurals chosen by `count`. What the backend says (template titles and
 * descriptions, delivery messages, alert summaries, a preview's error) is shown as
 * written.
 */
export const k2AlertsMessages = {
  tab: {
    invalidConfig: 'K2 configuration is invalid',
    notReleased: 'This service runs in no K2 environment yet',
    notReleasedHint:
      'Name its environments in the k2.io/environments annotation of catalog-info.yaml, e.g. k2.io/environments: test,prod.',
  },
  views: {
    label: 'Alerts views',
    incidents: 'Incidents',
    rules: 'Rules',
    history: 'History',
    silences: 'Silences',
    stats: 'Statistics',
  },
  refused: {
    owners:
      'Only the service’s owners (and platform admins) may change its alert rules',
    promql: 'Only platform admins may write rules in PromQL',
  },
  severity: {
    label: 'Severity',
    all: 'All severities',
    critical: 'Critical',
    warning: 'Warning',
    info: 'Info',
  },
  status: {
    label: 'Status',
    open: 'Open',
    resolved: 'Resolved',
    firing: 'Firing',
    allAlerts: 'All states',
  },
  source: {
    prometheus: 'Prometheus',
    kubernetes: 'Kubernetes',
  },
  signals: {
    oomkilled: 'OOMKilled',
    'error-exit': 'Exited with an error',
    crashloop: 'Crash loop',
    'failed-scheduling': 'Failed scheduling',
    readiness: 'Readiness failing',
  },
  environments: {
    all: 'All environments',
  },
  incidents: {
    open: 'Open incidents',
    resolved: 'Resolved incidents',
    noOpen: 'No open incidents.',
    noOpenHint:
      'Nothing fires for this service. Incidents open here when one of its rules or a Kubernetes signal (OOMKilled, crash loop…) fires.',
    noResolved: 'No resolved incidents yet',
    incident: 'Incident',
    environment: 'Environment',
    severity: 'Severity',
    opened: 'Opened',
    resolvedAt: 'Resolved',
    lastChange: 'Last change',
    alerts: 'Alerts',
    firingOf: '{{firing}} firing of {{total}}',
    source: 'Source',
    more: 'Show older resolved incidents',
    close: 'Close',
    gone: 'This incident no longer exists',
    noAlerts: 'No alerts recorded for this incident',
    acknowledge: 'Acknowledge',
    resolve: 'Resolve',
    working: 'Working…',
    actions: 'Actions',
    acknowledgedBy: 'Acknowledged by {{user}}',
    resolvedBy: 'Resolved by {{user}}',
    acknowledgeAsked:
      'You followed a link to acknowledge this incident: acknowledging stops its escalation.',
    acknowledgeRefused:
      'Only the service’s owners and platform admins may acknowledge this incident.',
  },
  alert: {
    heading: 'Alerts',
    labels: 'Labels',
    status: 'Status',
    started: 'Started',
    ended: 'Ended',
    cluster: 'Cluster',
    events: 'State changes',
    at: 'When',
    source: 'From',
    summary: 'Summary',
  },
  rules: {
    title: 'Alert rules in {{environment}}',
    create: 'New rule',
    empty: 'No alert rules in {{environment}} yet.',
    emptyHint:
      'Create one from a template with New rule: memory, CPU, restarts, unavailable instances, a URL probe…',
    name: 'Name',
    template: 'Template',
    condition: 'Condition',
    severity: 'Severity',
    enabled: 'Enabled',
    delivery: 'Delivery',
    actions: 'Actions',
    promql: 'PromQL',
    unknownTemplate: 'Template {{id}} (removed)',
    enable: 'Enable {{name}}',
    edit: 'Edit',
    delete: 'Delete',
    forDuration: '{{condition}} for {{for}}',
  },
  delivery: {
    delivered: 'Delivered',
    pending: 'Pending',
    failed: 'Failed',
  },
  dialog: {
    createTitle: 'New alert rule in {{environment}}',
    editTitle: 'Edit {{name}} in {{environment}}',
    explain:
      'Saving compiles the service’s rules in {{environment}} into one Prometheus rule group, checks it with promtool and delivers it; Prometheus evaluates it from its next reload.',
    create: 'Create',
    creating: 'Creating…',
    save: 'Save',
    saving: 'Saving…',
    name: 'Name',
    nameHelp: 'Shown on incidents and as the alert’s name, e.g. High memory',
    nameRule:
      'Letters, digits, spaces and _ . : -, starting with a letter and ending with a letter or digit',
    kind: 'Rule',
    rawPromql: 'PromQL (platform admins)',
    expr: 'PromQL expression',
    exprHelp:
      'Fires while it returns series. Use the service’s labels, e.g. {{example}}',
    parameters: 'Parameters',
    severity: 'Severity',
    severityDefault: '{{severity}} — template default',
    for: 'For',
    forDefault: '{{for}} — template default',
    forHelp: 'How long the condition must hold before the alert fires',
    enabled: 'Enabled',
    required: 'Required',
    notANumber: 'A number',
    atLeast: 'At least {{min}}',
    atMost: 'At most {{max}}',
    duration: 'A duration such as 30s, 5m or 1h',
    bytes: 'A size such as 512Mi or 2Gi',
    url: 'An http:// or https:// URL',
    kubeName:
      'Lowercase letters, digits, - and ., as Kubernetes names it (e.g. payment-gateway-7d9f-abcde)',
    defaultValue: 'Default: {{value}}',
    fixFirst: 'Fill in the form to see the preview',
  },
  preview: {
    heading: 'Live preview',
    loading: 'Asking Prometheus…',
    current: 'Current value in {{environment}}, evaluated {{time}}',
    series: 'Series',
    value: 'Value',
    noSeries:
      'Prometheus has no series for this expression in {{environment}} yet',
    unavailable: 'No current value: {{message}}',
    noPrometheus: 'No current value: {{environment}} has no Prometheus to ask',
    group: 'Rule group as delivered',
    groupLabel: 'Rendered rule group',
  },
  delete: {
    title: 'Delete {{name}} from {{environment}}?',
    explain:
      'Prometheus stops evaluating it once the service’s rule group in {{environment}} is delivered again. Its incidents and history stay.',
    confirm: 'Delete',
    busy: 'Deleting…',
  },
  history: {
    title: 'Alert history',
    rule: 'Rule',
    allRules: 'All rules',
    at: 'When',
    status: 'Status',
    alert: 'Alert',
    environment: 'Environment',
    cluster: 'Cluster',
    summary: 'Summary',
    empty: 'No alert state changes match.',
    emptyHint:
      'Widen the filters, or wait for a rule or a Kubernetes signal to fire.',
    newer: 'Newer',
    older: 'Older',
    page: 'Page {{page}}',
    openIncident: 'Open the incident',
  },
  units: {
    percent: '{{value}} %',
  },
  builtinTemplates: {
    'container-memory': {
      title: "One container's memory over a share of its limit",
      description:
        'One named container of one named instance (pod) of the service uses more than the given percentage of its memory limit (working set, as the Instances view shows it).',
      parameters: {
        pod: 'Instance (pod)',
        container: 'Container',
        threshold: 'Share of the memory limit',
      },
    },
    'cpu-usage': {
      title: 'CPU usage over a share of the limit',
      description:
        'A container of the service uses more than the given percentage of its CPU limit (its CPU time per second, averaged over 5 minutes).',
      parameters: {
        threshold: 'Share of the CPU limit',
      },
    },
    'http-probe': {
      title: 'HTTP probe failing',
      description:
        "Prometheus probes the URL through the environment's blackbox exporter (a 2xx answer within its timeout succeeds); the alert fires while the probe fails.",
      parameters: {
        url: 'URL',
      },
    },
    'instances-unavailable': {
      title: 'Instances unavailable',
      description:
        "Fewer of the service's instances are available than its Deployment wants, in any cluster of the environment (a release stuck, pods crashing or unschedulable).",
      parameters: {
        missing: 'Missing instances',
      },
    },
    'memory-bytes': {
      title: 'Memory usage over a size',
      description:
        'A container of the service uses more memory than the given size. Usage is the working set (usage minus page cache), as the Instances view shows it.',
      parameters: {
        bytes: 'Memory',
      },
    },
    'memory-usage': {
      title: 'Memory usage over a share of the limit',
      description:
        "A container of the service uses more than the given percentage of its memory limit. Usage is the working set (usage minus page cache), as the Instances view shows it and as the kernel's OOM killer counts it.",
      parameters: {
        threshold: 'Share of the memory limit',
      },
    },
    'oom-killed': {
      title: 'OOMKilled',
      description:
        'A container of the service was killed for running out of memory and restarted within the window (its last termination says OOMKilled and its restarts grew).',
      parameters: {
        window: 'Window',
      },
    },
    'readiness-failing': {
      title: 'Readiness failing',
      description:
        'A container of the service has not passed its readiness check for the duration.',
    },
    restarts: {
      title: 'Restarts',
      description:
        'A container of the service restarted more than the given number of times within the window.',
      parameters: {
        count: 'Restarts',
        window: 'Window',
      },
    },
  },
  conditionWords: {
    parameter: '{{name}} {{value}}',
    separator: ', ',
  },
  conditions: {
    'memory-usage': 'Memory above {{threshold}} of the limit',
    'cpu-usage': 'CPU above {{threshold}} of the limit',
    'memory-bytes': 'Memory above {{bytes}}',
    'container-memory':
      'Memory of {{container}} in {{pod}} above {{threshold}} of its limit',
    'instances-unavailable_one': '{{count}} instance or more unavailable',
    'instances-unavailable_other': '{{count}} instances or more unavailable',
    restarts_one: 'More than {{count}} restart within {{window}}',
    restarts_other: 'More than {{count}} restarts within {{window}}',
    'oom-killed': 'OOMKilled within {{window}}',
    'readiness-failing': 'Readiness check failing',
    'http-probe': 'HTTP probe of {{url}} failing',
  },
  silences: {
    heading: 'Silences',
    new: 'New silence',
    fromIncident: 'Silence…',
    createdOne: 'Silenced',
    dialogTitle: 'New silence',
    create: 'Silence',
    environment: 'Environment',
    duration: 'For',
    durations: {
      '1h': '1 hour',
      '4h': '4 hours',
      '1d': '1 day',
      '3d': '3 days',
      '7d': '7 days',
    },
    matchers: 'Matchers',
    scopeHint:
      'Alerts matching all of these are silenced. K2 adds {{entity}} (this service) and {{env}} itself, so a silence never reaches another service.',
    label: 'Label',
    value: 'Value',
    addMatcher: 'Add matcher',
    removeMatcher: 'Remove matcher {{name}}',
    comment: 'Comment',
    state: 'State',
    states: { active: 'Active', pending: 'Pending', expired: 'Expired' },
    createdBy: 'Created by',
    until: 'Until',
    expire: 'Expire',
    expireTitle: 'Expire this silence?',
    expireText:
      'Its alerts are delivered again from now on. The silence was made because: {{comment}}',
    empty: 'No silences.',
    emptyHint:
      'Silence an incident from its drawer, or make a new silence here; it lives in the environment’s Alertmanager.',
    refused:
      'Only the service’s owners (and platform admins) may silence its alerts',
  },
  stats: {
    heading: 'Statistics',
    teamHeading: 'Statistics of {{team}}',
    period: 'Period',
    lastDays_one: 'Last {{count}} day',
    lastDays_other: 'Last {{count}} days',
    incidents: 'Incidents',
    bySeverity: '{{critical}} critical · {{warning}} warning · {{info}} info',
    mtta: 'Median time to acknowledge',
    mttr: 'Median time to resolve',
    measured_one: 'over {{count}} incident',
    measured_other: 'over {{count}} incidents',
    unacknowledged: 'Nobody acknowledged',
    alerts_one: '{{count}} alert',
    alerts_other: '{{count}} alerts',
    alertsColumn: 'Alerts',
    chart: 'Incidents per day by severity',
    barTitle:
      '{{day}}: {{critical}} critical, {{warning}} warning, {{info}} info',
    noisiest: 'Noisiest rules',
    quiet: 'No incidents in this period.',
    rule: 'Rule',
    service: 'Service',
    minutes: '{{value}} min',
    hours: '{{value}} h',
    days: '{{value}} d',
  },
  page: {
    title: 'Alerts',
    subtitle: 'Incidents of every service a team owns',
    team: 'Team',
    noTeam: 'You belong to no team in the catalog',
    noTeamHint: 'Pick a team to see the incidents of its services.',
    heading: 'Open incidents of {{team}}',
    headingResolved: 'Resolved incidents of {{team}}',
    services_one: '{{count}} service',
    services_other: '{{count}} services',
    service: 'Service',
    empty: 'No open incidents in {{team}}’s services.',
    emptyResolved: 'No resolved incidents in {{team}}’s services.',
    emptyHint: 'Each service’s Alerts tab shows its rules and history.',
    noServices: '{{team}} owns no service in the catalog.',
  },
  cluster: {
    heading: 'Cluster checks',
    subheader:
      'Platform admins only: nodes under pressure or with a disk almost full, replicas on one node, pods pending too long',
    empty_one: 'Nothing found in the {{count}} cluster.',
    empty_other: 'Nothing found in the {{count}} clusters.',
    emptyHint:
      'Nodes under memory, disk or PID pressure or with a disk almost full, services with every replica on one node and pods pending too long show here, as incidents too.',
    cluster: 'Cluster',
    check: 'Check',
    subject: 'Node or service',
    summary: 'Finding',
    node: 'Node {{node}}',
    service: '{{service}} ({{environment}})',
    checks: {
      memoryPressure: 'Node memory pressure',
      diskPressure: 'Node disk pressure',
      diskAlmostFull: 'Node disk almost full',
      pidPressure: 'Node PID pressure',
      replicasOnOneNode: 'All replicas on one node',
      podPending: 'Pods pending too long',
    },
  },
  teamSettings: {
    open: 'Alert settings',
    title: 'Alert settings of {{team}}',
    subtitle:
      'Where the incidents of {{team}} are sent, when it is quiet, and who is told next when nobody acknowledges',
    back: 'Back to the Alerts overview',
    readOnly:
      'You can read these settings but not change them: only members of {{team}} and platform admins may.',
    defaults:
      '{{team}} has no settings of its own yet: these are the defaults. Saving stores them for the team.',
    updated: 'Last changed by {{user}}',
    save: 'Save settings',
    saving: 'Saving…',
    discard: 'Discard changes',
    noChanges: 'No changes to save',
    fixFirst: 'Fix the marked fields to save',
    saved: 'Settings saved.',
    refused: 'The settings were not saved: {{message}}',
    unsaved: {
      title: 'Leave without saving?',
      body: 'Your changes to the alert settings of {{team}} are not saved and will be lost.',
      leave: 'Leave',
      stay: 'Stay',
    },
    common: {
      yes: 'Yes',
      no: 'No',
    },
    channels: {
      heading: 'Channels',
      subheader:
        'Every enabled channel gets a message when an incident opens, repeats or escalates',
      id: 'Name',
      type: 'Type',
      target: 'Sends to',
      message: 'Message',
      enabled: 'Enabled',
      actions: 'Actions',
      empty: 'No channels: nobody hears of this team’s incidents.',
      add: 'Add channel',
      edit: 'Edit',
      remove: 'Remove',
      toMembers: 'The level’s people, in Backstage',
      toLevel: 'The level’s people',
      toEmail: 'The level’s people, by email',
      enabledLabel: 'Channel {{id}} enabled',
      duplicateId: 'Two channels have one name: give each its own.',
      max: 'At most 10 channels',
    },
    types: {
      notifications: 'In-app notifications',
      webhook: 'Webhook',
      email: 'Email',
    },
    channel: {
      addTitle: 'Add a channel',
      editTitle: 'Edit channel {{id}}',
      apply: 'Apply',
      applyHint: 'Applied to the form; nothing is stored until Save settings.',
      id: 'Name',
      idHint: 'Lowercase letters, digits and dashes, e.g. dingtalk',
      idTaken: 'Another channel is called {{id}}',
      type: 'Type',
      url: 'Webhook URL',
      urlHint: 'The chat tool’s incoming webhook address (http or https)',
      urlStored:
        'Stored: {{hint}} (the rest is hidden, it may carry a token). It stays unless you replace it.',
      replace: 'Replace URL',
      keep: 'Keep the stored URL',
      urlInvalid: 'An http or https URL',
      template: 'Message template',
      templateHint:
        'Place values with {{example}}: title, service, environment, severity, rule, status, event, level, team, openedAt, firing, id, link, acknowledgeLink',
      templateRequired: 'A message template is required',
      payload: 'Payload template (JSON)',
      payloadHint:
        'The request body; {{example}} is the rendered message. Left empty: {{fallback}}',
      preview: 'Live preview',
      previewHint: 'Rendered with a sample incident; nothing is sent.',
      previewing: 'Rendering…',
      previewText: 'Message',
      previewBody: 'Webhook body',
      previewSubject: 'Subject',
      subject: 'Subject template',
      subjectHint: 'Same placeholders as the message. Left empty: {{example}}',
    },
    quiet: {
      heading: 'Quiet hours',
      subheader: 'During quiet hours only critical incidents are sent',
      on: 'Quiet hours',
      off: 'No quiet hours: every incident is sent at any time.',
      timeZone: 'Time zone',
      start: 'From',
      end: 'Until',
      overMidnight: 'Runs over midnight',
      sameTime: 'From and Until must differ',
      window: '{{start}}–{{end}} ({{timeZone}})',
    },
    escalation: {
      heading: 'Escalation',
      subheader:
        'The first level is told when an incident opens; while nobody acknowledges, the next level after the wait',
      level: 'Level',
      target: 'Notify',
      wait: 'Wait (minutes)',
      waitHint: 'Then the next level',
      lastHint: 'The last level waits for nothing',
      waitInvalid: 'Between 1 second and 24 hours (1440 minutes)',
      targets: {
        team: 'The team (on call, or every member)',
        lead: 'The team’s lead',
        parent: 'The parent group’s members',
      },
      add: 'Add level',
      max: 'At most 3 levels',
      up: 'Move level {{level}} up',
      down: 'Move level {{level}} down',
      remove: 'Remove level {{level}}',
      empty: 'No levels: incidents are sent to the team only.',
      waitValue: '{{minutes}} min',
    },
    lead: {
      heading: 'Team lead',
      label: 'Lead',
      none: 'None (the group’s k2.io/team-lead annotation, if any)',
      hint: 'Told at the escalation level “The team’s lead”',
      notMember: '{{user}} (not a member)',
    },
    rota: {
      heading: 'On-call rota',
      subheader:
        'With a rota, the level “The team” tells the user on call instead of every member',
      on: 'On-call rota',
      off: 'No rota: every member of the team is told.',
      users: 'On call, in turn',
      add: 'Add a member',
      noUsers: 'Add at least one member',
      period: 'Turn (hours)',
      periodInvalid: 'Whole hours, 1 to 2160',
      start: 'First turn starts',
      startInvalid: 'A date and time',
      up: 'Move {{user}} up',
      remove: 'Remove {{user}}',
      summary: 'Each turn {{hours}} h, from {{start}}',
      onCallNow: 'On call now: {{user}}',
    },
  },
} as const;

/** The Alerts plugin's translation ref (`k2-alerts`), English by default. */
export const k2AlertsTranslationRef = createTranslationRef({
  id: 'k2-alerts',
  messages: k2AlertsMessages,
});

/**
 * The Alerts plugin's other languages, loaded when the user picks one; the app
 * registers it (a `TranslationBlueprint` extension) next to `availableLanguages`.
 */
export const k2AlertsTranslations = createTranslationResource({
  ref: k2AlertsTranslationRef,
  translations: {
    zh: () => import('./translations/zh'),
  },
});

/** The translation function of the Alerts plugin, for helpers that format words. */
export type AlertsT = TranslationFunction<typeof k2AlertsTranslationRef.T>;

/** The Alerts plugin's words in the language the user chose. */
export function useAlertsT(): AlertsT {
  return useTranslationRef(k2AlertsTranslationRef).t;
}
