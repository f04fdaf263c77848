import {
  createTranslationRef,
  createTranslationResource,
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';

/**
 * The Traffic tab's words, in English (the default). Every other language lives in
 * `translations/<language>.ts` with exactly these keys and the same `{{placeholders}}`;
 * the key-parity test holds them to it. Keys ending `_one`/`_other` are plurals chosen
 * by `count`. What the backend says (refusals, `nginx -t` output, host errors) and
 * what admins write (template titles and field descriptions) are shown as written.
 */
export const k2TrafficMessages = {
  tab: {
    invalidConfig: 'K2 configuration is invalid',
    notReleased: 'This service runs in no K2 environment yet',
    notReleasedHint:
      'Name its environments in the k2.io/environments annotation of catalog-info.yaml, e.g. k2.io/environments: test,prod.',
  },
  refused: {
    owners:
      'Only the service’s owners (and platform admins) may publish its site',
    current: 'This is the published version',
    waiting:
      'A change waits for approval here: have it approved or rejected, or withdraw it, first',
    approver:
      'Changes in {{environment}} are decided by its approvers (or platform admins), never by whoever asked for them',
  },
  views: {
    label: 'Traffic views',
    overview: 'Overview',
    edit: 'Edit site',
    versions: 'Versions',
  },
  overview: {
    environment: '{{environment}} environment',
    cluster: 'Nginx cluster',
    noCluster: 'No Nginx cluster serves {{environment}}',
    noClusterHint:
      'Platform admins declare the Nginx clusters of each environment in k2.traffic.clusters.',
    nothingPublished: 'No site published in {{environment}} yet',
    nothingPublishedHint:
      'Edit the site (domains, upstreams and their members) and publish it.',
    version: 'Version #{{number}}',
    publishedBy: 'published by',
    domains: 'Domains',
    testDomain: 'test domain, automatic',
    upstreams: 'Upstreams',
    upstream: 'Upstream',
    method: 'LB method',
    health: 'Health',
    healthRule: 'max_fails {{maxFails}}, fail_timeout {{failTimeout}} s',
    members: 'Members',
    noMembers: 'No members: Nginx answers 502',
    member: 'Member',
    source: 'Source',
    weight: 'Weight',
    backup: 'backup',
    manual: 'Manual',
    pod: 'Pod in {{cluster}}',
    canary: 'Canary',
    canaryRoute: 'Canary route',
    canaryOff: 'Off',
    canaryWeight: '{{percent}} % of requests',
    canaryHeader: 'Header {{name}}: {{value}}',
    canaryCookie: 'Cookie {{name}}={{value}}',
    canaryWaiting:
      'No canary pod is ready: every request goes to the stable members.',
    locations: 'Locations',
    hosts: 'Nginx hosts of {{cluster}}',
    host: 'Host',
    applied: 'Applied version',
    lastReport: 'Last report',
    state: 'State',
    inSync: 'In sync',
    drift: 'Drift',
    neverReported: 'Never reported',
    noHosts: 'The cluster lists no hosts.',
    hostError: '{{host}} refused its last bundle',
    edit: 'Edit site',
    versions: 'Versions',
  },
  methods: {
    round_robin: 'Round robin',
    least_conn: 'Least connections',
    ip_hash: 'IP hash',
  },
  editor: {
    title: 'Site in {{environment}}',
    startsFrom: 'Starts from the published version, #{{number}}.',
    startsEmpty: 'Nothing is published here yet: this will be version #1.',
    refused_one: 'Not published: {{count}} field was refused. See below.',
    refused_other: 'Not published: {{count}} fields were refused. See below.',
    domains: 'Domains',
    domainsHint:
      'Server names besides the test domain K2 gives the service. Each domain belongs to one site of the cluster.',
    domain: 'Domain {{index}}',
    addDomain: 'Add domain',
    removeItem: 'Remove {{item}}',
    tls: 'HTTPS',
    certificate: 'TLS certificate',
    certificateHint:
      'The name of a certificate the Nginx cluster declares; empty for plain HTTP.',
    redirectHttp: 'Redirect HTTP to HTTPS',
    upstreams: 'Upstreams',
    upstreamName: 'Name',
    method: 'LB method',
    maxFails: 'max_fails',
    maxFailsHint: 'Failed attempts before a member pauses; 0 never. Default 1.',
    failTimeout: 'fail_timeout (s)',
    failTimeoutHint: 'Window and pause, in seconds. Default 10.',
    members: 'Manual members of {{upstream}}',
    membersHint:
      'Addresses outside Kubernetes (services still on VMs). With none, the upstream answers 502.',
    address: 'Address',
    port: 'Port',
    weight: 'Weight',
    weightHint: 'Default 1',
    backup: 'Backup',
    addMember: 'Add member',
    addUpstream: 'Add upstream',
    canary: 'Canary of {{upstream}}',
    canaryHint:
      'Which requests go to the service’s canary pods (a canary release) instead of its stable members. Until a canary pod is ready, and once it is gone, every request stays on stable.',
    canaryRoute: 'Canary route',
    canaryRoutes: {
      off: 'Off',
      weight: 'Share of requests',
      header: 'Header',
      cookie: 'Cookie',
    },
    canaryPercent: 'Share (%)',
    canaryPercentHint: 'A whole number from 1 to 99',
    headerName: 'Header name',
    cookieName: 'Cookie name',
    canaryValue: 'Value',
    canaryValueHint: 'Exact, case-sensitive',
    locations: 'Locations',
    path: 'Path',
    upstream: 'Upstream',
    connectTimeout: 'Connect timeout (s)',
    readTimeout: 'Read timeout (s)',
    sendTimeout: 'Send timeout (s)',
    connectDefault: 'Default 5',
    readDefault: 'Default 60',
    addLocation: 'Add location',
    template: 'Template',
    templateFields: 'Template fields',
    addItem: 'Add',
    defaultValue: 'Default {{value}}',
    publish: 'Publish…',
    reset: 'Discard changes',
  },
  publish: {
    title: 'Publish the site in {{environment}}?',
    body: 'K2 renders the site, checks the whole {{cluster}} config with nginx -t, and records version #{{number}}. The Nginx hosts apply it on their next pull; nothing is published if Nginx refuses it.',
    message: 'Message',
    messageHint: 'Why, for the version history.',
    confirm: 'Publish',
    busy: 'Publishing…',
    noChange: 'No change: the site is as version #{{number}} published it.',
    firstVersion: 'Nothing is published yet: every line is new.',
    diffLabel: 'Site changes',
    live: 'Published #{{number}}',
    none: 'Nothing published',
    draft: 'This edit',
    published: 'Version #{{number}} published.',
    approvalNotice:
      'Changes in {{environment}} need approval: this publish waits as a change, not delivered to Nginx, until an approver who did not ask for it approves it; approving checks it with nginx -t again.',
    waiting:
      'Change #{{id}} waits for approval; it is published once an approver approves it.',
  },
  versions: {
    title: '{{environment}} site versions',
    empty: 'No site published in {{environment}} yet',
    emptyHint:
      'Publish the site from Edit site; each publish is a version here.',
    select: 'Select version #{{number}}',
    number: 'Version',
    author: 'Author',
    published: 'Published',
    message: 'Message',
    hash: 'Content hash',
    rollbackOf: 'rollback to #{{number}}',
    current: 'published',
    actions: 'Actions',
    compare: 'Compare selected',
    compareHint: 'Tick two versions to compare ({{selected}}/2)',
    compareTitle: 'Version #{{from}} → #{{to}}',
    diffLabel: 'Rendered config differences',
    close: 'Close',
    rollback: 'Roll back to #{{number}}',
    rollbackTitle: 'Roll back the {{environment}} site to version #{{number}}?',
    rollbackBody:
      'K2 publishes the site of version #{{number}} again as version #{{next}} ({{message}}), checked with nginx -t like any publish. Versions are kept; you can roll forward the same way.',
    rollbackBusy: 'Rolling back…',
    rollbackApproval:
      'Changes in {{environment}} need approval: the rollback waits as a change until an approver approves it.',
    waiting: 'Waiting for approval',
    waitingRow: 'Change #{{id}} waiting for approval',
    requested: 'asked {{by}}',
    approve: 'Approve',
    reject: 'Reject',
    approveTitle: 'Approve change #{{id}} to the {{environment}} site?',
    approveBody:
      '{{by}} asked for it ({{message}}). K2 renders it with the members as they are now, checks the whole cluster config with nginx -t, and publishes it as version #{{next}}; if Nginx refuses it now, nothing is published and it keeps waiting.',
    approveBusy: 'Approving…',
    rejectTitle: 'Reject change #{{id}} to the {{environment}} site?',
    rejectBody:
      'Nothing of it is published, and {{by}} may publish a new change. The reason goes to the activity log.',
    reason: 'Reason',
    rejectBusy: 'Rejecting…',
    review: 'Review',
    reviewTitle: 'Change #{{id}} against version #{{number}}',
    reviewTitleFirst: 'Change #{{id}}: the first version',
    reviewSubtitle: 'Asked by {{by}}: {{message}}',
    reviewLive: '#{{number}} (published)',
    reviewNone: 'Nothing published',
    reviewChange: 'Change #{{id}}',
    reviewLabel: 'Site differences',
    reviewNoChange:
      'The change publishes the same site as version #{{number}}.',
    reviewRendered:
      'The rendered config of a change exists once it is published: K2 renders it with the members of that moment. Compare it with the version before afterwards.',
    withdraw: 'Withdraw',
    withdrawTitle: 'Withdraw change #{{id}} to the {{environment}} site?',
    withdrawBody:
      'Nothing of it is published; it is kept as withdrawn in the activity log, and you may publish a new change.',
    withdrawBusy: 'Withdrawing…',
  },
} as const;

/** The Traffic tab's translation ref (`k2-traffic`), English by default. */
export const k2TrafficTranslationRef = createTranslationRef({
  id: 'k2-traffic',
  messages: k2TrafficMessages,
});

/**
 * The Traffic tab's other languages, loaded when the user picks one; the app registers
 * it (a `TranslationBlueprint` extension) next to `availableLanguages`.
 */
export const k2TrafficTranslations = createTranslationResource({
  ref: k2TrafficTranslationRef,
  translations: {
    zh: () => import('./translations/zh'),
  },
});

/** The translation function of the Traffic tab, for helpers that format words. */
export type TrafficT = TranslationFunction<typeof k2TrafficTranslationRef.T>;

/** The Traffic tab's words in the language the user chose. */
export function useTrafficT(): TrafficT {
  return useTranslationRef(k2TrafficTranslationRef).t;
}
