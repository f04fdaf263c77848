export interface Config {
  k2?: {
    /**
     * Storage: the storage classes each environment offers for volumes, and the sizes
     * a volume may have. An environment not listed offers no class, so its services
     * can create no volume there.
     */
    storage?: {
      /** The smallest volume, as a quantity of bytes. Default `1Gi`. */
      minSize?: string;
      /** The largest volume, and the largest size a volume may grow to. Default `1Ti`. */
      maxSize?: string;
      /** By environment name (of `k2.environments`): the classes offered there. */
      environments?: {
        [environment: string]: {
          /**
           * Offered classes, in the order the create dialog lists them. A class is shown
           * only when a StorageClass of that name exists in every cluster of the
           * environment.
           */
          classes: Array<{
            /** The StorageClass object's name in the clusters. */
            name: string;
            /** What people call it (`NFS`). Defaults to the name. */
            label?: string;
            /** What kind of storage it is: a shared filesystem or a block device. */
            kind: 'nfs' | 'cephfs' | 'block';
            /**
             * The access modes a volume of this class may have. Defaults by kind: nfs and
             * cephfs ReadWriteOnce, ReadOnlyMany and ReadWriteMany; block ReadWriteOnce.
             */
            accessModes?: Array<
              | 'ReadWriteOnce'
              | 'ReadOnlyMany'
              | 'ReadWriteMany'
              | 'ReadWriteOncePod'
            >;
          }>;
        };
      };
    };
  };
}
