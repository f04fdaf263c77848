import { SignInPage as ProviderSignInPage } from '@backstage/core-components';
import {
  configApiRef,
  githubAuthApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { SignInPageProps } from '@backstage/plugin-app-react';
import { readDevSignInConfig } from '@internal/plugin-k2-common';
import { DevSignInPage } from './DevSignInPage';

/** Development sign-in when `k2.devSignIn.enabled`, otherwise the production provider. */
export function SignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  if (readDevSignInConfig(config).enabled) {
    return <DevSignInPage {...props} />;
  }
  return (
    <ProviderSignInPage
      {...props}
      auto
      provider={{
        id: 'github-auth-provider',
        title: 'GitHub',
        message: 'Sign in with your company GitHub account',
        apiRef: githubAuthApiRef,
      }}
    />
  );
}
