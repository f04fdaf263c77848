/**
 * The Deploy tab's words for its views and states, kept in one object so that they
 * move to a translation ref (`createTranslationRef`) as they are. Functions take the
 * values a sentence needs; their order may change in another language.
 */
export const deployMessages = {
  refused: 'Only the service’s owners (and platform admins) may do this',
  blockedBy: {
    waiting: (n: number) => `Release #${n} is waiting for approval`,
    inFlight: (n: number) => `Release #${n} is in flight`,
    adoptFirst: 'Adopt or release first',
    releaseFirst: 'Release first',
    terminating: 'It is terminating',
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
    running: (n: number) => `Running #${n}`,
    releasedBy: 'released by',
    notReleased: (version: string) =>
      `${version} is running, not released by K2`,
    notReleasedHint:
      'Adopt it to record what runs as release #1: history, comparison and rollback start from there. Nothing changes in the clusters.',
    runningWithoutSuccess: (version: string) =>
      `${version} is running; no K2 release here has succeeded yet`,
    nothingRuns: 'Nothing runs here yet. Release the service to start it.',
    cluster: 'Cluster',
    replicas: 'Ready / desired',
    health: 'Health',
    image: 'Image',
    history: 'History',
    noWorkload: 'No workload',
    whatRuns: (environment: string) => `What runs in ${environment}`,
    clustersOf: (environment: string) => `Clusters of ${environment}`,
    lastFailed: 'Last release failed',
  },
  health: {
    healthy: 'Healthy',
    rollingOut: 'Rolling out',
    waitingForReadiness: 'Waiting for readiness',
    failed: (reason: string) => `Failed (${reason})`,
    degraded: 'Degraded',
    stale: 'Stale',
    stopped: 'Stopped',
  },
  adopt: {
    action: 'Adopt',
    title: (environment: string) => `Adopt what runs in ${environment}?`,
    body: 'K2 records the running Deployment as release #1: its image, replicas per cluster, resources and plain variables as they are. Variables read from Secrets are named, never copied. Nothing changes in the clusters.',
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
  },
  history: {
    compare: 'Compare selected',
    compareHint: (n: number) => `Tick two releases to compare (${n}/2)`,
  },
  events: {
    title: 'Events',
  },
};
