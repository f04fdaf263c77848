import {
  createTranslationRef,
  createTranslationResource,
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';

/**
 * The Config tab's words, in English (the default). Every other language lives in
 * `translations/<language>.ts` with exactly these keys and the same `{{placeholders}}`;
 * the key-parity test holds them to it. Keys ending `_one`/`_other` are plurals chosen
 * by `count`. What the backend says (refusals, a format check's message) and what
 * users write (file names, messages) are shown as written.
 */
export const k2ConfigMessages = {
  tab: {
    invalidConfig: 'K2 configuration is invalid',
    notReleased: 'This service runs in no K2 environment yet',
    notReleasedHint:
      'Name its environments in the k2.io/environments annotation of catalog-info.yaml, e.g. k2.io/environments: test,prod.',
  },
  refused: {
    owners:
      'Only the service’s owners (and platform admins) may change its config files',
  },
  formats: {
    yaml: 'YAML',
    json: 'JSON',
    properties: 'Properties',
    xml: 'XML',
    ini: 'INI',
    text: 'Plain text',
  },
  files: {
    title: 'Config files in {{environment}}',
    create: 'New config file',
    empty: 'No config files in {{environment}} yet',
    emptyHint:
      'Create one with New config file, then mount it through a release.',
    name: 'File',
    format: 'Format',
    latest: 'Latest',
    author: 'Saved by',
    saved: 'Saved',
    mountedBy: 'Latest version mounted by',
    sensitive: 'Sensitive',
  },
  mounts: {
    unknown: 'Not known now',
    none: 'No release',
    current: 'Release #{{number}} in {{environment}} (running)',
    retained: 'Release #{{number}} in {{environment}}',
  },
  create: {
    title: 'New config file in {{environment}}',
    explain:
      'Saves version 1 as an immutable ConfigMap (a Secret if sensitive) in every cluster of {{environment}}. Nothing runs with it until a release mounts it.',
    confirm: 'Create',
    busy: 'Creating…',
    name: 'File name',
    nameHelp:
      'Letters, digits, -, . and _, starting and ending with a letter or digit, e.g. application.yaml',
    nameRule:
      'Use only letters, digits, -, . and _, and start and end with a letter or digit',
    nameTooLong: 'At most {{max}} characters',
    format: 'Format',
    formatFromName: 'From the file name',
    mountPath: 'Default mount path',
    mountPathHelp:
      'Where a release mounts the file unless it says otherwise: an absolute path in the container',
    mountPathRule: 'An absolute path, starting with /',
    description: 'Description',
    descriptionHelp: 'What the file configures, shown with the file (optional)',
    sensitive: 'Sensitive',
    sensitiveHelp:
      'Kept in a Secret, never in K2’s database; only the service’s owners can read it. Fixed once created.',
    newFile: 'new file',
    messagePlaceholder: 'First version',
  },
  editor: {
    label: '{{file}} content',
    problem: 'Line {{line}}: {{message}}',
    problemAt: 'Line {{line}}, column {{column}}: {{message}}',
    editing: 'Version #{{number}}, saved by {{author}}',
    message: 'Message',
    messagePlaceholder: 'Why this change',
    save: 'Save',
    saving: 'Saving…',
    unchanged: 'No changes to save',
    fixFirst: 'Fix the error on line {{line}} to save',
    hidden:
      'This file is sensitive: only the service’s owners (and platform admins) can read its content.',
  },
  file: {
    back: 'All config files in {{environment}}',
    subheader_one: '{{format}} in {{environment}}, {{count}} version',
    subheader_other: '{{format}} in {{environment}}, {{count}} versions',
    mountPath: 'Default mount path',
    delete: 'Delete file',
    saved: 'Saved as version #{{number}}.',
    restored: 'Version #{{from}} restored as version #{{number}}.',
  },
  stale: {
    title: 'Someone else saved version #{{number}}',
    explain:
      '{{author}} saved version #{{number}} after you opened version #{{base}}. Your changes are not saved.',
    viewDiff: 'Show the differences',
    theirs: 'Version #{{number}}',
    mine: 'Your changes',
    diffLabel: 'Differences between version #{{number}} and your changes',
    reload: 'Reload version #{{number}}',
  },
  versions: {
    heading: 'Versions',
    title: 'Versions of {{file}}',
    empty: 'No versions',
    number: 'Version',
    author: 'Saved by',
    saved: 'Saved',
    message: 'Message',
    hash: 'Hash',
    mountedBy: 'Mounted by',
    actions: 'Actions',
    latest: 'latest',
    select: 'Select version #{{number}}',
    compare: 'Compare selected',
    compareHint: 'Tick two versions to compare ({{selected}}/2)',
    compareTitle: '{{file}}: version #{{from}} → #{{to}}',
    diffLabel: 'Differences between the versions',
    close: 'Close',
    restore: 'Restore #{{number}}',
    isLatest: 'This is the latest version',
    restoredFrom: 'Restores version #{{number}}',
    collected:
      'Collected: its object was deleted from the clusters; restoring writes it again',
  },
  restore: {
    title: 'Restore version #{{number}} of {{file}}?',
    explain:
      'Saves version #{{number}}’s content again as version #{{next}}. Pods in {{environment}} keep their config until a release mounts the new version.',
    confirm: 'Restore #{{number}}',
    busy: 'Restoring…',
    latest: 'Latest, #{{number}}',
    restored: 'Restored, #{{number}}',
    diffLabel:
      'Differences between version #{{latest}} and version #{{number}}',
    messagePlaceholder: 'Restore version #{{number}}',
  },
  delete: {
    title: 'Delete {{file}} from {{environment}}?',
    explain:
      'Deletes its ConfigMaps (or Secrets) from every cluster of {{environment}}; its versions stay in the history. Refused while a release that runs or can be rolled back to mounts it.',
    typeName: 'Type {{file}} to confirm',
    confirm: 'Delete',
    busy: 'Deleting…',
  },
} as const;

/** The Config tab's translation ref (`k2-config`), English by default. */
export const k2ConfigTranslationRef = createTranslationRef({
  id: 'k2-config',
  messages: k2ConfigMessages,
});

/**
 * The Config tab's other languages, loaded when the user picks one; the app registers
 * it (a `TranslationBlueprint` extension) next to `availableLanguages`.
 */
export const k2ConfigTranslations = createTranslationResource({
  ref: k2ConfigTranslationRef,
  translations: {
    zh: () => import('./translations/zh'),
  },
});

/** The translation function of the Config tab, for helpers that format words. */
export type ConfigT = TranslationFunction<typeof k2ConfigTranslationRef.T>;

/** The Config tab's words in the language the user chose. */
export function useConfigT(): ConfigT {
  return useTranslationRef(k2ConfigTranslationRef).t;
}
