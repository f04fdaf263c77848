import { render, screen } from '@testing-library/react';
import App from './App';

/** Runs the whole app on a config, as the browser gets it injected. */
function renderApp(k2: object) {
  process.env = {
    NODE_ENV: 'test',
    APP_CONFIG: [
      {
        data: {
          app: { title: 'K2 test portal', baseUrl: 'http://localhost:3000' },
          backend: { baseUrl: 'http://localhost:7007' },
          k2,
        },
        context: 'test',
      },
    ] as any,
  };
  return render(App.createRoot());
}

describe('App', () => {
  it('starts on the development sign-in page with the configured demo users', async () => {
    renderApp({
      devSignIn: {
        enabled: true,
        personas: [
          {
            userEntityRef: 'user:default/alice',
            description: 'Service owner — payments-team',
          },
          {
            userEntityRef: 'user:default/carol',
            description: 'Release approver',
          },
        ],
      },
    });

    // The whole app boots in jsdom first, which takes a while on a busy machine.
    expect(
      await screen.findByText(
        'Development sign-in: choose which demo user you are',
        undefined,
        { timeout: 30_000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Sign in as alice' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Sign in as carol' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Release approver')).toBeInTheDocument();
    // Only the configured users: bob is a demo user of app-config.yaml, not of this one.
    expect(screen.queryByRole('button', { name: 'Sign in as bob' })).toBeNull();
    expect(screen.getByLabelText('Catalog user name')).toBeInTheDocument();
  }, 60_000);
});
