import { screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { K2_TEST_CONFIG } from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { ClusterChecksSection } from './ClusterChecksSection';

jest.setTimeout(30_000);

function renderSection(
  api: ReturnType<typeof createK2AlertsApi>,
  allowed: boolean,
) {
  const permission = mockApis.permission({
    authorize: allowed ? 'ALLOW' : 'DENY',
  });
  const authorize = jest.spyOn(permission, 'authorize');
  renderInTestApp(<ClusterChecksSection />, {
    config: K2_TEST_CONFIG,
    apis: [api, permission],
  });
  return { authorize };
}

// Apart from the admin's tests: usePermission keeps its decisions for the whole file.
describe('Cluster checks section for anyone but a platform admin', () => {
  it('shows nothing, and asks nothing, to anyone but a platform admin', async () => {
    const api = createK2AlertsApi();
    const { authorize } = renderSection(api, false);
    // Once the policy has answered, the section stays away.
    await waitFor(() => expect(authorize).toHaveBeenCalled());
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(screen.queryByText('Cluster checks')).not.toBeInTheDocument();
    expect(api.getClusterChecks).not.toHaveBeenCalled();
  });
});
