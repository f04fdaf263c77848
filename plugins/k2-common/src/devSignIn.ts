import { Config } from '@backstage/config';
import { K2ConfigError } from './environments/readEnvironmentModel';

/** Auth provider id of the development sign-in. */
export const DEV_SIGN_IN_PROVIDER_ID = 'k2-dev';

/** Request header carrying the entity ref of the user a developer chose to be. */
export const DEV_SIGN_IN_USER_HEADER = 'x-k2-dev-user';

/** A demo user offered on the development sign-in page. */
export interface DevSignInPersona {
  /** e.g. `user:default/alice` */
  userEntityRef: string;
  /** What this user may do, e.g. "Owns payment-gateway (payments-team)". */
  description: string;
}

/** Development sign-in settings. */
export interface DevSignInConfig {
  enabled: boolean;
  personas: DevSignInPersona[];
}

/** Reads `k2.devSignIn`; disabled when absent. */
export function readDevSignInConfig(config: Config): DevSignInConfig {
  const enabled = config.getOptionalBoolean('k2.devSignIn.enabled') ?? false;
  const personas = (
    config.getOptionalConfigArray('k2.devSignIn.personas') ?? []
  ).map((persona, index) => {
    const key = `k2.devSignIn.personas[${index}].userEntityRef`;
    const userEntityRef = persona.getString('userEntityRef');
    if (!/^user:[^/:]+\/[^/:]+$/.test(userEntityRef)) {
      throw new K2ConfigError(
        key,
        `'${userEntityRef}' must be a full user ref such as 'user:default/alice'`,
      );
    }
    return {
      userEntityRef,
      description: persona.getOptionalString('description') ?? '',
    };
  });
  return { enabled, personas };
}
