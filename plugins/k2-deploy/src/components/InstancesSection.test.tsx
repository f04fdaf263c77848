import { useState } from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import { K2ServiceRuntime } from '@internal/plugin-k2-common';
import {
  environmentRuntime,
  pod,
  POD_NAME,
  PROD_TARGET,
  SERVICE,
  serviceRuntime,
  TEST_TARGET,
} from '../__testUtils__/fixtures';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { InstancesSection } from './InstancesSection';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

const PROD_POD = 'payment-gateway-5f7c9d8b7-m4n2p';

const runtime = serviceRuntime([
  environmentRuntime(),
  environmentRuntime({
    name: 'prod',
    title: 'Production',
    clusters: ['prod-a', 'prod-b'].map(cluster => ({
      ...environmentRuntime().clusters[0],
      cluster,
      pods: [
        pod({
          name: cluster === 'prod-a' ? PROD_POD : `${PROD_POD}-b`,
          node: `${cluster}-node-1`,
          ready: cluster === 'prod-a',
          reason: cluster === 'prod-a' ? undefined : 'CrashLoopBackOff',
          restarts: cluster === 'prod-a' ? 0 : 6,
          inTraffic: cluster === 'prod-a',
        }),
      ],
    })),
  }),
]);

/** The section as the tab shows it, with a way to deliver the next runtime update. */
function Harness(props: { next: K2ServiceRuntime }) {
  const [current, setCurrent] = useState(runtime);
  return (
    <>
      <button onClick={() => setCurrent(props.next)}>Next update</button>
      <InstancesSection
        service={SERVICE}
        targets={[TEST_TARGET, PROD_TARGET]}
        runtime={current}
        canManage
        onChange={() => {}}
      />
    </>
  );
}

function renderSection(next: K2ServiceRuntime = runtime, path = '/deploy') {
  renderWithApi(<Harness next={next} />, createK2DeployApi(), {
    initialRouteEntries: [path],
  });
  return setupUser();
}

const liveRows = () =>
  within(screen.getByRole('table', { name: 'Live instances' }))
    .getAllByRole('row')
    .slice(1);

describe('InstancesSection', () => {
  it('lists every live instance with its status, and filters by environment', async () => {
    const user = renderSection();

    expect(liveRows()).toHaveLength(3);
    const crashing = screen.getByRole('row', {
      name: new RegExp(`^${PROD_POD}-b`),
    });
    expect(crashing).toHaveTextContent('Out of traffic');
    expect(crashing).toHaveTextContent('CrashLoopBackOff');

    await user.click(screen.getByRole('button', { name: /^Environment/ }));
    await user.click(screen.getByRole('option', { name: 'Production' }));
    expect(liveRows()).toHaveLength(2);
    expect(
      screen.queryByRole('row', { name: new RegExp(`^${POD_NAME}`) }),
    ).not.toBeInTheDocument();

    // The cluster filter offers the chosen environment's clusters.
    await user.click(screen.getByRole('button', { name: /^Cluster/ }));
    expect(
      screen.getAllByRole('option').map(option => option.textContent),
    ).toEqual(['All clusters', 'prod-a', 'prod-b']);
    await user.click(screen.getByRole('option', { name: 'prod-b' }));
    expect(liveRows()).toHaveLength(1);
  });

  it('marks the pods of a canary with a Canary chip, and no stable pod', async () => {
    const withCanary = serviceRuntime([
      environmentRuntime({
        clusters: [
          {
            ...environmentRuntime().clusters[0],
            pods: [
              pod(),
              pod({
                name: 'payment-gateway-canary-6c8d9f7b5-q2w3e',
                images: [
                  'registry.northwind.internal/payments/gateway:1.5.0-rc1',
                ],
                track: 'canary',
              }),
            ],
          },
        ],
      }),
    ]);
    renderWithApi(
      <InstancesSection
        service={SERVICE}
        targets={[TEST_TARGET]}
        runtime={withCanary}
        canManage
        onChange={() => {}}
      />,
      createK2DeployApi(),
    );

    expect(
      screen.getByRole('row', { name: /^payment-gateway-canary-/ }),
    ).toHaveTextContent(/Canary/);
    expect(
      screen.getByRole('row', { name: new RegExp(`^${POD_NAME}`) }),
    ).not.toHaveTextContent(/Canary/);
    // The historical containers below have loaded: nothing is left to update.
    expect(
      await screen.findByText('payment-gateway-6c8f7d9b5-q7w2e'),
    ).toBeInTheDocument();
  });

  it('keeps an opened instance open across updates, and says when it is gone', async () => {
    const withoutIt = serviceRuntime([
      environmentRuntime({
        clusters: [{ ...environmentRuntime().clusters[0], pods: [] }],
      }),
    ]);
    const user = renderSection(withoutIt);

    await user.click(screen.getByText(POD_NAME));
    // In a side drawer, named after the instance, beside the list.
    const drawer = await screen.findByRole('dialog', { name: POD_NAME });
    expect(drawer).toHaveTextContent('Test · test · test-node-1 · 10.42.0.17');
    const panel = within(drawer).getByRole('region', {
      name: `Instance ${POD_NAME}`,
    });
    expect(
      within(panel).getByRole('tab', { name: 'Logs' }),
    ).toBeInTheDocument();

    // The list behind the drawer is hidden from assistive technology meanwhile.
    await user.click(
      screen.getByRole('button', { name: 'Next update', hidden: true }),
    );
    await waitFor(() =>
      expect(within(panel).getByRole('status')).toHaveTextContent(
        'This instance no longer exists',
      ),
    );

    await user.click(
      within(drawer).getByRole('button', { name: 'Close instance' }),
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('region', { name: `Instance ${POD_NAME}` }),
      ).not.toBeInTheDocument(),
    );
  });

  it('opens the instance a link names (?instance=<environment>/<cluster>/<pod>)', async () => {
    renderSection(
      runtime,
      `/deploy?environment=prod&instance=prod/prod-b/${PROD_POD}-b`,
    );
    const drawer = await screen.findByRole('dialog', {
      name: `${PROD_POD}-b`,
    });
    expect(
      within(drawer).getByRole('region', { name: `Instance ${PROD_POD}-b` }),
    ).toHaveTextContent('Out of traffic');
    // The environment in the link filters the list behind it.
    expect(
      within(
        screen.getByRole('table', { name: 'Live instances', hidden: true }),
      ).getAllByRole('row', { hidden: true }),
    ).toHaveLength(3);
  });
});
