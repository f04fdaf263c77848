import { screen } from '@testing-library/react';
import { createK2DeployApi } from '../../__testUtils__/mockK2DeployApi';
import { renderDeployTab } from '../../__testUtils__/render';

// A file of its own: usePermission keeps its answer for a permission without a
// resource (k2.shell.session.read) in a module-wide cache, so a denial and an
// allowance of it cannot be rendered in one file.
jest.setTimeout(30_000);

describe('shell sessions (Activity)', () => {
  it('is not asked for, nor shown, where the permission framework denies reading sessions', async () => {
    const api = createK2DeployApi();
    renderDeployTab(api, { path: '/deploy/activity', allow: false });

    expect(
      await screen.findByText('No releases, scaling or restarts yet.'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Shell sessions')).not.toBeInTheDocument();
    expect(api.listShellSessions).not.toHaveBeenCalled();
  });
});
