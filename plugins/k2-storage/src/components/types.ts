import {
  K2StorageClass,
  K2StorageService,
} from '@internal/plugin-k2-storage-common';

/** An environment of the service, as the tab shows it. */
export interface StorageEnvironment {
  name: string;
  title: string;
  /** The service's namespace there, where its volumes' PVCs are. */
  namespace: string;
}

/** Where the tab's views act: the service, its Kubernetes id, one environment, the user's rights. */
export interface StorageScope {
  service: K2StorageService;
  kubernetesId: string;
  environment: StorageEnvironment;
  /** Why the user may not create, expand or delete volumes; undefined when they may. */
  manageRefusal?: string;
}

/** A class as the create dialog names it: `NFS (nfs)`. */
export const classLabel = (cls: Pick<K2StorageClass, 'label' | 'name'>) =>
  cls.label === cls.name ? cls.name : `${cls.label} (${cls.name})`;

/** Binary units the dialogs offer for sizes, smallest first. */
export const SIZE_UNITS = ['Mi', 'Gi', 'Ti'] as const;
export type SizeUnit = (typeof SIZE_UNITS)[number];

const FACTOR: Record<SizeUnit, number> = {
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A size field's bytes: `5` and `Gi` → 5 GiB; undefined unless a positive whole number. */
export function sizeBytes(amount: string, unit: SizeUnit): number | undefined {
  if (!/^[1-9][0-9]{0,5}$/.test(amount.trim())) return undefined;
  return Number(amount.trim()) * FACTOR[unit];
}

/** A Kubernetes quantity of bytes in the units above (`5Gi`), for sizes the server sent. */
export function quantityBytes(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi)?$/.exec(text);
  if (!m) return undefined;
  const factors: Record<string, number> = {
    '': 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
  };
  return Number(m[1]) * factors[m[2] ?? ''];
}
