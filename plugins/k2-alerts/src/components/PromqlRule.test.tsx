import { act, screen, waitFor, within } from '@testing-library/react';
import { EditorView } from '@uiw/react-codemirror';
import { openNewRuleDialog } from '../__testUtils__/render';

jest.setTimeout(30_000);

// A file of its own: the permission hook caches a basic permission's answer for the
// whole file, and every other test of the tab is not a platform admin.
describe('New rule, as a platform admin', () => {
  it('lets a platform admin write a rule in PromQL', async () => {
    const { api, user, dialog } = await openNewRuleDialog({ promql: true });
    await user.click(within(dialog).getByRole('button', { name: /^Rule/ }));
    await user.click(
      screen.getByRole('option', { name: 'PromQL (platform admins)' }),
    );
    await user.type(
      within(dialog).getByRole('textbox', { name: /^Name/ }),
      'Many restarts',
    );
    const expr = await within(dialog).findByRole('textbox', {
      name: 'PromQL expression',
    });
    const view = EditorView.findFromDOM(expr)!;
    act(() => {
      view.dispatch({
        changes: {
          from: 0,
          insert: 'increase(kube_pod_container_status_restarts_total[10m]) > 3',
        },
        userEvent: 'input.paste',
      });
    });
    await user.type(
      within(dialog).getByRole('textbox', { name: /^For/ }),
      '1m',
    );
    await waitFor(() =>
      expect(api.previewRule).toHaveBeenCalledWith(expect.anything(), {
        environment: 'test',
        name: 'Many restarts',
        expr: 'increase(kube_pod_container_status_restarts_total[10m]) > 3',
        for: '1m',
        severity: 'warning',
        enabled: true,
      }),
    );
  });
});
