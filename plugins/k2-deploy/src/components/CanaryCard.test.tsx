import { screen, waitFor, within } from '@testing-library/react';
import {
  canary,
  environmentRuntime,
  IMAGE_REPOSITORY,
  PROD_TARGET,
  release,
  releaseList,
  SERVICE,
  TEST_TARGET,
} from '../__testUtils__/fixtures';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { Abilities, EnvironmentPanel } from './EnvironmentPanel';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

const ALL: Abilities = { release: true, scale: true, restart: true };

async function renderPanel(
  api: ReturnType<typeof createK2DeployApi>,
  options: { can?: Abilities; target?: typeof TEST_TARGET } = {},
) {
  const target = options.target ?? TEST_TARGET;
  renderWithApi(
    <EnvironmentPanel
      service={SERVICE}
      target={target}
      imageRepository={IMAGE_REPOSITORY}
      runtime={environmentRuntime()}
      can={options.can ?? ALL}
      onChange={() => {}}
    />,
    api,
  );
  const title = target.environment.title;
  const panel = await screen.findByRole('region', {
    name: `${title} environment`,
  });
  return { user: setupUser(), panel: within(panel), title };
}

describe('the Canary card on the environment overview', () => {
  it('shows the running canary: image, ready of total per cluster, who started it', async () => {
    const api = createK2DeployApi({
      getCanary: async () => ({
        canary: canary({
          clusters: [{ cluster: 'test', replicas: 2, ready: 1, total: 2 }],
        }),
      }),
    });
    const { panel } = await renderPanel(api);

    const card = within(
      await panel.findByRole('region', { name: 'Canary in Test' }),
    );
    expect(card.getByRole('heading')).toHaveTextContent('Canary 1.5.0-rc1');
    expect(card.getByText(/beside release #7, started by/)).toHaveTextContent(
      /alice/,
    );
    const pods = within(
      card.getByRole('table', { name: 'Canary pods of Test' }),
    );
    expect(pods.getByRole('row', { name: /test/ })).toHaveTextContent('1/2');
    expect(api.getCanary).toHaveBeenCalledWith(SERVICE, 'test');
  });

  it('keeps the stable image in the cluster table while a canary runs beside it', async () => {
    const api = createK2DeployApi({
      getCanary: async () => ({ canary: canary() }),
    });
    const runtime = environmentRuntime();
    const stable = runtime.clusters[0].workloads[0];
    renderWithApi(
      <EnvironmentPanel
        service={SERVICE}
        target={TEST_TARGET}
        imageRepository={IMAGE_REPOSITORY}
        runtime={{
          ...runtime,
          clusters: [
            {
              ...runtime.clusters[0],
              workloads: [
                {
                  ...stable,
                  name: 'payment-gateway-canary',
                  images: [`${IMAGE_REPOSITORY}:1.5.0-rc1`],
                  track: 'canary',
                },
                stable,
              ],
            },
          ],
        }}
        can={ALL}
        onChange={() => {}}
      />,
      api,
    );
    const panel = within(
      await screen.findByRole('region', { name: 'Test environment' }),
    );
    await panel.findByRole('region', { name: 'Canary in Test' });
    const clusters = within(
      panel.getByRole('table', { name: 'Clusters of Test' }),
    );
    expect(clusters.getByRole('row', { name: /^test/ })).toHaveTextContent(
      stable.images[0].split(':').pop()!,
    );
    expect(clusters.getByRole('row', { name: /^test/ })).not.toHaveTextContent(
      '1.5.0-rc1',
    );
  });

  it('draws nothing when no canary runs, and says so when the canary cannot be read', async () => {
    const api = createK2DeployApi({
      getCanary: async () => ({
        canary: canary({ status: 'aborted', clusters: [] }),
      }),
    });
    const { panel } = await renderPanel(api);
    await waitFor(() => expect(api.getCanary).toHaveBeenCalled());
    await panel.findByText(/Running #7/);
    expect(
      panel.queryByRole('region', { name: 'Canary in Test' }),
    ).not.toBeInTheDocument();

    const failing = createK2DeployApi({
      getCanary: async () => {
        throw new Error('k2-deploy is restarting');
      },
    });
    const second = await renderPanel(failing, { target: PROD_TARGET });
    expect(
      await second.panel.findByText(
        /Could not read the canary: k2-deploy is restarting/,
      ),
    ).toBeInTheDocument();
  });

  it('promotes after confirmation, and shows the release promoting it', async () => {
    const api = createK2DeployApi({
      getCanary: async () => ({ canary: canary() }),
    });
    const { user, panel } = await renderPanel(api);
    const card = within(
      await panel.findByRole('region', { name: 'Canary in Test' }),
    );
    await user.click(card.getByRole('button', { name: 'Promote' }));
    const dialog = within(
      screen.getByRole('dialog', { name: 'Promote the canary in Test?' }),
    );
    expect(
      dialog.getByText(/releases 1.5.0-rc1 as the next release/),
    ).toBeInTheDocument();
    api.getCanary.mockImplementation(async () => ({
      canary: canary({
        promotion: { releaseId: 'rel-test-8', number: 8 },
        message:
          'Release #8 is rolling out; the canary runs until it completes',
      }),
    }));
    await user.click(dialog.getByRole('button', { name: 'Promote' }));

    await waitFor(() =>
      expect(api.promoteCanary).toHaveBeenCalledWith(SERVICE, 'test'),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(
      await card.findByText(
        'Release #8 is rolling out; the canary runs until it completes',
      ),
    ).toBeInTheDocument();
    expect(card.getByRole('button', { name: 'Promote' })).toBeDisabled();
  });

  it('aborts after a destructive confirmation, keeping the dialog open with a refusal', async () => {
    const api = createK2DeployApi({
      getCanary: async () => ({ canary: canary() }),
    });
    api.abortCanary.mockRejectedValueOnce(
      new Error("Could not remove the canary from 'test'; try again"),
    );
    const { user, panel } = await renderPanel(api);
    const card = within(
      await panel.findByRole('region', { name: 'Canary in Test' }),
    );
    await user.click(card.getByRole('button', { name: 'Abort' }));
    const dialog = within(
      screen.getByRole('dialog', { name: 'Abort the canary in Test?' }),
    );
    expect(
      dialog.getByText(/all traffic goes back to the stable release/),
    ).toBeInTheDocument();
    await user.click(dialog.getByRole('button', { name: 'Abort' }));
    expect(
      await dialog.findByText(/Could not remove the canary from 'test'/),
    ).toBeInTheDocument();

    api.getCanary.mockImplementation(async () => ({
      canary: canary({ status: 'aborted', clusters: [] }),
    }));
    await user.click(dialog.getByRole('button', { name: 'Abort' }));
    await waitFor(() => expect(api.abortCanary).toHaveBeenCalledTimes(2));
    await waitFor(() =>
      expect(
        panel.queryByRole('region', { name: 'Canary in Test' }),
      ).not.toBeInTheDocument(),
    );
  });

  it('disables Promote and Abort for users who may not release the service', async () => {
    const api = createK2DeployApi({
      getCanary: async () => ({ canary: canary() }),
    });
    const { panel } = await renderPanel(api, {
      can: { release: false, scale: false, restart: false },
    });
    const card = within(
      await panel.findByRole('region', { name: 'Canary in Test' }),
    );
    expect(card.getByRole('button', { name: 'Promote' })).toBeDisabled();
    expect(card.getByRole('button', { name: 'Abort' })).toBeDisabled();
  });
});

describe('Release as canary, in the Release dialog', () => {
  async function openRelease(
    api: ReturnType<typeof createK2DeployApi>,
    options: { can?: Abilities; target?: typeof TEST_TARGET } = {},
  ) {
    const { user, panel, title } = await renderPanel(api, options);
    await panel.findByText(/Running #\d+/);
    const actions = within(
      panel.getByRole('group', { name: `Actions in ${title}` }),
    );
    await user.click(actions.getByRole('button', { name: 'Release' }));
    return {
      user,
      panel,
      dialog: within(
        screen.getByRole('dialog', { name: `Release to ${title}` }),
      ),
    };
  }

  it('starts a canary of the image with the replicas given, instead of a release', async () => {
    const api = createK2DeployApi();
    const { user, dialog, panel } = await openRelease(api);

    await user.click(dialog.getByRole('radio', { name: 'Release as canary' }));
    expect(dialog.getByText(/runs beside release #7/)).toBeInTheDocument();
    const image = dialog.getByRole('textbox', { name: /^Image/ });
    await user.clear(image);
    await user.type(image, '1.5.0-rc1');
    await user.type(
      dialog.getByRole('spinbutton', { name: 'Canary replicas per cluster' }),
      '2',
    );
    api.getCanary.mockImplementation(async () => ({
      canary: canary({ replicas: 2 }),
    }));
    await user.click(dialog.getByRole('button', { name: 'Start canary' }));

    await waitFor(() =>
      expect(api.startCanary).toHaveBeenCalledWith(SERVICE, 'test', {
        image: '1.5.0-rc1',
        replicas: 2,
      }),
    );
    expect(api.release).not.toHaveBeenCalled();
    expect(api.previewRelease).not.toHaveBeenCalled();
    expect(
      await panel.findByRole('region', { name: 'Canary in Test' }),
    ).toBeInTheDocument();
  });

  it('offers the canary only where the user may start one, saying why not', async () => {
    const api = createK2DeployApi({
      getCanary: async () => ({ canary: canary() }),
    });
    const { dialog } = await openRelease(api);
    await waitFor(() =>
      expect(
        dialog.getByRole('radio', { name: 'Release as canary' }),
      ).toBeDisabled(),
    );
    expect(
      dialog.getByText('A canary already runs here: promote or abort it first'),
    ).toBeInTheDocument();
  });

  it('refuses a canary where releases need approval unless the user is a platform admin', async () => {
    const prodRunning = createK2DeployApi({
      getReleases: async () =>
        releaseList([
          release({ environment: 'prod', id: 'rel-prod-3', number: 3 }),
        ]),
    });
    const { dialog } = await openRelease(prodRunning, { target: PROD_TARGET });
    expect(
      dialog.getByRole('radio', { name: 'Release as canary' }),
    ).toBeDisabled();
    expect(
      dialog.getByText(
        'Releases to Production need approval: only platform admins start a canary here',
      ),
    ).toBeInTheDocument();
  });

  it('offers a platform admin the canary where releases need approval', async () => {
    const api = createK2DeployApi({
      getReleases: async () =>
        releaseList([
          release({ environment: 'prod', id: 'rel-prod-4', number: 4 }),
        ]),
    });
    const { dialog } = await openRelease(api, {
      target: PROD_TARGET,
      can: { ...ALL, canaryWhereApproved: true },
    });
    await waitFor(() =>
      expect(
        dialog.getByRole('radio', { name: 'Release as canary' }),
      ).toBeEnabled(),
    );
  });
});
