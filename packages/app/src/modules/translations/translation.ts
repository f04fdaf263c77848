import {
  createTranslationRef,
  createTranslationResource,
} from '@backstage/frontend-plugin-api';

/**
 * The words of the app's own K2 parts (sign-in, navigation, the K2 environments
 * card), in English (the default). `zh.ts` holds exactly these keys with the same
 * `{{placeholders}}`; the key-parity test holds it to them.
 */
export const k2AppMessages = {
  nav: {
    search: 'Search',
    menu: 'Menu',
    settings: 'Settings',
    notifications: 'Notifications',
    /** Pages' nav items, by the page extension's id (their own titles are English). */
    pages: {
      catalog: 'Catalog',
      scaffolder: 'Create',
      apiDocs: 'APIs',
      catalogGraph: 'Catalog Graph',
      userSettings: 'Settings',
      alerts: 'Alerts',
      middleware: 'Middleware',
    },
  },
  signIn: {
    title: 'K2 developer portal',
    subtitle: 'Development sign-in: choose which demo user you are',
    as: 'Sign in as {{name}}',
    someoneElse: 'Someone else',
    userName: 'Catalog user name',
    userNameHint: 'Any user in the catalog, e.g. priya or user:default/priya',
    submit: 'Sign in',
    failed: 'Sign-in failed',
    couldNot: 'Could not sign in as {{user}}',
    unknownError: 'Unknown error',
    chooseAnother: 'Choose another user',
    github: 'Sign in with your company GitHub account',
  },
  environments: {
    title: 'K2 environments',
    subheader: 'Where this service runs and how it is released',
    invalidConfig: 'K2 configuration is invalid',
    problems_one: "{{count}} problem in this service's K2 annotations",
    problems_other: "{{count}} problems in this service's K2 annotations",
    environment: 'Environment',
    approval: 'Approval: {{group}}',
    selfService: 'Self-service',
    clusters: 'Clusters',
    namespace: 'Namespace',
    replicas: 'Replicas × limit',
    replicasValue: '{{replicas}} × {{cpu}} CPU · {{memory}}',
    empty: 'This service names no known environment in k2.io/environments.',
    language: 'Language',
    languageUnset: 'not set (k2.io/language)',
    image: 'Image',
    imageUnset: 'not set (k2.io/image)',
    port: 'Port',
    healthCheck: 'Health check',
  },
} as const;

/** The app's K2 translation ref (`k2-app`), English by default. */
export const k2AppTranslationRef = createTranslationRef({
  id: 'k2-app',
  messages: k2AppMessages,
});

/** The app's K2 parts in other languages, loaded when the user picks one. */
export const k2AppTranslations = createTranslationResource({
  ref: k2AppTranslationRef,
  translations: {
    zh: () => import('./zh/k2App'),
  },
});
