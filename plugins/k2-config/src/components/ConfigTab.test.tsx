import { act, screen, waitFor, within } from '@testing-library/react';
import { EditorView } from '@uiw/react-codemirror';
import { SignalApi } from '@backstage/plugin-signals-react';
import { K2ConfigSignal } from '@internal/plugin-k2-config-common';
import { K2ApiError, K2ApiErrorBody } from '@internal/plugin-k2-common';
import {
  createK2ConfigApi,
  saveAsSomeoneElse,
} from '../__testUtils__/mockK2ConfigApi';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { renderConfigTab } from '../__testUtils__/render';
import {
  APPLICATION_V1,
  APPLICATION_V2,
  SECRET_CONTENT,
} from '../__testUtils__/fixtures';

jest.setTimeout(30_000);

/** The code editor named `label`, and a way to type into it as CodeMirror does. */
async function editor(label: string) {
  const content = await screen.findByRole('textbox', { name: label });
  const view = EditorView.findFromDOM(content)!;
  return {
    content,
    view,
    /** Replaces the editor's text, as a paste over a selection of everything. */
    replace(text: string) {
      act(() => {
        view.dispatch({
          changes: { from: 0, to: view.state.doc.length, insert: text },
          userEvent: 'input.paste',
        });
      });
    },
  };
}

describe('ConfigTab', () => {
  it('lists the environment’s files with their latest version and the releases mounting it', async () => {
    renderConfigTab(createK2ConfigApi());
    const table = await screen.findByRole('table', {
      name: 'Config files in Test',
    });
    const row = within(table).getByRole('row', { name: /application\.yaml/ });
    expect(row).toHaveTextContent('YAML');
    expect(row).toHaveTextContent('#2');
    expect(row).toHaveTextContent('bob');
    expect(row).toHaveTextContent('Release #7 in Test (running)');
    const secret = within(table).getByRole('row', { name: /db\.properties/ });
    expect(secret).toHaveTextContent('Sensitive');
  });

  it('shows the YAML error on its line as the user types, and Save stays disabled until it is fixed', async () => {
    const api = createK2ConfigApi();
    const user = setupUser();
    renderConfigTab(api, {
      path: '/config?environment=test&file=application.yaml',
    });
    const code = await editor('application.yaml content');
    await waitFor(() =>
      expect(code.view.state.doc.toString()).toBe(APPLICATION_V2),
    );
    const save = screen.getByRole('button', { name: 'Save' });
    expect(save).toBeDisabled();
    expect(screen.getByText('No changes to save')).toBeInTheDocument();

    code.replace('server:\n  port: 8080\n  bad: [unclosed\nlogging: x\n');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(/^Line 4/);
    expect(screen.getByText('Fix the error on line 4 to save')).toBeVisible();
    expect(save).toBeDisabled();
    // The editor marks the line too: a lint diagnostic in the gutter of line 4.
    await waitFor(() =>
      expect(document.querySelectorAll('.cm-lint-marker-error')).toHaveLength(
        1,
      ),
    );

    code.replace('server:\n  port: 9090\n');
    await waitFor(() => expect(save).toBeEnabled());
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('Message'), 'New port');
    await user.click(save);
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Saved as version #3.',
    );
    expect(api.saveVersion).toHaveBeenCalledWith(
      expect.anything(),
      'test',
      'application.yaml',
      {
        content: 'server:\n  port: 9090\n',
        baseVersion: 2,
        message: 'New port',
      },
    );
  });

  it('says someone else saved since, shows their version against the edits, and reloads it', async () => {
    const api = createK2ConfigApi();
    const user = setupUser();
    renderConfigTab(api, {
      path: '/config?environment=test&file=application.yaml',
    });
    const code = await editor('application.yaml content');
    await waitFor(() =>
      expect(code.view.state.doc.toString()).toBe(APPLICATION_V2),
    );
    await saveAsSomeoneElse(api, 'test', 'application.yaml', 'theirs: 3\n');
    code.replace('mine: 1\n');
    const save = screen.getByRole('button', { name: 'Save' });
    await waitFor(() => expect(save).toBeEnabled());
    await user.click(save);

    const dialog = await screen.findByRole('dialog', {
      name: 'Someone else saved version #3',
    });
    expect(dialog).toHaveTextContent(
      'alice saved version #3 after you opened version #2. Your changes are not saved.',
    );
    await user.click(
      within(dialog).getByRole('button', { name: 'Show the differences' }),
    );
    const diff = await within(dialog).findByRole('table', {
      name: 'Differences between version #3 and your changes',
    });
    expect(diff).toHaveTextContent('theirs: 3');
    expect(diff).toHaveTextContent('mine: 1');
    await user.click(
      within(dialog).getByRole('button', { name: 'Reload version #3' }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    const reloaded = await editor('application.yaml content');
    await waitFor(() =>
      expect(reloaded.view.state.doc.toString()).toBe('theirs: 3\n'),
    );
    expect(screen.getByText(/Version #3, saved by alice/)).toBeInTheDocument();
  });

  it('marks the line of a format error the server finds', async () => {
    const api = createK2ConfigApi();
    // The server's check is the last word: here it refuses what the editor let pass.
    api.saveVersion.mockRejectedValueOnce(
      new K2ApiError('duplicate key', 400, {
        error: { name: 'InputError', message: 'duplicate key', line: 2 },
      } as K2ApiErrorBody),
    );
    const user = setupUser();
    renderConfigTab(api, {
      path: '/config?environment=test&file=application.yaml',
    });
    const code = await editor('application.yaml content');
    await waitFor(() =>
      expect(code.view.state.doc.toString()).toBe(APPLICATION_V2),
    );
    code.replace('a: 1\nb: 2\n');
    const save = screen.getByRole('button', { name: 'Save' });
    await waitFor(() => expect(save).toBeEnabled());
    await user.click(save);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Line 2: duplicate key',
    );
    expect(save).toBeDisabled();
  });

  it('never fetches or renders a sensitive file’s content for someone who may not read it', async () => {
    const api = createK2ConfigApi();
    renderConfigTab(api, {
      allow: false,
      user: 'user:default/mallory',
      path: '/config?environment=test&file=db.properties',
    });
    // Said where the content would be, and as why Compare is disabled.
    expect(
      await screen.findAllByText(
        'This file is sensitive: only the service’s owners (and platform admins) can read its content.',
      ),
    ).toHaveLength(2);
    await screen.findByRole('table', { name: 'Versions of db.properties' });
    expect(
      screen.queryByRole('textbox', { name: 'db.properties content' }),
    ).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent('hunter2');
    expect(api.getContent).not.toHaveBeenCalled();
    expect(api.compareVersions).not.toHaveBeenCalled();
    expect(SECRET_CONTENT).toContain('hunter2');
  });

  it('shows a reader the content read-only, with Save, Delete and Restore disabled and why', async () => {
    const api = createK2ConfigApi();
    renderConfigTab(api, {
      allow: false,
      user: 'user:default/mallory',
      path: '/config?environment=test&file=application.yaml',
    });
    const code = await editor('application.yaml content');
    await waitFor(() =>
      expect(code.view.state.doc.toString()).toBe(APPLICATION_V2),
    );
    expect(code.content).toHaveAttribute('contenteditable', 'false');
    const why =
      'Only the service’s owners (and platform admins) may change its config files';
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
    expect(screen.getByText(why)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Delete file' })).toBeDisabled();
    const versions = await screen.findByRole('table', {
      name: 'Versions of application.yaml',
    });
    expect(
      within(versions).getByRole('button', { name: 'Restore #1' }),
    ).toBeDisabled();
  });

  it('compares two versions and restores the older one after previewing the change', async () => {
    const api = createK2ConfigApi();
    const user = setupUser();
    renderConfigTab(api, {
      path: '/config?environment=test&file=application.yaml',
    });
    const versions = await screen.findByRole('table', {
      name: 'Versions of application.yaml',
    });
    expect(within(versions).getByRole('row', { name: /#1/ })).toHaveTextContent(
      'Release #6 in Test',
    );
    const compare = screen.getByRole('button', { name: 'Compare selected' });
    expect(compare).toBeDisabled();
    await user.click(
      screen.getByRole('checkbox', { name: 'Select version #1' }),
    );
    await user.click(
      screen.getByRole('checkbox', { name: 'Select version #2' }),
    );
    await user.click(compare);
    const drawer = await screen.findByRole('dialog', {
      name: 'application.yaml: version #1 → #2',
    });
    const diff = within(drawer).getByRole('table', {
      name: 'Differences between the versions',
    });
    expect(diff).toHaveTextContent('level: info');
    expect(diff).toHaveTextContent('level: debug');
    await user.click(within(drawer).getByRole('button', { name: 'Close' }));

    await user.click(
      within(versions).getByRole('button', { name: 'Restore #1' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Restore version #1 of application.yaml?',
    });
    expect(
      await within(dialog).findByRole('table', {
        name: 'Differences between version #2 and version #1',
      }),
    ).toHaveTextContent('search: true');
    await user.click(
      within(dialog).getByRole('button', { name: 'Restore #1' }),
    );
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Version #1 restored as version #3.',
    );
    const code = await editor('application.yaml content');
    await waitFor(() =>
      expect(code.view.state.doc.toString()).toBe(APPLICATION_V1),
    );
  });

  it('refuses deleting a mounted file, naming the release, and keeps the dialog open', async () => {
    const api = createK2ConfigApi();
    const user = setupUser();
    renderConfigTab(api, {
      path: '/config?environment=test&file=application.yaml',
    });
    await user.click(
      await screen.findByRole('button', { name: 'Delete file' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Delete application.yaml from Test?',
    });
    const confirm = within(dialog).getByRole('button', { name: 'Delete' });
    expect(confirm).toBeDisabled();
    await user.type(
      within(dialog).getByLabelText('Type application.yaml to confirm'),
      'application.yaml',
    );
    await user.click(confirm);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'application.yaml version 2 is mounted by release #7 in test',
    );
  });

  it('creates a file: the name rules, the format from the extension, and an error on its line before Create', async () => {
    const api = createK2ConfigApi();
    const user = setupUser();
    renderConfigTab(api, { path: '/config?environment=prod' });
    expect(
      await screen.findByText(/^No config files in Production yet/),
    ).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'New config file' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'New config file in Production',
    });
    const name = within(dialog).getByRole('textbox', { name: 'File name' });
    await user.type(name, 'bad name');
    expect(dialog).toHaveTextContent(
      'Use only letters, digits, -, . and _, and start and end with a letter or digit',
    );
    await user.clear(name);
    await user.type(name, 'settings.json');
    // An empty JSON file does not parse, but nothing is typed yet to point at.
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: /JSON/ })).toBeVisible();
    expect(
      within(dialog).getByRole('textbox', { name: 'Default mount path' }),
    ).toHaveValue('/app/config/settings.json');
    const code = await editor('settings.json content');
    code.replace('{\n  "a": 1,\n}\n');
    await waitFor(() =>
      expect(within(dialog).getByRole('alert')).toHaveTextContent(/^Line 3/),
    );
    const create = within(dialog).getByRole('button', { name: 'Create' });
    expect(create).toBeDisabled();
    code.replace('{\n  "a": 1\n}\n');
    await user.type(
      within(dialog).getByRole('textbox', { name: 'Description' }),
      'Feature flags',
    );
    await waitFor(() => expect(create).toBeEnabled());
    await user.click(create);
    expect(
      await screen.findByRole('textbox', { name: 'settings.json content' }),
    ).toBeInTheDocument();
    expect(api.createFile).toHaveBeenCalledWith(expect.anything(), 'prod', {
      name: 'settings.json',
      format: 'json',
      sensitive: false,
      mountPath: '/app/config/settings.json',
      description: 'Feature flags',
      content: '{\n  "a": 1\n}\n',
    });
    expect(screen.getByText('Feature flags')).toBeInTheDocument();
  });

  it('fetches the list again when the backend announces a change in this environment', async () => {
    type Listener = Parameters<SignalApi['subscribe']>[1];
    const listeners = new Map<string, Listener>();
    const signals: SignalApi = {
      subscribe(channel, onMessage) {
        listeners.set(channel, onMessage as Listener);
        return { unsubscribe: () => listeners.delete(channel) };
      },
    };
    const api = createK2ConfigApi();
    renderConfigTab(api, { signals });
    const table = await screen.findByRole('table', {
      name: 'Config files in Test',
    });
    const [channel] = [...listeners.keys()];
    expect(channel).toMatch(
      /^k2-config:component:default\/payment-gateway-\d+$/,
    );
    // Someone else creates a file; the table shows it only once announced.
    await api.createFile({ namespace: 'default', name: 'x' }, 'test', {
      name: 'flags.json',
      format: 'json',
      mountPath: '/app/config/flags.json',
      content: '{}',
    });
    const send = (message: K2ConfigSignal) =>
      act(() => listeners.get(channel)!(message));
    const loads = api.getFiles.mock.calls.length;
    send({
      environment: 'prod',
      file: 'x.yaml',
      change: 'created',
      version: 1,
    });
    expect(api.getFiles).toHaveBeenCalledTimes(loads);
    send({
      environment: 'test',
      file: 'flags.json',
      change: 'created',
      version: 1,
    });
    expect(
      await within(table).findByRole('row', { name: /flags\.json/ }),
    ).toBeInTheDocument();
  });
});
