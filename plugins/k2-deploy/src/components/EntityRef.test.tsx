import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { EntityRef } from './EntityRef';

describe('EntityRef', () => {
  it('links people and groups to their catalog page; a service principal stays text', async () => {
    await renderInTestApp(
      <ul>
        <li>
          <EntityRef entityRef="user:default/alice" />
        </li>
        <li>
          <EntityRef entityRef="group:ops/approvers" />
        </li>
        <li>
          <EntityRef entityRef="service:scaffolder" />
        </li>
        <li>
          <EntityRef entityRef="not a ref:" />
        </li>
      </ul>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );
    expect(await screen.findByRole('link', { name: 'alice' })).toHaveAttribute(
      'href',
      '/catalog/default/user/alice',
    );
    expect(screen.getByRole('link', { name: /approvers/ })).toHaveAttribute(
      'href',
      '/catalog/ops/group/approvers',
    );
    expect(screen.getByText('service:scaffolder')).not.toHaveAttribute('href');
    expect(screen.getAllByRole('link')).toHaveLength(2);
    expect(screen.getByText('not a ref:')).toBeInTheDocument();
  });

  it('names them without a link in an app that has no catalog entity page', async () => {
    await renderInTestApp(<EntityRef entityRef="user:default/alice" />);
    expect(await screen.findByText('alice')).toBeInTheDocument();
    expect(screen.queryByRole('link')).not.toBeInTheDocument();
  });
});
