import {
  createTranslationRef,
  createTranslationResource,
  TranslationFunction,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';

/**
 * The Storage tab's words, in English (the default). Every other language lives in
 * `translations/<language>.ts` with exactly these keys and the same `{{placeholders}}`;
 * the key-parity test holds them to it. What the backend or the clusters say (a
 * refusal, a Pending claim's event) and machine names (volumes, classes, access modes,
 * clusters) are shown as written.
 */
export const k2StorageMessages = {
  tab: {
    invalidConfig: 'K2 configuration is invalid',
    notReleased: 'This service runs in no K2 environment yet',
    notReleasedHint:
      'Name its environments in the k2.io/environments annotation of catalog-info.yaml, e.g. k2.io/environments: test,prod.',
  },
  refused: {
    owners:
      'Only the service’s owners (and platform admins) may create, expand or delete its volumes',
    noClass:
      'No storage class is offered in {{environment}}: ask a platform admin to configure k2.storage',
    noExpansion:
      'Its storage class {{storageClass}} does not allow volume expansion',
    expanding: 'Already expanding: wait until every cluster reports the size',
  },
  kinds: {
    nfs: 'NFS',
    cephfs: 'CephFS',
    block: 'Block',
  },
  volumes: {
    title: 'Volumes in {{environment}}',
    create: 'New volume',
    empty: 'No volumes in {{environment}} yet',
    emptyHint:
      'Create one with New volume, then mount it through a release (Deploy tab, Release, Volumes).',
    name: 'Volume',
    storageClass: 'Class',
    accessMode: 'Access mode',
    size: 'Size',
    used: 'Used',
    status: 'Status per cluster',
    mountedBy: 'Mounted by',
    actions: 'Actions',
    expand: 'Expand',
    delete: 'Delete',
    usedOf: '{{used}} of {{capacity}}',
    usedUnknown: 'unknown',
    usedNotMounted: 'not mounted',
    usedUnknownHint:
      'Known while a running pod mounts it and its node’s kubelet answers',
    expandingTo: 'expanding to {{size}}…',
    mountsUnknown:
      'Deploy did not say which releases mount these volumes; deleting is refused until it does.',
  },
  phase: {
    Pending: 'Pending',
    Bound: 'Bound',
    Lost: 'Lost',
    Missing: 'Missing',
    Terminating: 'Terminating',
  },
  mounts: {
    none: 'No release',
    current: 'release #{{number}} (running)',
    retained: 'release #{{number}} (kept for rollback)',
  },
  create: {
    title: 'New volume in {{environment}}',
    explain:
      'Creates a PersistentVolumeClaim in every cluster of {{environment}}. Mount it through a release to use it.',
    name: 'Name',
    nameHint: 'Lowercase letters, digits and -, at most 40 characters',
    nameInvalid:
      'Use lowercase letters, digits and -, starting and ending with a letter or digit, at most 40 characters',
    storageClass: 'Storage class',
    expandable: 'can expand',
    notExpandable: 'cannot expand',
    size: 'Size',
    unit: 'Unit',
    sizeRange: 'From {{min}} to {{max}}',
    accessMode: 'Access mode',
    preview: 'Creates PVC {{pvc}} in namespace {{namespace}} of {{clusters}}',
    confirm: 'Create',
    busy: 'Creating…',
  },
  accessModes: {
    ReadWriteOnce: 'ReadWriteOnce (one node reads and writes)',
    ReadOnlyMany: 'ReadOnlyMany (many nodes read)',
    ReadWriteMany: 'ReadWriteMany (many nodes read and write)',
    ReadWriteOncePod: 'ReadWriteOncePod (one pod reads and writes)',
  },
  expand: {
    title: 'Expand {{volume}} in {{environment}}',
    explain:
      'Asks every cluster for a larger volume; the volume only grows. The table shows it expanding until each cluster reports the new size.',
    current: 'Now {{size}}',
    size: 'New size',
    notLarger: 'Must be larger than {{size}}',
    confirm: 'Expand',
    busy: 'Expanding…',
  },
  delete: {
    title: 'Delete {{volume}} in {{environment}}',
    explain:
      'Deletes its PersistentVolumeClaim, and with it the data, in every cluster of {{environment}}. Refused while a release that runs or can be rolled back to mounts it.',
    typeName: 'Type {{volume}} to confirm',
    confirm: 'Delete',
    busy: 'Deleting…',
  },
} as const;

/** The Storage tab's translation ref (`k2-storage`), English by default. */
export const k2StorageTranslationRef = createTranslationRef({
  id: 'k2-storage',
  messages: k2StorageMessages,
});

/**
 * The Storage tab's other languages, loaded when the user picks one; the app registers
 * it (a `TranslationBlueprint` extension) next to `availableLanguages`.
 */
export const k2StorageTranslations = createTranslationResource({
  ref: k2StorageTranslationRef,
  translations: {
    zh: () => import('./translations/zh'),
  },
});

/** The translation function of the Storage tab, for helpers that format words. */
export type StorageT = TranslationFunction<typeof k2StorageTranslationRef.T>;

/** The Storage tab's words in the language the user chose. */
export function useStorageT(): StorageT {
  return useTranslationRef(k2StorageTranslationRef).t;
}
