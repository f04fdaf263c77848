import { K2ConfigService } from '@internal/plugin-k2-config-common';

/** An environment of the service, as the tab shows it. */
export interface ConfigEnvironment {
  name: string;
  title: string;
}

/**
 * What the signed-in user may do with the service's config files, as the permission
 * framework answered: `writeRefusal` is why they may not create, save, restore or
 * delete (undefined when they may; empty while the answer is on its way), and
 * `readSensitive` whether they may read sensitive files' contents.
 */
export interface ConfigRights {
  writeRefusal?: string;
  readSensitive: boolean;
}

/** Where the tab's views act: the service, one environment, the user's rights. */
export interface ConfigScope {
  service: K2ConfigService;
  environment: ConfigEnvironment;
  rights: ConfigRights;
}

/** An entity ref as the tables show it: `alice` for `user:default/alice`. */
export const who = (ref: string) => ref.replace(/^user:(default\/)?/, '');
