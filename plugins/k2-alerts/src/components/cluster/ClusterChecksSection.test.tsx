import { screen, within } from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiPair,
} from '@backstage/frontend-test-utils';
import { k2ReactZh } from '@internal/plugin-k2-react';
import {
  K2_TEST_CONFIG,
  languageApis,
} from '@internal/plugin-k2-react/testUtils';
import zh from '../../translations/zh';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { ClusterChecksSection } from './ClusterChecksSection';

jest.setTimeout(30_000);

function renderSection(
  api: ReturnType<typeof createK2AlertsApi>,
  allowed: boolean,
  language?: ReturnType<typeof languageApis>,
) {
  const permission = mockApis.permission({
    authorize: allowed ? 'ALLOW' : 'DENY',
  });
  const authorize = jest.spyOn(permission, 'authorize');
  const apis: TestApiPair<any>[] = [api, permission, ...(language ?? [])];
  renderInTestApp(<ClusterChecksSection />, {
    config: K2_TEST_CONFIG,
    apis,
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

  it.each([
    ['en', 'Node disk almost full', 'Node test-a-worker-3'],
    ['zh', '节点磁盘将满', '节点 test-a-worker-3'],
  ])(
    'names a node whose disk is almost full (%s)',
    async (language, check, node) => {
      const api = createK2AlertsApi();
      api.getClusterChecks.mockResolvedValue({
        checkedAt: new Date().toISOString(),
        clusters: [
          {
            cluster: 'test-a',
            findings: [
              {
                check: 'node-disk-almost-full',
                cluster: 'test-a',
                node: 'test-a-worker-3',
                since: new Date().toISOString(),
                pods: [],
                summary:
                  'Node test-a-worker-3 in cluster test-a: root filesystem 91% used (threshold 85%)',
              },
            ],
            incidents: [],
          },
        ],
      });
      renderSection(
        api,
        true,
        language === 'zh' ? languageApis('zh', [zh, k2ReactZh]) : undefined,
      );
      const row = await screen.findByRole('row', { name: new RegExp(check) });
      expect(row).toHaveTextContent(node);
      expect(row).toHaveTextContent('root filesystem 91% used');
    },
  );

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
