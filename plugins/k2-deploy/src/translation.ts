import {
  createTranslationRef,
  createTranslationResource,
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';

/**
 * The Deploy tab's words, in English (the default). Every other language lives in
 * `translations/<language>.ts` with exactly these keys and the same `{{placeholders}}`;
 * the key-parity test holds them to it. Keys ending `_one`/`_other` are plurals chosen
 * by `count`. What the backend says (refusals, rollout messages, event texts) is shown
 * as the backend words it.
 */
export const k2DeployMessages = {
  refused: 'Only the service’s owners (and platform admins) may do this',
  blockedBy: {
    waiting: 'Release #{{number}} is waiting for approval',
    inFlight: 'Release #{{number}} is in flight',
    adoptFirst: 'Adopt or release first',
    releaseFirst: 'Release first',
    terminating: 'It is terminating',
  },
  tab: {
    invalidConfig: 'K2 configuration is invalid',
    notReleased: 'This service is not released by K2 yet',
    notReleasedHint:
      'Name its environments in the k2.io/environments annotation of catalog-info.yaml, e.g. k2.io/environments: test,prod.',
    problems_one: "{{count}} problem in this service's K2 annotations",
    problems_other: "{{count}} problems in this service's K2 annotations",
  },
  views: {
    label: 'Deploy views',
    overview: 'Overview',
    instances: 'Instances',
    history: 'History',
    events: 'Events',
    activity: 'Activity',
  },
  overview: {
    running: 'Running #{{number}}',
    releasedBy: 'released by',
    notReleased: '{{version}} is running, not released by K2',
    notReleasedHint:
      'Adopt it to record what runs as release #1 and let K2 release over it: history, comparison and rollback start from there. No pod is replaced.',
    runningWithoutSuccess:
      '{{version}} is running; no K2 release here has succeeded yet',
    nothingRuns: 'Nothing runs here yet. Release the service to start it.',
    cluster: 'Cluster',
    replicas: 'Ready / desired',
    health: 'Health',
    image: 'Image',
    history: 'History',
    noWorkload: 'No workload',
    whatRuns: 'What runs in {{environment}}',
    clustersOf: 'Clusters of {{environment}}',
    lastFailed: 'Last release failed',
    environment: '{{environment}} environment',
    approvalRequired: 'Approval required',
    actions: 'Actions in {{environment}}',
    release: 'Release',
    scale: 'Scale',
    restart: 'Restart',
    historyCount: 'History ({{total}})',
    waitingRelease: 'Release waiting for approval',
    inFlightRelease: 'Release in flight',
    activeRelease: '#{{number}} {{version}} by {{who}}',
    approve: 'Approve',
    reject: 'Reject',
    withdraw: 'Withdraw',
    waitingForApprover: 'Waiting for a member of {{group}}.',
    restartTitle: 'Restart {{environment}}?',
    restartBody:
      'Every pod is replaced, one at a time, each new one ready before an old one stops. Nothing else changes.',
    rejectTitle: 'Reject release #{{number}}?',
    rejectBody:
      'Nothing is changed in the clusters; the release ends as rejected.',
    withdrawTitle: 'Withdraw release #{{number}}?',
    withdrawBody:
      'It stops waiting for approval and ends as withdrawn; nothing is changed in the clusters.',
  },
  canary: {
    label: 'Canary in {{environment}}',
    title: 'Canary {{version}}',
    besides: 'beside release #{{number}}, started by {{who}}',
    loading: 'Loading the canary…',
    loadFailed: 'Could not read the canary: {{message}}',
    podsOf: 'Canary pods of {{environment}}',
    ready: 'Ready / total',
    promote: 'Promote',
    abort: 'Abort',
    promoting: 'Release #{{number}} promotes it',
    promoteTitle: 'Promote the canary in {{environment}}?',
    promoteBody:
      'K2 releases {{version}} as the next release, with the variables and limits the canary runs with. The canary keeps serving until that release has rolled out, then it is removed.',
    promoteApproval:
      'Releases to {{environment}} wait for a release approver: the canary runs on until one approves and the release rolls out.',
    abortTitle: 'Abort the canary in {{environment}}?',
    abortBody:
      'The canary pods of {{version}} are removed from every cluster and all traffic goes back to the stable release. The stable release is not touched.',
    aborting: 'Aborting…',
  },
  health: {
    healthy: 'Healthy',
    rollingOut: 'Rolling out',
    waitingForReadiness: 'Waiting for readiness',
    failed: 'Failed ({{reason}})',
    degraded: 'Degraded',
    stale: 'Stale',
    stopped: 'Stopped',
  },
  status: {
    pendingApproval: 'Waiting for approval',
    applying: 'Applying',
    rollingOut: 'Rolling out',
    succeeded: 'Succeeded',
    failed: 'Failed',
    timedOut: 'Timed out',
    rejected: 'Rejected',
    cancelled: 'Withdrawn',
    expired: 'Expired',
  },
  duration: {
    seconds: '{{seconds}} s',
    minutes: '{{minutes}} min {{seconds}} s',
  },
  progress: {
    waitingForApprover:
      'Nothing changes in the clusters until an approver approves.',
    applying: 'Applying to the clusters…',
    label: 'Progress in {{cluster}}',
    counts:
      '{{updated}}/{{replicas}} updated · {{ready}} ready · {{available}} available',
    old: ' · {{old}} old',
    percent: '{{cluster}}: {{percent}}%',
    warning: '{{reason}} on {{object}}',
  },
  adopt: {
    action: 'Adopt',
    title: 'Adopt what runs in {{environment}}?',
    body: 'K2 records the running Deployment as release #1: its image, replicas per cluster, resources and plain variables as they are. Variables read from Secrets are named, never copied. K2 then labels the Deployment, its Service and its pods as its own, so the next release rolls out over them; no pod is replaced.',
    confirm: 'Adopt as release #1',
    busy: 'Adopting…',
  },
  instances: {
    cluster: 'Cluster',
    allClusters: 'All clusters',
    allEnvironments: 'All environments',
    empty: 'No live instances here',
    emptyNext: 'Release the service to this environment to start instances.',
    close: 'Close instance',
    live: 'Live instances',
    terminating: 'Terminating',
    ready: '{{phase}}, ready',
    notReady: '{{phase}}, not ready',
    instance: 'Instance',
    environment: 'Environment',
    node: 'Node',
    ip: 'IP',
    status: 'Status',
    restarts: 'Restarts',
    image: 'Image',
    release: 'Release',
    age: 'Age',
    outOfTraffic: 'Out of traffic',
    canary: 'Canary',
  },
  instance: {
    label: 'Instance {{pod}}',
    gone: 'This instance no longer exists; Historical containers on the Instances view tell how it ended.',
    actions: 'Actions on {{pod}}',
    trafficOff: 'Take out of traffic',
    trafficOn: 'Put back into traffic',
    restart: 'Restart instance',
    destroy: 'Destroy instance',
    inTraffic: 'Receives traffic.',
    outOfTraffic:
      'Out of traffic: the Service does not send it requests; it keeps running for diagnosis.',
    createdBy: 'Created by release #{{number}}',
    containers: 'Containers',
    logs: 'Logs',
    usage: 'Usage',
    usageUnavailable: 'Usage is not available: {{error}}',
    measuring: 'Measuring…',
    container: 'Container',
    cpu: 'CPU',
    memory: 'Memory (usage − cache)',
    of: ' of {{limit}}',
    state: 'State',
    ready: 'Ready',
    yes: 'yes',
    no: 'no',
    lastTermination: 'Last termination',
    terminated: '{{reason}} (exit {{code}})',
    terminatedReason: 'Terminated',
    events: 'Events of {{pod}}',
    trafficOffTitle: 'Take {{pod}} out of traffic?',
    trafficOffBody:
      'The Service stops sending it requests; it keeps running, with its logs, for diagnosis. The other instances take its share.',
    trafficOnTitle: 'Put {{pod}} back into traffic?',
    putBack: 'Put back',
    trafficOnBody:
      'The Service sends it requests again as soon as it is ready.',
    restartTitle: 'Restart {{pod}}?',
    restartBody:
      'It drains and stops; a new instance starts in its place. The others keep serving.',
    destroyTitle: 'Destroy {{pod}}?',
    destroyConfirm: 'Destroy',
    destroyBody:
      'It is killed at once, without draining requests in flight. A new instance starts in its place. Type the instance name to confirm.',
    name: 'Instance name',
  },
  releaseDialog: {
    title: 'Release to {{environment}}',
    mode: 'How to release',
    modeRelease: 'Release',
    modeReleaseHint: 'Replace what runs, with a rolling release',
    modeCanary: 'Release as canary',
    modeCanaryHint:
      'Run the image beside the stable release on a few pods, then promote or abort it',
    canaryBody:
      'The canary runs beside release #{{number}}, with its variables and limits and this image. The stable release and the Service are not touched; K2’s Nginx sends the canary the share its site chooses.',
    canaryReplicas: 'Canary replicas per cluster',
    canaryReplicasHint: '1 in each cluster unless you give a number',
    startCanary: 'Start canary',
    startingCanary: 'Starting…',
    canaryNeedsRelease: 'A canary runs beside a stable release: release first',
    canaryRunning: 'A canary already runs here: promote or abort it first',
    canaryAdminsOnly:
      'Releases to {{environment}} need approval: only platform admins start a canary here',
    busy: 'Releasing…',
    approval:
      'Releases to {{environment}} wait for a release approver before anything changes.',
    imageTagHint: 'A tag of {{repository}}, or a full image reference',
    imageHint:
      'A full image reference with a tag, e.g. registry.example.com/team/app:1.4.2',
    replicas: 'Replicas',
    replicasHint: 'Across all clusters of the environment',
    cpu: 'CPU limit',
    cpuHint: 'e.g. 1, 0.5, 500m',
    memory: 'Memory limit',
    memoryHint: 'e.g. 1Gi, 512Mi',
    env: 'Environment variables',
    envHint:
      'One NAME=value per line, for values anyone who can read the release may see. K2 adds K2_SERVICE, K2_ENVIRONMENT, K2_CLUSTER, K2_VERSION and POD_IP itself.',
    maskedValue:
      '{{names}}: "{{mask}}" is how K2 shows a secret, not a value. Add secrets under Secret variables instead.',
    message: 'Message',
    messageHint: 'Why this release: shown in history and to approvers',
    preview: 'Preview',
    previewing: 'Previewing…',
    back: 'Back',
    startsFrom:
      'Starts from release #{{number}}, which runs now. Under each field: the value that applies if you leave it as it is, and where it comes from.',
    startsFromWorkload:
      'Starts from the image that runs now (not released by K2). Under each field: the value that applies if you leave it as it is, and where it comes from.',
    startsEmpty:
      'Nothing runs here yet. Under each field: the value that applies if you leave it as it is, and where it comes from.',
    applies: '{{value}} — {{source}}',
    sourceRelease: 'running release #{{number}}',
    sourceAnnotation: 'service annotation {{annotation}}',
    sourceEnvironment: 'environment default',
    cpuValue: '{{value}} CPU',
    replicasValue_one: '{{count}} replica',
    replicasValue_other: '{{count}} replicas',
    autoscaled:
      'Autoscaling sets the count, {{min}}–{{max}}; a release leaves it on',
    defaultsFailed: 'The values that apply could not be read: {{message}}',
  },
  releasePreview: {
    first:
      'Release #{{number}} is the first here: nothing runs to compare it with. It will run:',
    whatRuns: 'What the release will run',
    noChange: 'No change',
    redeploy:
      'Release #{{number}} would run the same spec as release #{{running}}: releasing it redeploys, replacing the pods one by one.',
    changes:
      'What release #{{number}} changes in release #{{running}}, which runs now:',
    label: 'Changes against the running release',
    runs: 'Release #{{running}} (runs)',
    becomes: 'Release #{{number}}',
    compare: 'Compare the whole specs with #{{running}}',
  },
  scale: {
    title: 'Scale {{environment}}',
    apply: 'Apply',
    busy: 'Applying…',
    autoscale: 'Autoscale (Kubernetes HPA)',
    autoscaleOff:
      "Turning autoscaling off keeps today's count until you scale again.",
    replicasHint:
      'Across all clusters, split by their weights; 0 stops the service',
    min: 'Minimum replicas',
    max: 'Maximum replicas',
    cpu: 'Target CPU %',
    memory: 'Target memory %',
    targetHint: 'Of requests; empty for none',
    recommendation: 'Recommendation',
    reading: 'Reading current usage…',
    noRecommendation:
      "No recommendation: {{error}} (usage comes from the clusters' metrics API)",
    recommended_one: 'Recommended: {{count}} replica',
    recommended_other: 'Recommended: {{count}} replicas',
    usage_one:
      ' — {{count}} pod uses {{cpu}}m CPU and {{memory}} in total; at {{cpuTarget}}% of {{cpuRequest}}m CPU and {{memoryTarget}}% of {{memoryRequest}} requested per pod.',
    usage_other:
      ' — {{count}} pods use {{cpu}}m CPU and {{memory}} in total; at {{cpuTarget}}% of {{cpuRequest}}m CPU and {{memoryTarget}}% of {{memoryRequest}} requested per pod.',
  },
  mounts: {
    title: 'Volumes and config files',
    hint: 'Volumes come from the Storage tab, config files from the Config tab. They start as the running release mounts them; a config file mounts one version, read-only, as a single file.',
    volume: 'Volume',
    volumeHint: 'Its name on the Storage tab',
    volumesFailed: 'Volumes could not be listed: {{message}}',
    mountPath: 'Mount path',
    subPath: 'Sub-path',
    subPathHint: 'A directory inside the volume (optional)',
    readOnly: 'Read-only',
    volumeRow: 'Volume {{name}}',
    newVolume: 'new volume',
    removeVolume: 'Remove volume {{name}}',
    addVolume: 'Add volume',
    configFile: 'Config file',
    version: 'Version',
    latest: 'Latest',
    latestHint: 'The latest version when the release is made',
    appliesLatest: 'v{{version}} — latest version',
    appliesRunning: 'v{{version}} — running release #{{number}}',
    appliesVersion: 'v{{version}}',
    filePath: 'File path in the container',
    configRow: 'Config file {{name}}',
    newConfig: 'new config file',
    removeConfig: 'Remove config file {{name}}',
    addConfig: 'Add config file',
    configFilesFailed: 'Config files could not be listed: {{message}}',
  },
  secrets: {
    title: 'Secret variables',
    hint: 'Values go only into the Kubernetes Secret {{secret}}, never into the release or its history. Secrets of the current release stay as they are unless you replace them.',
    hintApproval:
      'Values go only into the Kubernetes Secret {{secret}}, never into the release or its history; new values apply once the release is approved. Secrets of the current release stay as they are unless you replace them.',
    ofTheService: 'of the service',
    add: 'Add secret variable',
    row: 'Secret {{name}}',
    newRow: 'New secret variable',
    name: 'Name',
    value: 'Value',
    newValue: 'New value',
    kept: '{{mask}} (kept)',
    keep: 'Keep current',
    replace: 'Replace',
    remove: 'Remove {{name}}',
    thisVariable: 'this secret variable',
    noName:
      'A secret variable has a value but no name: name it, or remove the row.',
    twice: '{{name}} is listed twice: remove one row.',
    plainAndSecret: '{{name}} is both a plain and a secret variable: keep one.',
    noNewValue: '{{name}} has no new value: type it, or keep the current one.',
    noValue: '{{name}} has no value: type it, or remove the row.',
    theVariable: 'The secret variable',
    maskedValue:
      '{{name}}: "{{mask}}" is how K2 shows a secret, not its value: type the value.',
    variable: 'Secret variable',
  },
  diff: {
    title: 'Release #{{older}} → #{{newer}}',
    label: 'Spec differences',
    close: 'Close',
  },
  logs: {
    tail: 'Last lines',
    follow: 'Follow',
    previous: 'Previous container',
    search: 'Search in the loaded log',
    download: 'Download',
    loading: 'Loading…',
    following_one: 'Following · {{count}} line',
    following_other: 'Following · {{count}} lines',
    lines_one: '{{count}} line',
    lines_other: '{{count}} lines',
    stopped: ' · the container stopped',
    matching: ' · {{matches}} matching “{{search}}”',
    output: 'Log output',
  },
  historical: {
    title: 'Historical containers',
    empty:
      'No container has ended yet. Replaced, crashed, OOM-killed, evicted and destroyed containers are kept here with their last events.',
    ran: 'Ran',
    howItEnded: 'How it ended',
    run: ' (run {{run}})',
    started: 'started ',
    ended: 'ended ',
    noEvents: 'No events were recorded for this pod.',
    lastEvents: 'Last events of {{pod}}',
    older: 'Older',
  },
  history: {
    compare: 'Compare selected',
    compareHint: 'Tick two releases to compare ({{selected}}/2)',
    compareColumn: 'Compare',
    compareRelease: 'Compare release #{{number}}',
    what: 'What',
    kind: {
      release: 'Release',
      rollback: 'Rollback',
      scale: 'Scale',
      restart: 'Restart',
    },
    autoscale: ' (autoscale {{min}}–{{max}})',
    mounts: 'Mounts {{mounts}}',
    middleware: 'Middleware {{instances}}',
    result: 'Result',
    by: 'By',
    approvedBy: 'approved by {{who}}',
    rejectedBy: 'rejected by {{who}}',
    when: 'When',
    took: 'took {{duration}}',
    rollbackTo: 'Roll back to #{{number}}',
    title: 'History ({{total}})',
    empty:
      'Nothing released to {{environment}} yet. Use Release on the Overview.',
    older: 'Older releases',
    label: '{{environment}} history',
    rollbackTitle: 'Roll back {{environment}} to #{{number}}?',
    rollback: 'Roll back',
    rollbackBody:
      "A new release of #{{number}}'s spec ({{version}} × {{replicas}}), rolled out like any release.",
    rollbackBodyApproval:
      "A new release of #{{number}}'s spec ({{version}} × {{replicas}}), rolled out like any release, after approval.",
  },
  events: {
    title: 'Events',
    serviceEvents: 'Service events',
    warningsOnly: 'Warnings only',
    noWarnings: "No warnings in the clusters' event retention.",
    noEvents: "No events in the clusters' event retention.",
    type: 'Type',
    object: 'Object',
    cluster: 'Cluster',
    reason: 'Reason',
    message: 'Message',
    count: 'Count',
    firstSeen: 'First seen',
    lastSeen: 'Last seen',
  },
  activity: {
    title: 'Activity',
    when: 'When',
    who: 'Who',
    environment: 'Environment',
    action: 'Action',
    whatHappened: 'What happened',
    empty: 'No releases, scaling or restarts yet.',
  },
  imageTags: {
    loading: 'Listing tags from the registry…',
    listed_one: '{{count}} tag listed from {{registry}}, newest first',
    listed_other: '{{count}} tags listed from {{registry}}, newest first',
    truncated: 'The newest {{shown}} tags of {{registry}}; type any other',
    failed: 'Tags cannot be listed: {{message}} Type a tag.',
    noRepository:
      'The service names no image repository (k2.io/image): type a full image reference.',
    registryNotConfigured:
      'K2 does not list tags from {{registry}}: type a tag.',
    repositoryNotFound:
      '{{repository}} has no images in its registry yet: type a tag.',
  },
} as const;

/** The Deploy tab's translation ref (`k2-deploy`), English by default. */
export const k2DeployTranslationRef = createTranslationRef({
  id: 'k2-deploy',
  messages: k2DeployMessages,
});

/**
 * The Deploy tab's other languages, loaded when the user picks one; the app registers
 * it (a `TranslationBlueprint` extension) next to `availableLanguages`.
 */
export const k2DeployTranslations = createTranslationResource({
  ref: k2DeployTranslationRef,
  translations: {
    zh: () => import('./translations/zh'),
  },
});

/** The translation function of the Deploy tab, for helpers that format words. */
export type DeployT = TranslationFunction<typeof k2DeployTranslationRef.T>;

/** The Deploy tab's words in the language the user chose. */
export function useDeployT(): DeployT {
  return useTranslationRef(k2DeployTranslationRef).t;
}
