import { K2DeployClient } from './K2DeployClient';

function client(baseUrl: string) {
  return new K2DeployClient({
    discoveryApi: { getBaseUrl: async () => baseUrl },
    fetchApi: { fetch: jest.fn() },
  });
}

describe('K2DeployClient.shellSocketUrl', () => {
  const path = '/shell-sessions/6f1c2a4e-0000-4000-8000-000000000001/stream';

  it('opens the socket where the backend serves the plugin, over ws for http', async () => {
    await expect(
      client('http://localhost:7007/api/k2-deploy').shellSocketUrl(path),
    ).resolves.toBe(`ws://localhost:7007/api/k2-deploy${path}`);
  });

  it('uses wss behind https', async () => {
    await expect(
      client('https://k2.example.com/api/k2-deploy').shellSocketUrl(path),
    ).resolves.toBe(`wss://k2.example.com/api/k2-deploy${path}`);
  });

  it('resolves a base URL relative to the page', async () => {
    await expect(client('/api/k2-deploy').shellSocketUrl(path)).resolves.toBe(
      `ws://${window.location.host}/api/k2-deploy${path}`,
    );
  });
});
