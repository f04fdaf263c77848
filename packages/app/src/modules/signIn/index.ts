import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { SignInPage } from './SignInPage';

const signInPage = SignInPageBlueprint.make({
  params: {
    // Every full page load renders the sign-in page first (it restores the session),
    // so it ships in the app's entry chunk: a lazy chunk here would add a request and
    // its wait before the app can ask the backend anything.
    loader: async () => SignInPage,
  },
});

export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [signInPage],
});
