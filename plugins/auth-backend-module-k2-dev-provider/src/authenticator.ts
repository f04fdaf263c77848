import {
  AuthenticationError,
  InputError,
  NotFoundError,
  isError,
} from '@backstage/errors';
import {
  AuthResolverContext,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { DEV_SIGN_IN_USER_HEADER } from '@internal/plugin-k2-common';

/** What the development authenticator learns from a request. */
export interface DevSignInResult {
  userEntityRef: string;
}

/** Says which user was not found, instead of the catalog's bare "User not found". */
async function explainNotFound<T>(userEntityRef: string, fn: () => Promise<T>) {
  try {
    return await fn();
  } catch (error) {
    if (isError(error) && error.name === 'NotFoundError') {
      throw new NotFoundError(
        `No user '${userEntityRef}' in the catalog; choose another demo user`,
      );
    }
    throw error;
  }
}

const USER_REF_PATTERN = /^user:[a-z0-9][-a-z0-9_.]*\/[a-z0-9][-a-z0-9_.]*$/i;

/**
 * Trusts the user ref a developer picked on the sign-in page. It proves nothing about
 * who is at the keyboard, which is why the module refuses to load in production.
 */
export const devSignInAuthenticator = createProxyAuthenticator({
  defaultProfileTransform: async (
    result: DevSignInResult,
    ctx: AuthResolverContext,
  ) => {
    const { entity } = await explainNotFound(result.userEntityRef, () =>
      ctx.findCatalogUser({ entityRef: result.userEntityRef }),
    );
    const profile = (entity.spec?.profile ?? {}) as {
      displayName?: string;
      email?: string;
      picture?: string;
    };
    return {
      profile: {
        displayName: profile.displayName ?? entity.metadata.name,
        email: profile.email,
        picture: profile.picture,
      },
    };
  },
  initialize() {},
  async authenticate({ req }) {
    const userEntityRef = req.header(DEV_SIGN_IN_USER_HEADER);
    if (!userEntityRef) {
      throw new AuthenticationError(
        `Choose a demo user on the sign-in page (missing ${DEV_SIGN_IN_USER_HEADER} header)`,
      );
    }
    if (!USER_REF_PATTERN.test(userEntityRef)) {
      throw new InputError(
        `'${userEntityRef}' is not a user entity ref such as 'user:default/alice'`,
      );
    }
    return {
      result: { userEntityRef: userEntityRef.toLocaleLowerCase('en-US') },
    };
  },
});

/** Signs in as the chosen catalog user, with ownership resolved from the catalog. */
export const devSignInProviderFactory = createProxyAuthProviderFactory({
  authenticator: devSignInAuthenticator,
  async signInResolver({ result }, ctx) {
    return explainNotFound(result.userEntityRef, () =>
      ctx.signInWithCatalogUser({ entityRef: result.userEntityRef }),
    );
  },
});
