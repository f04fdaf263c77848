import { screen, within } from '@testing-library/react';
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

describe('Cluster checks section', () => {
  it('shows a platform admin each finding with its cluster, check and node or service', async () => {
    const api = createK2AlertsApi();
    renderSection(api, true);
    const table = await screen.findByRole('table', { name: 'Cluster checks' });
    const pressure = within(table).getByRole('row', {
      name: /Node memory pressure/,
    });
    expect(pressure).toHaveTextContent('test-a');
    expect(pressure).toHaveTextContent('Node test-a-worker-2');
    const packed = within(table).getByRole('row', {
      name: /All replicas on one node/,
    });
    expect(packed).toHaveTextContent('payment-gateway (test)');
    expect(packed).toHaveTextContent(
      'All 2 replicas of payment-gateway (test) in cluster test-a run on node test-a-worker-1',
    );
  });

  it('says so when no cluster has a finding', async () => {
    const api = createK2AlertsApi();
    api.getClusterChecks.mockResolvedValue({
      checkedAt: new Date().toISOString(),
      clusters: [
        { cluster: 'test-a', findings: [], incidents: [] },
        { cluster: 'prod-a', findings: [], incidents: [] },
      ],
    });
    renderSection(api, true);
    expect(
      await screen.findByText(/^Nothing found in the 2 clusters\. Nodes under/),
    ).toBeInTheDocument();
  });
});
