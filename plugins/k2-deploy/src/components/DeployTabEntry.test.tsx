import { lazy } from 'react';
import { screen, within } from '@testing-library/react';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderDeployTab } from '../__testUtils__/render';

jest.setTimeout(30_000);

/** The permissions the Deploy tab asks about the service (approvals come later). */
const TAB_PERMISSIONS = [
  'k2.release.create',
  'k2.canary.start.approved',
  'k2.service.scale',
  'k2.service.restart',
  'k2.instance.manage',
];

/** A part of the page whose code arrives after `ms`: until then React renders again. */
function loadingFor(ms: number) {
  const Part = lazy(
    () =>
      new Promise<{ default: () => null }>(resolve =>
        setTimeout(() => resolve({ default: () => null }), ms),
      ),
  );
  return <Part />;
}

async function clustersOfTest() {
  return within(await screen.findByRole('table', { name: 'Clusters of Test' }));
}

describe('DeployTabEntry', () => {
  it('asks for the runtime and each permission once: the tab reads the answers asked for while its code loaded', async () => {
    const api = createK2DeployApi();
    const asked: string[] = [];
    renderDeployTab(api, { entry: true, asked });
    expect((await clustersOfTest()).getByText('test')).toBeInTheDocument();
    expect(api.getRuntime).toHaveBeenCalledTimes(1);
    expect(asked.filter(name => TAB_PERMISSIONS.includes(name)).sort()).toEqual(
      [...TAB_PERMISSIONS].sort(),
    );
  });

  it('asks once while the page around it is rendered again and again until its code arrives', async () => {
    const api = createK2DeployApi();
    const asked: string[] = [];
    renderDeployTab(api, { entry: true, asked, beside: loadingFor(300) });
    expect((await clustersOfTest()).getByText('test')).toBeInTheDocument();
    expect(api.getRuntime).toHaveBeenCalledTimes(1);
    expect(asked.filter(name => TAB_PERMISSIONS.includes(name))).toHaveLength(
      TAB_PERMISSIONS.length,
    );
  });

  it('shows the tab’s error when that first runtime answer fails', async () => {
    const api = createK2DeployApi();
    api.getRuntime.mockRejectedValue(new Error('cluster test unreachable'));
    renderDeployTab(api, { entry: true, path: '/deploy/instances' });
    expect(
      (await screen.findAllByText(/cluster test unreachable/)).length,
    ).toBeGreaterThan(0);
    expect(api.getRuntime).toHaveBeenCalledTimes(1);
  });
});
