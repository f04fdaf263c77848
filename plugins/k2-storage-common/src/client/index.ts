export { K2StorageClient } from './K2StorageClient';
export type {
  K2StorageAccessMode,
  K2StorageClass,
  K2StorageClassList,
  K2StorageClientOptions,
  K2StorageService,
  K2StorageVolume,
  K2StorageVolumeCluster,
  K2StorageVolumeInput,
  K2StorageVolumeList,
  K2StorageVolumeResourceList,
} from './K2StorageClient';
