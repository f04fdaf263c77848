import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, within } from '@testing-library/react';
import {
  environmentRuntime,
  IMAGE_REPOSITORY,
  pod,
  PROD_TARGET,
  release,
  releaseList,
  SERVICE,
} from '../__testUtils__/fixtures';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi } from '../__testUtils__/render';
import { EnvironmentPanel } from './EnvironmentPanel';
import { ReleaseProgress } from './ReleaseProgress';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

const PULL_FAILED =
  'Failed to pull image "registry.northwind.internal/payments/gateway:1.5.0": not found';

/** Release #8 of 1.5.0 to prod, halfway: prod-a has rolled out, prod-b cannot pull. */
const rollingOut = release({
  environment: 'prod',
  number: 8,
  status: 'rolling-out',
  finishedAt: undefined,
  spec: {
    image: `${IMAGE_REPOSITORY}:1.5.0`,
    replicas: 4,
    clusters: [
      { name: 'prod-a', replicas: 2, weight: 60 },
      { name: 'prod-b', replicas: 2, weight: 40 },
    ],
  },
  progress: [
    {
      cluster: 'prod-a',
      replicas: 2,
      updated: 2,
      ready: 2,
      available: 2,
      old: 0,
      done: true,
    },
    {
      cluster: 'prod-b',
      replicas: 2,
      updated: 1,
      ready: 0,
      available: 1,
      old: 1,
      message: 'ImagePullBackOff on payment-gateway-5f7c9-abcde',
      done: false,
    },
  ],
});

/** What the clusters report meanwhile: prod-b's newest warning is the failed pull. */
const prodRuntime = environmentRuntime({
  name: 'prod',
  title: 'Production',
  clusters: ['prod-a', 'prod-b'].map(cluster => ({
    ...environmentRuntime().clusters[0],
    cluster,
    health: {
      ...environmentRuntime().clusters[0].health,
      cluster,
    },
    warnings:
      cluster === 'prod-b'
        ? [
            {
              namespace: 'payments-core',
              object: 'Pod/payment-gateway-5f7c9-abcde',
              reason: 'Failed',
              message: PULL_FAILED,
              count: 4,
            },
          ]
        : [],
  })),
});

describe('ReleaseProgress', () => {
  it('shows each cluster’s progress, and what holds up the one not done', () => {
    renderInTestApp(
      <ReleaseProgress release={rollingOut} runtime={prodRuntime} />,
    );

    const a = screen.getByLabelText('Progress in prod-a');
    expect(a).toHaveTextContent(
      'prod-aHealthy2/2 updated · 2 ready · 2 available',
    );
    expect(within(a).getByRole('progressbar')).toHaveAttribute(
      'aria-valuenow',
      '100',
    );
    expect(a).not.toHaveTextContent('Failed');

    const b = screen.getByLabelText('Progress in prod-b');
    expect(b).toHaveTextContent(
      'prod-bRolling out1/2 updated · 0 ready · 1 available · 1 old',
    );
    // Still moving: blue, not red.
    expect(within(b).getByLabelText('Status running')).toBeInTheDocument();
    expect(within(b).queryByLabelText('Status error')).not.toBeInTheDocument();
    expect(within(b).getByRole('progressbar')).toHaveAttribute(
      'aria-valuenow',
      '0',
    );
    expect(b).toHaveTextContent(
      'ImagePullBackOff on payment-gateway-5f7c9-abcde',
    );
    expect(b).toHaveTextContent(
      `Failed on payment-gateway-5f7c9-abcde (×4): ${PULL_FAILED}`,
    );
  });

  it('waits for readiness once every new pod exists, without turning red', () => {
    const notReadyYet = {
      ...rollingOut.progress[1],
      updated: 2,
      ready: 1,
      old: 1,
      message: 'payment-gateway-5f7c9-abcde is running, not ready yet',
    };
    renderInTestApp(
      <ReleaseProgress
        release={{ ...rollingOut, progress: [notReadyYet] }}
        runtime={environmentRuntime({ name: 'prod', title: 'Production' })}
      />,
    );
    const b = screen.getByLabelText('Progress in prod-b');
    expect(b).toHaveTextContent('Waiting for readiness');
    expect(b).toHaveTextContent(
      'payment-gateway-5f7c9-abcde is running, not ready yet',
    );
    expect(within(b).queryByLabelText('Status error')).not.toBeInTheDocument();
  });

  it('marks a cluster failed, in red, with the release’s reason', () => {
    renderInTestApp(
      <ReleaseProgress
        release={{
          ...rollingOut,
          status: 'timed-out',
          reason: 'Not complete after 600 s: ImagePullBackOff',
        }}
      />,
    );
    const b = screen.getByLabelText('Progress in prod-b');
    expect(b).toHaveTextContent(
      'Failed (Not complete after 600 s: ImagePullBackOff)',
    );
    expect(within(b).getByLabelText('Status error')).toBeInTheDocument();
    // The cluster that finished stays green.
    expect(
      within(screen.getByLabelText('Progress in prod-a')).getByLabelText(
        'Status ok',
      ),
    ).toBeInTheDocument();
  });

  it('says why a release ended before reaching the clusters', () => {
    renderInTestApp(
      <ReleaseProgress
        release={release({
          status: 'failed',
          reason:
            'Image registry.northwind.internal/payments/gateway:1.5.0 does not exist',
        })}
      />,
    );
    expect(
      screen.getByText(
        'Image registry.northwind.internal/payments/gateway:1.5.0 does not exist',
      ),
    ).toBeInTheDocument();
  });
});

describe('EnvironmentPanel', () => {
  function renderProd(history: ReturnType<typeof release>[]) {
    const api = createK2DeployApi();
    api.getReleases.mockResolvedValue(releaseList(history));
    renderWithApi(
      <EnvironmentPanel
        service={SERVICE}
        target={PROD_TARGET}
        imageRepository={IMAGE_REPOSITORY}
        runtime={prodRuntime}
        can={{ release: true, scale: true, restart: true }}
        onChange={() => {}}
      />,
      api,
    );
    return api;
  }

  const running = release({
    environment: 'prod',
    number: 7,
    spec: { replicas: 4 },
  });

  it('follows a rollout in flight per cluster and holds other actions', async () => {
    renderProd([rollingOut, running]);

    const inFlight = await screen.findByLabelText('Release in flight');
    expect(
      within(inFlight).getByRole('heading', { name: /#8 1\.5\.0 by alice/ }),
    ).toBeInTheDocument();
    // The release's status, and prod-b's state.
    expect(within(inFlight).getAllByText('Rolling out')).toHaveLength(2);
    expect(
      within(inFlight).getByLabelText('Progress in prod-a'),
    ).toHaveTextContent('Healthy');
    expect(
      within(inFlight).getByLabelText('Progress in prod-b'),
    ).toHaveTextContent('ImagePullBackOff');

    const actions = within(
      screen.getByRole('group', { name: 'Actions in Production' }),
    );
    for (const name of ['Release', 'Scale', 'Restart']) {
      const button = actions.getByRole('button', { name });
      expect(button).toBeDisabled();
      expect(button.closest('[title]')).toHaveAttribute(
        'title',
        'Release #8 is in flight',
      );
    }
  });

  it('shows a failed release with its reason, and what still runs', async () => {
    renderProd([
      release({
        environment: 'prod',
        number: 8,
        status: 'failed',
        spec: { image: `${IMAGE_REPOSITORY}:1.5.0` },
        reason:
          'prod-b: ImagePullBackOff for 5 min; rolled back to #7 automatically',
      }),
      running,
    ]);

    const panel = within(
      await screen.findByRole('region', { name: 'Production environment' }),
    );
    await panel.findByText('Running #7');
    expect(panel.getByLabelText('What runs in Production')).toHaveTextContent(
      'Running #7: 1.4.2 × 4',
    );
    expect(panel.queryByLabelText('Release in flight')).not.toBeInTheDocument();
    const failed = within(panel.getByLabelText('Last release failed'));
    expect(failed.getByText('#8 1.5.0')).toBeInTheDocument();
    expect(failed.getByText('Failed')).toBeInTheDocument();
    expect(
      failed.getByText(
        'prod-b: ImagePullBackOff for 5 min; rolled back to #7 automatically',
      ),
    ).toBeInTheDocument();
  });

  it('counts ready of desired without the pods that are terminating', async () => {
    const base = environmentRuntime().clusters[0];
    const runtime = environmentRuntime({
      name: 'prod',
      title: 'Production',
      clusters: [
        {
          ...base,
          cluster: 'prod-a',
          workloads: [
            {
              ...base.workloads[0],
              replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
              rollout: { state: 'complete', message: '2 replicas available' },
            },
          ],
          pods: [
            pod({ name: 'pg-new-1' }),
            pod({ name: 'pg-new-2' }),
            pod({ name: 'pg-old-1', terminating: true, ready: false }),
          ],
          warnings: [],
        },
      ],
    });
    const api = createK2DeployApi();
    api.getReleases.mockResolvedValue(releaseList([running]));
    renderWithApi(
      <EnvironmentPanel
        service={SERVICE}
        target={PROD_TARGET}
        runtime={runtime}
        can={{ release: true, scale: true, restart: true }}
        onChange={() => {}}
      />,
      api,
    );
    const row = await screen.findByRole('row', { name: /^prod-a/ });
    expect(row).toHaveTextContent('2/2');
    expect(row).toHaveTextContent('Healthy');
    expect(within(row).getByLabelText('Status ok')).toBeInTheDocument();
  });
});
