import { within } from '@testing-library/react';
import { openIncidentDrawer } from '../../__testUtils__/openIncidentDrawer';

jest.setTimeout(30_000);

// A file of its own: permission answers are cached per page, as in the app.
describe('Acknowledge and Resolve for someone else', () => {
  it('offers neither to someone who may not update the service’s incidents', async () => {
    const { drawer } = await openIncidentDrawer(false);
    expect(
      within(drawer).queryByRole('button', { name: 'Acknowledge' }),
    ).not.toBeInTheDocument();
    expect(
      within(drawer).queryByRole('button', { name: 'Resolve' }),
    ).not.toBeInTheDocument();
  });
});
