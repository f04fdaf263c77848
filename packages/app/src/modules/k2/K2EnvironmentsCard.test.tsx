import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { K2EnvironmentsCard } from './K2EnvironmentsCard';

const config = {
  k2: {
    environments: [
      {
        name: 'test',
        title: 'Test',
        clusters: [{ name: 'test' }],
        wildcardDomain: 'k2.northwind.internal',
      },
      {
        name: 'prod',
        title: 'Production',
        approval: {
          required: true,
          approverGroup: 'group:default/release-approvers',
        },
        defaults: { replicas: 2, resources: { cpu: '2', memory: '4Gi' } },
        clusters: [
          { name: 'prod-a', weight: 60 },
          { name: 'prod-b', weight: 40 },
        ],
      },
    ],
  },
};

function entity(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payment-gateway', annotations },
    spec: { type: 'service', owner: 'payments-team', system: 'payments-core' },
  };
}

function render(e: Entity, cfg: object = config) {
  return renderInTestApp(
    <EntityProvider entity={e}>
      <K2EnvironmentsCard />
    </EntityProvider>,
    { config: cfg as any },
  );
}

describe('K2EnvironmentsCard', () => {
  it('shows each environment with its clusters, approval, replicas and domain', async () => {
    await render(
      entity({
        'backstage.io/kubernetes-id': 'payment-gateway',
        'k2.io/environments': 'test,prod',
        'k2.io/language': 'java',
        'k2.io/replicas.prod': '4',
      }),
    );
    expect(await screen.findByText('K2 environments')).toBeInTheDocument();
    expect(screen.getByText('Production')).toBeInTheDocument();
    expect(screen.getByText('Approval: release-approvers')).toBeInTheDocument();
    expect(screen.getByText('Self-service')).toBeInTheDocument();
    expect(screen.getByText('prod-a — 60%')).toBeInTheDocument();
    expect(screen.getByText('prod-b — 40%')).toBeInTheDocument();
    expect(screen.getByText('4 × 2 CPU · 4Gi')).toBeInTheDocument();
    expect(screen.getByText('1 × 1 CPU · 1Gi')).toBeInTheDocument();
    expect(
      screen.getByText('payment-gateway.test.k2.northwind.internal'),
    ).toBeInTheDocument();
    expect(screen.getByText('java')).toBeInTheDocument();
    expect(
      screen.queryByText(/problems? in this service/),
    ).not.toBeInTheDocument();
  });

  it('lists annotation problems so the owner can fix them', async () => {
    await render(
      entity({
        'backstage.io/kubernetes-id': 'payment-gateway',
        'k2.io/environments': 'test,staging',
      }),
    );
    expect(
      await screen.findByText(/1 problem in this service's K2 annotations/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /names unknown environment 'staging'; known: test, prod/,
      ),
    ).toBeInTheDocument();
    // The valid environment is still shown.
    expect(screen.getByText('Self-service')).toBeInTheDocument();
  });

  it('explains a broken K2 configuration instead of crashing the page', async () => {
    await render(entity({ 'k2.io/environments': 'test' }), { k2: {} });
    expect(
      await screen.findByText(/K2 configuration is invalid/),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/Invalid K2 configuration at 'k2.environments'/)
        .length,
    ).toBeGreaterThan(0);
  });
});
