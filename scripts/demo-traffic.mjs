#!/usr/bin/env node
// Seeds the demo portal's Nginx site through K2's Traffic API, as an owner would: alice
// publishes payment-gateway's site in test with one manual member (a stand-in VM that
// ./k2 start runs, scripts/demo-member.mjs); its ready, in-traffic pods join the
// upstream by themselves. A site that already has versions is left as it is.
//
//   node scripts/demo-traffic.mjs BACKEND_URL MEMBER_PORT

const backend = (process.argv[2] ?? 'http://localhost:7007').replace(/\/$/, '');
const memberPort = Number(process.argv[3] ?? 8481);
const service = 'payment-gateway';
const owner = 'alice';
const site = `${backend}/api/k2-traffic/services/default/${service}/environments/test/site`;

/**
 * ./k2 start runs this once the backend is ready, which can be before the catalog has
 * ingested the demo entities: sign-in and the service then answer 404 for a few seconds.
 */
async function whenCatalogHolds(request) {
  const deadline = Date.now() + 3 * 60_000;
  for (;;) {
    const response = await request();
    if (response.status !== 404 || Date.now() > deadline) return response;
    await new Promise(resolve => setTimeout(resolve, 2000));
  }
}

async function token(user) {
  const response = await whenCatalogHolds(() =>
    fetch(`${backend}/api/auth/k2-dev/refresh?env=development`, {
      headers: {
        'x-k2-dev-user': `user:default/${user}`,
        'x-requested-with': 'XMLHttpRequest',
      },
    }),
  );
  if (!response.ok) {
    throw new Error(
      `Signing in as ${user} failed (${
        response.status
      }): ${await response.text()}`,
    );
  }
  return (await response.json()).backstageIdentity.token;
}

async function main() {
  const headers = {
    authorization: `Bearer ${await token(owner)}`,
    'content-type': 'application/json',
  };
  const current = await whenCatalogHolds(() => fetch(site, { headers }));
  if (!current.ok) {
    throw new Error(`GET ${site}: ${current.status} ${await current.text()}`);
  }
  const view = await current.json();
  if (view.current) {
    console.log(
      `${service} has site version ${view.current.number} in test; left as it is`,
    );
    return;
  }
  const published = await fetch(`${site}/versions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      message: 'Demo: the test site, with a stand-in VM beside the pods',
      site: {
        template: 'default',
        domains: [],
        upstreams: [
          {
            name: 'app',
            method: 'round_robin',
            members: [{ address: '127.0.0.1', port: memberPort }],
          },
        ],
        locations: [{ path: '/', upstream: 'app' }],
      },
    }),
  });
  const text = await published.text();
  if (!published.ok) {
    throw new Error(
      `Publishing ${service}'s site: ${published.status} ${text}`,
    );
  }
  console.log(
    `${service}: site version ${JSON.parse(text).number} published in test (${
      view.testDomain
    })`,
  );
}

main().catch(error => {
  console.error(error.message);
  process.exit(1);
});
