import {
  createTranslationRef,
  createTranslationResource,
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';

/**
 * The Middleware store's words (the App Store page and the Middleware tab), in English
 * (the default). Every other language lives in `translations/<language>.ts` with
 * exactly these keys and the same `{{placeholders}}`; the key-parity test holds them
 * to it. What the backend says (refusals, state reasons, lifecycle event summaries),
 * what the templates say (titles, descriptions, readmes, parameter titles) and machine
 * names (instances, templates, clusters, env vars) are shown as written.
 */
export const k2MiddlewareMessages = {
  refused: {
    owners:
      'Only the service’s owners (and platform admins) may do this to its middleware',
    connection:
      'Only the service’s owners (and platform admins) may see its connection info',
    approver:
      'Only approvers of {{environment}} (and platform admins) may decide, never the requester',
    bound: 'Bound to {{services}}: unbind it first',
    notRestorable: 'Its backup was kept until {{date}}',
    busy: 'Wait until it is {{state}} no more',
  },
  state: {
    'awaiting-approval': 'Awaiting approval',
    rejected: 'Rejected',
    creating: 'Creating',
    ready: 'Ready',
    degraded: 'Degraded',
    degradedReason: 'Degraded: {{reason}}',
    updating: 'Updating',
    deleting: 'Deleting',
    deleted: 'Deleted',
    expired: 'Expired',
    restoring: 'Restoring',
    failed: 'Failed',
    failedReason: 'Failed: {{reason}}',
    expiring: 'Expires {{date}}',
    restorableUntil: 'restorable until {{date}}',
  },
  categories: {
    database: 'Database',
    cache: 'Cache',
    queue: 'Queue',
    coordination: 'Coordination',
  },
  tab: {
    invalidConfig: 'K2 configuration is invalid',
    title: 'Middleware of {{service}}',
    create: 'Create middleware',
    empty: 'No middleware for this service yet',
    emptyHint:
      'Create a Redis, MySQL or another product with Create middleware; bind it so the next release receives its connection env vars.',
    store: 'Browse the App Store',
  },
  table: {
    name: 'Instance',
    product: 'Product',
    service: 'Service',
    environment: 'Environment',
    state: 'State',
    replicas: 'Replicas',
    expires: 'Expires',
    never: 'never',
    createdBy: 'Created by',
    created: 'Created',
    boundHere: 'bound here',
    open: 'Open {{name}}',
  },
  page: {
    title: 'Middleware',
    subtitle:
      'MySQL, Redis, Pika, Kafka, ZooKeeper and RabbitMQ for your services, in one click',
    products: 'Products',
    instances: 'Instances',
    productsEmpty: 'The store offers no template',
    productsEmptyHint:
      'Templates are files in the Middleware store backend’s templates directory.',
    versions: 'Versions',
    details: 'Details of {{title}}',
    team: 'Team',
    allTeams: 'Every team',
    allEnvironments: 'Every environment',
    stateFilter: 'State',
    allStates: 'Every state',
    instancesTitle: 'Instances',
    instancesEmpty: 'No instance matches',
    instancesEmptyHint:
      'Create one from Products, or widen the team, environment or state.',
  },
  template: {
    close: 'Close',
    creates: 'What an instance creates',
    readme: 'About',
    parameters: 'Parameters',
    parameter: 'Parameter',
    type: 'Type',
    default: 'Default',
    description: 'Description',
    oneOf: 'One of: {{values}}',
    presets: 'Size presets',
    preset: 'Preset',
    cpu: 'CPU per replica',
    memory: 'Memory per replica',
    connection: 'Connection env vars a bound service receives',
    envVar: 'Env var',
    secret: 'from the Secret',
    plain: 'plain value',
    backup: 'Deleting or expiring an instance also runs a logical dump.',
    noBackup:
      'Deleting or expiring an instance keeps its manifests and data volumes (no logical dump).',
    upgradesTo: 'Instances can be upgraded to {{templates}}.',
    create: 'Create {{title}}',
  },
  create: {
    title: 'Create {{title}}',
    chooseTitle: 'Create middleware for {{service}}',
    template: 'Product',
    service: 'Service',
    serviceHint: 'Services your teams own',
    noService: 'You own no K2 service',
    environment: 'Environment',
    name: 'Name',
    nameHint:
      'Names its Kubernetes objects: lowercase letters, digits and -, starting with a letter, at most 40 characters, unique in the environment',
    nameInvalid:
      'Use lowercase letters, digits and -, starting with a letter and ending with a letter or digit, at most 40 characters',
    defaultFromTemplate: '{{value}} — template default',
    noDefault: 'No default: required',
    presetOption: '{{name}} · {{cpu}} CPU · {{memory}} per replica',
    storageClassOption: '{{name}} · can expand',
    storageClassFixed: '{{name}} · cannot expand',
    required: 'Required',
    notInteger: 'A whole number',
    oneOf: 'One of {{values}}',
    atLeast: 'At least {{min}}',
    atMost: 'At most {{max}}',
    notMatching: 'Does not have the expected form ({{pattern}})',
    tooLong: 'At most {{max}} characters',
    yes: 'Yes',
    no: 'No',
    ttl: 'Time to live (days)',
    ttlHint:
      '{{days}} days — {{environment}} default; at most {{max}} days, renewable',
    ttlInvalid: 'From 1 to {{max}} days',
    neverExpires: 'Instances in {{environment}} do not expire.',
    reason: 'Reason for the approvers',
    approval:
      '{{environment}} needs approval: the instance waits for an approver of {{environment}} (not you) and nothing is created until one approves.',
    immediate:
      'Created at once in {{environment}}, in its first cluster; ready when every replica is.',
    expiresOn: 'Expires on {{date}} unless renewed.',
    confirm: 'Create',
    confirmApproval: 'Ask for approval',
    busy: 'Creating…',
  },
  drawer: {
    close: 'Close',
    gone: 'This instance no longer exists.',
    subtitle: '{{product}} {{version}} for {{service}} in {{environment}}',
    status: 'Status',
    replicas: 'Ready replicas',
    cluster: 'Cluster',
    namespace: 'Namespace',
    template: 'Template',
    secret: 'Secret',
    catalog: 'Catalog resource',
    createdBy: 'Created by',
    parameters: 'Parameters',
    noParameters: 'No parameters',
    expiry: 'Expiry',
    expiresAt: 'Expires {{date}}',
    neverExpires: 'Never expires',
    renewals_one: 'renewed once',
    renewals_other: 'renewed {{count}} times',
    bindings: 'Bound services',
    notBound: 'Not bound to any service',
    backup: 'Backup',
    backupSaved:
      'Saved {{date}} ({{reason}}); restorable until {{until}}. Volumes kept: {{volumes}}',
    backupReason: {
      deleted: 'deleted',
      expired: 'expired',
    },
    dump: 'Logical dump {{job}}: {{state}}',
    dumpState: {
      running: 'running',
      succeeded: 'succeeded',
      failed: 'failed',
    },
    approval: 'Approval',
    requestedBy: 'Requested by {{user}} {{time}}',
    requestReason: 'Reason: {{reason}}',
    decided: '{{decision}} by {{user}} {{time}}',
    decision: {
      approved: 'Approved',
      rejected: 'Rejected',
    },
    comment: 'Comment: {{comment}}',
    waitingForOthers:
      'You asked for this instance, so an approver of {{environment}} other than you decides.',
    events: 'Lifecycle',
    eventsEmpty: 'No lifecycle event yet',
    at: 'When',
    event: 'Event',
    actor: 'By',
    summary: 'What happened',
    actions: 'Actions',
  },
  actions: {
    renew: 'Renew',
    resize: 'Resize',
    upgrade: 'Upgrade',
    bind: 'Bind to {{service}}',
    unbind: 'Unbind from {{service}}',
    delete: 'Delete',
    restore: 'Restore',
    approve: 'Approve',
    reject: 'Reject',
  },
  connection: {
    title: 'Connection',
    show: 'Show connection',
    hidden:
      'Passwords are read from the instance’s Secret when you ask, and never stored by K2.',
    notReady: 'Connection info is available while the instance runs.',
    host: 'Host',
    port: 'Port',
    uri: 'URI',
    env: 'Env vars',
    value: 'Value',
    reveal: 'Show {{name}}',
    mask: 'Hide {{name}}',
    copy: 'Copy {{name}}',
    copied: 'Copied',
  },
  renew: {
    title: 'Renew {{name}}?',
    explain:
      'Moves its expiry to {{days}} days from now: {{date}}. {{environment}} allows at most {{max}} days from now.',
    now: 'Now expires {{date}}.',
    days: 'Days from now',
    daysHint: 'From 1 to {{max}} days ({{environment}}’s cap)',
    confirm: 'Renew',
    busy: 'Renewing…',
  },
  resize: {
    title: 'Resize {{name}}?',
    explain:
      'Changes what you set; fields left empty keep their current value. Storage only grows, and only on a class that can expand. The instance shows Updating until every replica is ready again.',
    replicas: 'Replicas',
    size: 'Size preset',
    storageSize: 'Storage size',
    current: '{{value}} — now',
    storageFixed: 'Its storage class {{storageClass}} cannot expand',
    storageInvalid: 'A size such as 20Gi, larger than now',
    confirm: 'Resize',
    busy: 'Resizing…',
  },
  upgrade: {
    title: 'Upgrade {{name}}?',
    explain:
      'Rolls the instance onto another version of {{product}}, one replica at a time; its data volumes and Secret stay.',
    target: 'Upgrade to',
    confirm: 'Upgrade',
    busy: 'Upgrading…',
  },
  bind: {
    title: 'Bind {{name}} to {{service}}?',
    explain:
      'The next release of {{service}} in {{environment}} receives these env vars (passwords through a reference to the Secret, never their values). Running pods do not change until then.',
    confirm: 'Bind',
    busy: 'Binding…',
  },
  unbind: {
    title: 'Unbind {{name}} from {{service}}?',
    explain:
      'The next release of {{service}} in {{environment}} no longer receives the env vars of {{name}}. Running pods keep them until then.',
    confirm: 'Unbind',
    busy: 'Unbinding…',
  },
  delete: {
    title: 'Delete {{name}} in {{environment}}?',
    explain:
      'Saves its manifests and keeps its data volumes and Secret, then deletes its workload and Services. A backup is kept until {{date}}: until then you can restore it.',
    dump: 'A logical dump is written to a backup volume first.',
    typeName: 'Type {{name}} to confirm',
    confirm: 'Delete',
    busy: 'Deleting…',
  },
  restore: {
    title: 'Restore {{name}} in {{environment}}?',
    explain:
      'Applies its saved manifests again onto the same Secret and data volumes, so clients connect as before. It gets a fresh time to live.',
    confirm: 'Restore',
    busy: 'Restoring…',
  },
  approve: {
    title: 'Approve {{name}} in {{environment}}?',
    explain:
      '{{user}} asked for {{product}} {{version}} for {{service}}. Approving creates it in {{environment}} at once.',
    comment: 'Comment (optional)',
    confirm: 'Approve',
    busy: 'Approving…',
  },
  reject: {
    title: 'Reject {{name}} in {{environment}}?',
    explain: 'Nothing is created; {{user}} sees your comment.',
    comment: 'Comment',
    confirm: 'Reject',
    busy: 'Rejecting…',
  },
} as const;

/** The Middleware store's translation ref (`k2-middleware-store`), English by default. */
export const k2MiddlewareTranslationRef = createTranslationRef({
  id: 'k2-middleware-store',
  messages: k2MiddlewareMessages,
});

/**
 * The Middleware store's other languages, loaded when the user picks one; the app
 * registers it (a `TranslationBlueprint` extension) next to `availableLanguages`.
 */
export const k2MiddlewareTranslations = createTranslationResource({
  ref: k2MiddlewareTranslationRef,
  translations: {
    zh: () => import('./translations/zh'),
  },
});

/** The translation function of the Middleware store, for helpers that format words. */
export type MiddlewareT = TranslationFunction<
  typeof k2MiddlewareTranslationRef.T
>;

/** The Middleware store's words in the language the user chose. */
export function useMiddlewareT(): MiddlewareT {
  return useTranslationRef(k2MiddlewareTranslationRef).t;
}
