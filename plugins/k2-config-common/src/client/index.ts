export { K2ConfigClient, configFormatErrorOf } from './K2ConfigClient';
export type {
  K2ConfigClientOptions,
  K2ConfigFile,
  K2ConfigFileList,
  K2ConfigReleaseRef,
  K2ConfigService,
  K2ConfigVersion,
  K2ConfigVersionContent,
  K2ConfigVersionList,
  K2ConfigVersionPair,
  K2CreateConfigFileInput,
  K2SaveConfigVersionInput,
} from './K2ConfigClient';
