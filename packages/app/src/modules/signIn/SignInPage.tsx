import { SignInPage as ProviderSignInPage } from '@backstage/core-components';
import {
  configApiRef,
  githubAuthApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { SignInPageProps } from '@backstage/plugin-app-react';
import { readDevSignInConfig } from '@internal/plugin-k2-common';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { k2AppTranslationRef } from '../translations/translation';
import { DevSignInPage } from './DevSignInPage';

/** Development sign-in when `k2.devSignIn.enabled`, otherwise the production provider. */
export function SignInPage(props: SignInPageProps) {
  const config = useApi(configApiRef);
  const { t } = useTranslationRef(k2AppTranslationRef);
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
        message: t('signIn.github'),
        apiRef: githubAuthApiRef,
      }}
    />
  );
}
