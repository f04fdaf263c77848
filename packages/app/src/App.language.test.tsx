import { render, screen } from '@testing-library/react';
import App from './App';

// Its own file: an app reads its config once, on its first root.
describe('App in another language', () => {
  it('speaks Simplified Chinese once the user has picked it in Settings', async () => {
    // What Settings' language select stores; app-config.yaml offers en and zh.
    window.localStorage.setItem('language', 'zh');
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: {
              title: 'K2 test portal',
              baseUrl: 'http://localhost:3000',
              extensions: [
                {
                  'api:app/app-language': {
                    config: { availableLanguages: ['en', 'zh'] },
                  },
                },
              ],
            },
            backend: { baseUrl: 'http://localhost:7007' },
            k2: {
              devSignIn: {
                enabled: true,
                personas: [{ userEntityRef: 'user:default/alice' }],
              },
            },
          },
          context: 'test',
        },
      ] as any,
    };
    render(App.createRoot());

    expect(
      await screen.findByText(
        '开发环境登录：选择你要扮演的演示用户',
        undefined,
        {
          timeout: 30_000,
        },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: '以 alice 身份登录' }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('目录中的用户名')).toBeInTheDocument();
    expect(screen.queryByText(/Sign in as/)).toBeNull();
  }, 60_000);
});
