import { screen, waitFor, within } from '@testing-library/react';
import { openIncidentDrawer as openDrawer } from '../../__testUtils__/openIncidentDrawer';

jest.setTimeout(30_000);

describe('Acknowledge and Resolve in the incident drawer', () => {
  it('lets an owner acknowledge an open incident, then resolve it', async () => {
    const { api, user, drawer } = await openDrawer(true);
    await user.click(
      await within(drawer).findByRole('button', { name: 'Acknowledge' }),
    );
    expect(api.acknowledgeIncident).toHaveBeenCalledWith('inc-memory');
    expect(
      await within(drawer).findByText('Acknowledged by alice'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(
        within(drawer).queryByRole('button', { name: 'Acknowledge' }),
      ).not.toBeInTheDocument(),
    );

    await user.click(within(drawer).getByRole('button', { name: 'Resolve' }));
    expect(api.resolveIncident).toHaveBeenCalledWith('inc-memory');
    expect(
      await within(drawer).findByText('Resolved by alice'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(
        within(drawer).queryByRole('button', { name: 'Resolve' }),
      ).not.toBeInTheDocument(),
    );
  });

  it('shows the refusal when the backend refuses', async () => {
    const { api, user, drawer } = await openDrawer(true);
    api.acknowledgeIncident.mockRejectedValueOnce(
      Object.assign(new Error('Incident inc-memory is resolved'), {
        name: 'ConflictError',
      }),
    );
    await user.click(
      await within(drawer).findByRole('button', { name: 'Acknowledge' }),
    );
    expect(
      await within(drawer).findByText(/Incident inc-memory is resolved/),
    ).toBeInTheDocument();
  });
});
