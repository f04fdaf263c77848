import { screen, waitFor, within } from '@testing-library/react';
import {
  IMAGE_REPOSITORY,
  release,
  releaseList,
  serviceRuntime,
} from '../__testUtils__/fixtures';
import { createK2DeployApi, refusal } from '../__testUtils__/mockK2DeployApi';
import { renderDeployTab, setupUser } from '../__testUtils__/render';

// The whole tab renders three tables and two environments; 5 s is too tight on a
// shared machine.
jest.setTimeout(30_000);

const REFUSED = 'Only the service’s owners (and platform admins) may do this';

/** The Test environment's panel, once its history has loaded. */
async function testPanel() {
  const panel = await screen.findByRole('region', { name: 'Test environment' });
  await within(panel).findByText(/Running #7/);
  return within(panel);
}

/** The environment's Release, Scale and Restart buttons. */
function actions(panel: ReturnType<typeof within>, environment = 'Test') {
  const group = within(
    panel.getByRole('group', { name: `Actions in ${environment}` }),
  );
  return {
    release: group.getByRole('button', { name: 'Release' }),
    scale: group.getByRole('button', { name: 'Scale' }),
    restart: group.getByRole('button', { name: 'Restart' }),
  };
}

/** A release to prod waiting for an approver. */
const waiting = release({
  environment: 'prod',
  number: 3,
  status: 'pending-approval',
  message: 'Refunds for EU cards',
  createdBy: 'user:default/bob',
  startedAt: undefined,
  finishedAt: undefined,
  spec: {
    image: `${IMAGE_REPOSITORY}:1.5.0`,
    clusters: [
      { name: 'prod-a', replicas: 2, weight: 60 },
      { name: 'prod-b', replicas: 2, weight: 40 },
    ],
    replicas: 4,
  },
});

// Approvals are asked per release, and usePermission caches answers by release id
// across tests: each test's waiting release gets an id of its own.
let waitingReleases = 0;

function withWaitingProdRelease(api: ReturnType<typeof createK2DeployApi>) {
  const pending = { ...waiting, id: `rel-prod-3-${++waitingReleases}` };
  const fallback = api.getReleases.getMockImplementation()!;
  api.getReleases.mockImplementation(async (service, options) =>
    options.environment === 'prod'
      ? releaseList([pending])
      : fallback(service, options),
  );
  api.approve.mockResolvedValue({ ...pending, status: 'applying' });
  return pending;
}

describe('DeployTab', () => {
  it('shows problems only the backend knows, such as another service claiming the workload', async () => {
    const api = createK2DeployApi();
    const claimed =
      "k2.io/namespace: 'payments-core/payment-gateway' in Production is claimed by component:default/checkout";
    api.getRuntime.mockResolvedValue({
      ...serviceRuntime(),
      problems: [claimed],
    });
    renderDeployTab(api);
    expect(
      await screen.findByText(/1 problem in this service's K2 annotations/),
    ).toBeInTheDocument();
    expect(screen.getByText(claimed)).toBeInTheDocument();
  });

  describe('for an owner of the service', () => {
    it('offers release, scale, restart and rollback', async () => {
      renderDeployTab(createK2DeployApi(), { allow: true });
      const panel = await testPanel();

      const buttons = actions(panel);
      expect(buttons.release).toBeEnabled();
      expect(buttons.scale).toBeEnabled();
      expect(buttons.restart).toBeEnabled();
      expect(screen.queryByTitle(REFUSED)).not.toBeInTheDocument();
    });

    it('holds the actions until the releases are known, then starts the Release dialog from the running one', async () => {
      const api = createK2DeployApi();
      const fallback = api.getReleases.getMockImplementation()!;
      let answer: () => void = () => {};
      api.getReleases.mockImplementation((service, options) =>
        options.environment === 'test'
          ? new Promise(resolve => {
              answer = () =>
                resolve(
                  releaseList([
                    release({
                      spec: {
                        configFiles: [
                          {
                            file: 'application.yaml',
                            version: 2,
                            object:
                              'payment-gateway-application-yaml-5c9d7f2k4m',
                            sensitive: false,
                            hash: '5c9d7f2k4m',
                            mountPath: '/app/config/application.yaml',
                          },
                        ],
                      },
                    }),
                  ]),
                );
            })
          : fallback(service, options),
      );
      renderDeployTab(api, { allow: true });
      const region = await screen.findByRole('region', {
        name: 'Test environment',
      });
      const loading = actions(within(region));
      for (const button of Object.values(loading)) {
        expect(button).toBeDisabled();
        expect(button.closest('[title]')).toHaveAttribute(
          'title',
          'Loading the environment’s releases…',
        );
      }

      answer();
      const panel = await testPanel();
      await setupUser().click(actions(panel).release);
      const dialog = await screen.findByRole('dialog', {
        name: 'Release to Test',
      });
      expect(
        within(dialog).getByRole('group', {
          name: 'Config file application.yaml',
        }),
      ).toBeInTheDocument();
    });

    it('opens each sub-view at its own path, rollback on History', async () => {
      renderDeployTab(createK2DeployApi(), { allow: true });
      const user = setupUser();
      await testPanel();

      await user.click(screen.getByRole('tab', { name: 'History' }));
      const history = within(
        await screen.findByRole('region', { name: 'Test history' }),
      );
      expect(
        await history.findByRole('button', { name: 'Roll back to #6' }),
      ).toBeEnabled();
      // #7 runs: nothing to roll back to.
      expect(
        history.queryByRole('button', { name: 'Roll back to #7' }),
      ).not.toBeInTheDocument();

      await user.click(screen.getByRole('tab', { name: 'Instances' }));
      expect(
        await screen.findByRole('table', { name: 'Live instances' }),
      ).toBeInTheDocument();
      expect(
        screen.queryByRole('region', { name: 'Test environment' }),
      ).not.toBeInTheDocument();
    });

    it('opens the History of the environment a link names', async () => {
      renderDeployTab(createK2DeployApi(), {
        path: '/deploy/history?environment=prod',
      });
      expect(
        await screen.findByRole('region', { name: 'Production history' }),
      ).toHaveTextContent('Nothing released to Production yet.');
      expect(screen.getByRole('tab', { name: 'History' })).toHaveAttribute(
        'aria-selected',
        'true',
      );
    });

    it('asks before restarting, and cancelling restarts nothing', async () => {
      const api = createK2DeployApi();
      const { service } = renderDeployTab(api);
      const user = setupUser();
      const panel = await testPanel();

      await user.click(actions(panel).restart);
      const dialog = screen.getByRole('dialog', { name: 'Restart Test?' });
      expect(dialog).toHaveTextContent(/Every pod is replaced, one at a time/);
      await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(api.restart).not.toHaveBeenCalled();

      await user.click(actions(panel).restart);
      await user.click(
        within(screen.getByRole('dialog')).getByRole('button', {
          name: 'Restart',
        }),
      );
      await waitFor(() => expect(api.restart).toHaveBeenCalledTimes(1));
      expect(api.restart).toHaveBeenCalledWith(service, 'test');
    });

    it('asks before rolling back, naming what comes back', async () => {
      const api = createK2DeployApi();
      renderDeployTab(api, { path: '/deploy/history' });
      const user = setupUser();
      const panel = within(
        await screen.findByRole('region', { name: 'Test history' }),
      );
      await panel.findByRole('button', { name: 'Roll back to #6' });

      await user.click(panel.getByRole('button', { name: 'Roll back to #6' }));
      const dialog = screen.getByRole('dialog', {
        name: 'Roll back Test to #6?',
      });
      expect(dialog).toHaveTextContent('1.4.1 × 2');
      await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(api.rollback).not.toHaveBeenCalled();

      await user.click(panel.getByRole('button', { name: 'Roll back to #6' }));
      await user.click(
        within(await screen.findByRole('dialog')).getByRole('button', {
          name: 'Roll back',
        }),
      );
      await waitFor(() =>
        expect(api.rollback).toHaveBeenCalledWith('rel-test-6'),
      );
    });
  });

  describe('for someone the policy refuses', () => {
    it('disables release, scale, restart and rollback and says why', async () => {
      renderDeployTab(createK2DeployApi(), { allow: false });
      const panel = await testPanel();

      for (const button of Object.values(actions(panel))) {
        expect(button).toBeDisabled();
        // The reason is the tooltip of the disabled button.
        expect(button.closest('[title]')).toHaveAttribute('title', REFUSED);
      }
    });

    it('disables rollback on History and says why', async () => {
      renderDeployTab(createK2DeployApi(), {
        allow: false,
        path: '/deploy/history',
      });
      const history = within(
        await screen.findByRole('region', { name: 'Test history' }),
      );
      const rollback = await history.findByRole('button', {
        name: 'Roll back to #6',
      });
      expect(rollback).toBeDisabled();
      expect(rollback.closest('[title]')).toHaveAttribute('title', REFUSED);
    });

    it('disables the actions on an instance and says why', async () => {
      renderDeployTab(createK2DeployApi(), {
        allow: false,
        path: '/deploy/instances',
      });
      const user = setupUser();
      const instances = within(
        await screen.findByRole('table', { name: 'Live instances' }),
      );

      await user.click(instances.getByText('payment-gateway-7d9c5b6f4-x2x8k'));
      const panel = within(
        screen.getByRole('group', {
          name: 'Actions on payment-gateway-7d9c5b6f4-x2x8k',
        }),
      );
      for (const name of [
        'Take out of traffic',
        'Restart instance',
        'Destroy instance',
      ]) {
        const button = panel.getByRole('button', { name });
        expect(button).toBeDisabled();
        expect(button.closest('[title]')).toHaveAttribute('title', REFUSED);
      }
    });
  });

  describe('a release waiting for approval', () => {
    it('lets an approver approve it', async () => {
      const api = createK2DeployApi();
      const waitingRelease = withWaitingProdRelease(api);
      renderDeployTab(api, { approve: true });
      const user = setupUser();

      const inFlight = within(
        await screen.findByLabelText('Release waiting for approval'),
      );
      expect(
        inFlight.getByRole('heading', { name: '#3 1.5.0 by bob' }),
      ).toBeInTheDocument();
      expect(inFlight.getByText('Waiting for approval')).toBeInTheDocument();
      expect(inFlight.getByText('“Refunds for EU cards”')).toBeInTheDocument();
      expect(
        inFlight.getByText(
          'Nothing changes in the clusters until an approver approves.',
        ),
      ).toBeInTheDocument();
      expect(inFlight.getByRole('button', { name: 'Reject' })).toBeEnabled();

      await user.click(inFlight.getByRole('button', { name: 'Approve' }));
      await waitFor(() =>
        expect(api.approve).toHaveBeenCalledWith(waitingRelease.id),
      );
      expect(api.reject).not.toHaveBeenCalled();
    });

    it('shows why an approval was refused, and lets the approver retry', async () => {
      const api = createK2DeployApi();
      withWaitingProdRelease(api);
      api.approve.mockRejectedValueOnce(
        refusal(
          'You may not approve releases to Production: you created this release',
          'NotAllowedError',
        ),
      );
      renderDeployTab(api, { approve: true });
      const user = setupUser();

      const inFlight = within(
        await screen.findByLabelText('Release waiting for approval'),
      );
      await user.click(inFlight.getByRole('button', { name: 'Approve' }));

      expect(await inFlight.findByRole('alert')).toHaveTextContent(
        'You may not approve releases to Production: you created this release',
      );
      await user.click(inFlight.getByRole('button', { name: 'Approve' }));
      await waitFor(() => expect(api.approve).toHaveBeenCalledTimes(2));
      await waitFor(() =>
        expect(inFlight.queryByRole('alert')).not.toBeInTheDocument(),
      );
    });

    it('lets an approver reject it after confirming', async () => {
      const api = createK2DeployApi();
      const waitingRelease = withWaitingProdRelease(api);
      renderDeployTab(api, { approve: true });
      const user = setupUser();

      const inFlight = within(
        await screen.findByLabelText('Release waiting for approval'),
      );
      await user.click(inFlight.getByRole('button', { name: 'Reject' }));
      const dialog = screen.getByRole('dialog', {
        name: 'Reject release #3?',
      });
      await user.click(within(dialog).getByRole('button', { name: 'Reject' }));
      await waitFor(() =>
        expect(api.reject).toHaveBeenCalledWith(waitingRelease.id),
      );
      expect(api.approve).not.toHaveBeenCalled();
    });

    it('tells anyone else whom it waits for, and holds other actions', async () => {
      const api = createK2DeployApi();
      withWaitingProdRelease(api);
      renderDeployTab(api, { approve: false });

      const box = await screen.findByLabelText('Release waiting for approval');
      const inFlight = within(box);
      expect(box).toHaveTextContent(
        'Waiting for a member of release-approvers.',
      );
      expect(
        inFlight.queryByRole('button', { name: 'Approve' }),
      ).not.toBeInTheDocument();

      const prod = within(
        screen.getByRole('region', { name: 'Production environment' }),
      );
      const { release: releaseButton } = actions(prod, 'Production');
      expect(releaseButton).toBeDisabled();
      expect(releaseButton.closest('[title]')).toHaveAttribute(
        'title',
        'Release #3 is waiting for approval',
      );
    });

    it('lets an owner withdraw it after confirming, and nobody else', async () => {
      const api = createK2DeployApi();
      const waitingRelease = withWaitingProdRelease(api);
      renderDeployTab(api, { approve: false, allow: true });
      const user = setupUser();

      const box = within(
        await screen.findByLabelText('Release waiting for approval'),
      );
      await user.click(box.getByRole('button', { name: 'Withdraw' }));
      const dialog = screen.getByRole('dialog', {
        name: 'Withdraw release #3?',
      });
      expect(dialog).toHaveTextContent(/nothing is changed in the clusters/);
      await user.click(
        within(dialog).getByRole('button', { name: 'Withdraw' }),
      );
      await waitFor(() =>
        expect(api.cancel).toHaveBeenCalledWith(waitingRelease.id),
      );
    });

    it('offers no withdrawal to another team', async () => {
      const api = createK2DeployApi();
      withWaitingProdRelease(api);
      renderDeployTab(api, { approve: false, allow: false });
      const box = within(
        await screen.findByLabelText('Release waiting for approval'),
      );
      expect(
        box.queryByRole('button', { name: 'Withdraw' }),
      ).not.toBeInTheDocument();
    });
  });

  describe('a workload K2 did not release', () => {
    /** Production runs 1.13.0, deployed before K2; K2 has no release there. */
    function unreleasedProd(api: ReturnType<typeof createK2DeployApi>) {
      const runtime = serviceRuntime();
      const test = runtime.environments[0];
      api.getRuntime.mockResolvedValue({
        ...runtime,
        environments: [
          test,
          {
            ...test,
            name: 'prod',
            title: 'Production',
            clusters: ['prod-a', 'prod-b'].map(cluster => ({
              ...test.clusters[0],
              cluster,
              workloads: test.clusters[0].workloads.map(w => ({
                ...w,
                images: [`${IMAGE_REPOSITORY}:1.13.0`],
              })),
            })),
          },
        ],
      });
    }

    it('says what runs, and lets an owner adopt it as release #1', async () => {
      const api = createK2DeployApi();
      unreleasedProd(api);
      const { service } = renderDeployTab(api, { allow: true });
      const user = setupUser();

      const prod = within(
        await screen.findByRole('region', { name: 'Production environment' }),
      );
      expect(
        await prod.findByText('1.13.0 is running, not released by K2'),
      ).toBeInTheDocument();
      const { scale } = actions(prod, 'Production');
      expect(scale.closest('[title]')).toHaveAttribute(
        'title',
        'Adopt or release first',
      );

      await user.click(prod.getByRole('button', { name: 'Adopt' }));
      const dialog = within(
        screen.getByRole('dialog', { name: 'Adopt what runs in Production?' }),
      );
      // What will be recorded: the image each cluster runs.
      expect(
        dialog.getByRole('table', { name: 'Clusters of Production' }),
      ).toHaveTextContent('prod-b1.13.0');
      await user.click(
        dialog.getByRole('button', { name: 'Adopt as release #1' }),
      );
      await waitFor(() =>
        expect(api.adopt).toHaveBeenCalledWith(service, 'prod'),
      );
    });

    it('offers adoption to owners only, saying why', async () => {
      const api = createK2DeployApi();
      unreleasedProd(api);
      renderDeployTab(api, { allow: false });
      const prod = within(
        await screen.findByRole('region', { name: 'Production environment' }),
      );
      const adopt = await prod.findByRole('button', { name: 'Adopt' });
      expect(adopt).toBeDisabled();
      expect(adopt.closest('[title]')).toHaveAttribute('title', REFUSED);
    });

    it('offers no adoption where K2 has released, even if nothing succeeded', async () => {
      const api = createK2DeployApi();
      unreleasedProd(api);
      const fallback = api.getReleases.getMockImplementation()!;
      api.getReleases.mockImplementation(async (service, options) =>
        options.environment === 'prod'
          ? releaseList([
              release({
                environment: 'prod',
                number: 1,
                status: 'failed',
                reason: 'Image cannot be pulled',
              }),
            ])
          : fallback(service, options),
      );
      renderDeployTab(api, { allow: true });
      const prod = within(
        await screen.findByRole('region', { name: 'Production environment' }),
      );
      expect(
        await prod.findByText(
          '1.13.0 is running; no K2 release here has succeeded yet',
        ),
      ).toBeInTheDocument();
      expect(
        prod.queryByRole('button', { name: 'Adopt' }),
      ).not.toBeInTheDocument();
      expect(prod.getByLabelText('Last release failed')).toHaveTextContent(
        'Image cannot be pulled',
      );
    });
  });
});
