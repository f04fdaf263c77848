import {
  createTranslationRef,
  createTranslationResource,
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';

/**
 * The Builds tab's words, in English (the default). Every other language lives in
 * `translations/<language>.ts` with exactly these keys and the same `{{placeholders}}`;
 * the key-parity test holds them to it. What the backend says (a refusal, a build's
 * reason, its problems) and machine names (refs, commits, images, digests) are shown
 * as written.
 */
export const k2BuildsMessages = {
  settings: {
    title: 'Builds',
    source: 'Source',
    image: 'Image',
    dockerfile: 'Dockerfile',
    release: 'After a build',
    releasesTo: 'Releases to {{environment}}',
    noRelease: 'No release (k2.io/build-release is not set)',
    runner: 'Runner',
    unknown: 'not set',
    problems: 'This service cannot build yet',
    problemsHint:
      'Fix these in its catalog-info.yaml, or ask a platform admin when a setting is missing.',
    unavailable: 'The build runner is unavailable',
  },
  runners: {
    local: 'Local (buildah)',
    kubernetes: 'Kubernetes (BuildKit)',
  },
  refused: {
    owners:
      'Only the service’s owners (and platform admins) may start or cancel its builds',
    problems: 'Fix the problems above to build',
    unavailable: 'The build runner is unavailable: {{reason}}',
    logs: 'Only the service’s owners (and platform admins) may read its build logs and Dockerfiles',
  },
  build: {
    button: 'Build',
    title: 'Build {{service}}?',
    explain:
      'Builds an image of the ref’s latest commit in {{repository}} and pushes it to {{image}}. Nothing is released unless you choose an environment below.',
    ref: 'Branch or tag',
    refHint: 'The service builds {{ref}} unless you name another',
    refDefaultBranch: 'Empty: the repository’s default branch',
    refRequired: 'Name a branch or tag',
    refInvalid:
      'Not a branch or tag name: letters, digits and . _ / + - only, no “..” or “//”, not starting with - or ending with / or .',
    tag: 'Image tag',
    tagHint: 'Empty: the commit’s first 12 hex digits',
    tagInvalid:
      'An image tag is letters, digits, _ . and -, at most 128 characters, not starting with . or -',
    releaseTo: 'Release to',
    noRelease: 'No release',
    serviceDefault: '{{environment}} (the service’s default)',
    releaseHint:
      'Released with the built tag once the build succeeds. Environments that need approval are not offered.',
    confirm: 'Build',
    busy: 'Starting…',
  },
  history: {
    title: 'History',
    number: 'Build',
    status: 'Status',
    source: 'Ref and commit',
    trigger: 'Started by',
    image: 'Image',
    duration: 'Duration',
    started: 'Started',
    release: 'Release',
    empty: 'No builds yet.',
    emptyHint:
      'Start one with Build; a push to the build branch starts one too once the repository’s webhook is set up.',
    newer: 'Newer',
    older: 'Older',
    page: 'Page {{page}}',
    total_one: '{{count}} build',
    total_other: '{{count}} builds',
    releaseLink: 'Release #{{number}} to {{environment}}',
    releaseAfter: 'To {{environment}} if it succeeds',
    copyDigest: 'Copy digest',
    copied: 'Copied',
    noCommit: 'commit not read yet',
  },
  triggers: {
    ui: 'Portal',
    scaffolder: 'Template',
    webhook: 'Push',
  },
  status: {
    queued: 'Queued',
    running: 'Running',
    succeeded: 'Succeeded',
    failed: 'Failed',
    cancelled: 'Cancelled',
    'timed-out': 'Timed out',
    superseded: 'Superseded',
  },
  duration: {
    seconds: '{{seconds}} s',
    minutes: '{{minutes}} min {{seconds}} s',
    hours: '{{hours}} h {{minutes}} min',
  },
  drawer: {
    title: 'Build #{{number}}',
    close: 'Close',
    missing: 'Build #{{number}} does not exist.',
    cancel: 'Cancel build',
    reason: 'Reason',
    ref: 'Ref',
    commit: 'Commit',
    image: 'Image',
    digest: 'Digest',
    dockerfile: 'Dockerfile',
    trigger: 'Started by',
    runner: 'Runner',
    queuedAt: 'Queued',
    startedAt: 'Started',
    finishedAt: 'Ended',
    duration: 'Duration',
    release: 'Release',
    log: 'Log',
    generated: 'Generated from a template',
    repository: 'From the repository',
  },
  cancel: {
    title: 'Cancel build #{{number}}?',
    explain:
      'The runner stops and the build ends as cancelled: no image is pushed and nothing is released. The log so far is kept.',
    confirm: 'Cancel build',
    busy: 'Cancelling…',
  },
  log: {
    output: 'Log of build #{{number}}',
    follow: 'Follow',
    loading: 'Loading the log…',
    waiting: 'Waiting for the build to start…',
    following_one: 'Following: {{count}} line',
    following_other: 'Following: {{count}} lines',
    lines_one: '{{count}} line',
    lines_other: '{{count}} lines',
    reconnecting: 'The connection dropped; reconnecting from where it stopped…',
    truncated:
      'The log reached its size limit; the rest of the output was not kept.',
    cut_one: 'The first {{count}} line is not shown.',
    cut_other: 'The first {{count}} lines are not shown.',
  },
  dockerfile: {
    content: 'Dockerfile of build #{{number}}',
    notYet: 'The build has not read or rendered its Dockerfile yet.',
    generatedFrom: 'Generated from the {{template}} template',
    generated: 'Generated from a template',
    fromRepository: '{{path}} in the repository',
    problems_one: 'The lint found {{count}} problem',
    problems_other: 'The lint found {{count}} problems',
    clean: 'The lint found no problem.',
    problemAt: 'Line {{line}}, column {{column}}',
  },
  severity: {
    error: 'Error',
    warning: 'Warning',
    info: 'Info',
  },
} as const;

/** The Builds tab's translation ref (`k2-builds`), English by default. */
export const k2BuildsTranslationRef = createTranslationRef({
  id: 'k2-builds',
  messages: k2BuildsMessages,
});

/**
 * The Builds tab's other languages, loaded when the user picks one; the app registers
 * it (a `TranslationBlueprint` extension) next to `availableLanguages`.
 */
export const k2BuildsTranslations = createTranslationResource({
  ref: k2BuildsTranslationRef,
  translations: {
    zh: () => import('./translations/zh'),
  },
});

/** The translation function of the Builds tab, for helpers that format words. */
export type BuildsT = TranslationFunction<typeof k2BuildsTranslationRef.T>;

/** The Builds tab's words in the language the user chose. */
export function useBuildsT(): BuildsT {
  return useTranslationRef(k2BuildsTranslationRef).t;
}
