import { screen } from '@testing-library/react';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderDeployTab } from '../__testUtils__/render';

/** What had been asked when the tab's code first rendered. */
const mockSeen: Array<{ runtime: number; asked: number; first: boolean }> = [];
const mockState: {
  api?: ReturnType<typeof createK2DeployApi>;
  asked: string[];
} = { asked: [] };

jest.mock('./DeployTab', () => ({
  DeployTab: (props: { firstRuntime?: Promise<unknown> }) => {
    mockSeen.push({
      runtime: mockState.api!.getRuntime.mock.calls.length,
      asked: mockState.asked.length,
      first: props.firstRuntime !== undefined,
    });
    return <p>The Deploy tab</p>;
  },
}));

describe('DeployTabEntry', () => {
  it('has asked for the runtime and the permissions by the time the tab’s code runs, and hands the runtime answer to the tab', async () => {
    mockState.api = createK2DeployApi();
    renderDeployTab(mockState.api, { entry: true, asked: mockState.asked });
    expect(await screen.findByText('The Deploy tab')).toBeInTheDocument();
    expect(mockSeen[0]).toEqual({ runtime: 1, asked: 5, first: true });
  });
});
