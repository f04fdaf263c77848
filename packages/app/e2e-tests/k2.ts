import { execFileSync } from 'child_process';
import { APIRequestContext, expect } from '@playwright/test';

/** Where the backend of the portal under test listens. */
export const BACKEND =
  process.env.K2_E2E_BACKEND_URL ?? 'http://localhost:7007';
const KUBECONFIG = process.env.K2_E2E_KUBECONFIG ?? '.k2/sandbox/kubeconfig';

/** kubectl against one sandbox cluster, in a namespace. */
export function kubectl(
  cluster: string,
  namespace: string,
  ...args: string[]
): string {
  return execFileSync(
    'kubectl',
    [
      '--kubeconfig',
      KUBECONFIG,
      '--context',
      cluster,
      '-n',
      namespace,
      ...args,
    ],
    { encoding: 'utf8' },
  );
}

/** A Backstage token of a development persona, for calling the API directly. */
export async function tokenFor(
  request: APIRequestContext,
  user: string,
): Promise<string> {
  const session = await request.get(
    `${BACKEND}/api/auth/k2-dev/refresh?env=development`,
    {
      headers: {
        'x-k2-dev-user': `user:default/${user}`,
        'x-requested-with': 'XMLHttpRequest',
      },
    },
  );
  expect(session.ok()).toBe(true);
  return (await session.json()).backstageIdentity.token;
}
