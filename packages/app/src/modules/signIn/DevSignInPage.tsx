import { useState } from 'react';
import {
  Content,
  Header,
  InfoCard,
  Page,
  ProxiedSignInPage,
} from '@backstage/core-components';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { SignInPageProps } from '@backstage/plugin-app-react';
import { configApiRef, IdentityApi, useApi } from '@backstage/core-plugin-api';
import {
  DEV_SIGN_IN_PROVIDER_ID,
  DEV_SIGN_IN_USER_HEADER,
  DevSignInPersona,
  readDevSignInConfig,
} from '@internal/plugin-k2-common';
import { ResponseError } from '@backstage/errors';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { k2AppTranslationRef } from '../translations/translation';

const STORAGE_KEY = 'k2.devSignIn.userEntityRef';

/** Forgets the chosen user on sign-out, so the next visit asks again. */
function forgetOnSignOut(identity: IdentityApi): IdentityApi {
  return {
    getProfileInfo: () => identity.getProfileInfo(),
    getBackstageIdentity: () => identity.getBackstageIdentity(),
    getCredentials: () => identity.getCredentials(),
    signOut: async () => {
      window.localStorage.removeItem(STORAGE_KEY);
      await identity.signOut();
    },
  };
}

/**
 * `priya` or `user:default/priya` → `user:default/priya`; text that is no entity ref
 * as it is, for the sign-in to refuse with its reason.
 */
function userRef(text: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(text.trim(), {
        defaultKind: 'user',
        defaultNamespace: 'default',
      }),
    );
  } catch {
    return text.trim();
  }
}

function PersonaCard(props: {
  persona: DevSignInPersona;
  onChoose: (ref: string) => void;
}) {
  const { t } = useTranslationRef(k2AppTranslationRef);
  const { persona, onChoose } = props;
  const { name } = parseEntityRef(persona.userEntityRef);
  return (
    <Grid item xs={12} sm={6} md={3}>
      <InfoCard title={name} subheader={persona.userEntityRef}>
        <Typography variant="body2" paragraph>
          {persona.description}
        </Typography>
        <Button
          variant="contained"
          color="primary"
          onClick={() => onChoose(persona.userEntityRef)}
        >
          {t('signIn.as', { name })}
        </Button>
      </InfoCard>
    </Grid>
  );
}

/**
 * Development sign-in: pick which demo user you are, so ownership, approvals and
 * permissions can be tried by hand. The choice is remembered until sign-out.
 */
export function DevSignInPage(props: SignInPageProps) {
  const { t } = useTranslationRef(k2AppTranslationRef);
  const config = useApi(configApiRef);
  const { personas } = readDevSignInConfig(config);
  const [chosen, setChosen] = useState<string | null>(() =>
    window.localStorage.getItem(STORAGE_KEY),
  );
  const [other, setOther] = useState('');

  if (chosen) {
    return (
      <ProxiedSignInPage
        provider={DEV_SIGN_IN_PROVIDER_ID}
        headers={{ [DEV_SIGN_IN_USER_HEADER]: chosen }}
        onSignInSuccess={identity => {
          window.localStorage.setItem(STORAGE_KEY, chosen);
          props.onSignInSuccess(forgetOnSignOut(identity));
        }}
        ErrorComponent={({ error }) => (
          <Page themeId="home">
            <Header title={t('signIn.failed')} />
            <Content>
              <InfoCard title={t('signIn.couldNot', { user: chosen })}>
                <Typography paragraph>
                  {error instanceof ResponseError
                    ? error.body.error.message
                    : error?.message ?? t('signIn.unknownError')}
                </Typography>
                <Button
                  variant="outlined"
                  onClick={() => {
                    window.localStorage.removeItem(STORAGE_KEY);
                    setChosen(null);
                  }}
                >
                  {t('signIn.chooseAnother')}
                </Button>
              </InfoCard>
            </Content>
          </Page>
        )}
      />
    );
  }

  const otherRef = userRef(other);
  return (
    <Page themeId="home">
      <Header title={t('signIn.title')} subtitle={t('signIn.subtitle')} />
      <Content>
        <Grid container spacing={3}>
          {personas.map(persona => (
            <PersonaCard
              key={persona.userEntityRef}
              persona={persona}
              onChoose={setChosen}
            />
          ))}
          <Grid item xs={12} md={6}>
            <InfoCard title={t('signIn.someoneElse')}>
              <form
                onSubmit={event => {
                  event.preventDefault();
                  if (other.trim()) setChosen(otherRef);
                }}
              >
                <TextField
                  id="k2-dev-sign-in-user"
                  label={t('signIn.userName')}
                  helperText={t('signIn.userNameHint')}
                  value={other}
                  onChange={event => setOther(event.target.value)}
                  fullWidth
                  margin="normal"
                />
                <Button
                  type="submit"
                  variant="outlined"
                  disabled={!other.trim()}
                >
                  {t('signIn.submit')}
                </Button>
              </form>
            </InfoCard>
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
}
