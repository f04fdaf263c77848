import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import { K2_SECRET_MASK, K2ReleaseInput } from '@internal/plugin-k2-common';
import {
  environmentRuntime,
  IMAGE_REPOSITORY,
  release,
  releaseList,
  SERVICE,
  TEST_TARGET,
} from '../__testUtils__/fixtures';
import { createK2DeployApi, refusal } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { EnvironmentPanel } from './EnvironmentPanel';
import { ReleaseDialog } from './ReleaseDialog';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

function renderDialog(
  props: Partial<Parameters<typeof ReleaseDialog>[0]> = {},
) {
  const onSubmit = jest.fn(async () => {});
  const onClose = jest.fn();
  renderInTestApp(
    <ReleaseDialog
      environment={{ name: 'test', title: 'Test', approval: false }}
      current={release()}
      imageRepository={IMAGE_REPOSITORY}
      onClose={onClose}
      onSubmit={onSubmit}
      {...props}
    />,
  );
  const dialog = screen.getByRole('dialog', {
    name: `Release to ${props.environment?.title ?? 'Test'}`,
  });
  return { onSubmit, onClose, form: within(dialog) };
}

function renderPanel(api: ReturnType<typeof createK2DeployApi>) {
  const onChange = jest.fn();
  renderWithApi(
    <EnvironmentPanel
      service={SERVICE}
      target={TEST_TARGET}
      imageRepository={IMAGE_REPOSITORY}
      runtime={environmentRuntime()}
      can={{ release: true, scale: true, restart: true }}
      onChange={onChange}
    />,
    api,
  );
  return { onChange };
}

/** Release #7 with a secret variable, as the API returns it: masked, with its version. */
function releaseWithSecret() {
  return release({
    spec: {
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        {
          name: 'PAYMENTS_API_KEY',
          secret: true,
          version: '5f0c2a9e81d3b7c4',
          value: K2_SECRET_MASK,
        },
      ],
    },
  });
}

/** The env of the one release request submitted. */
function sentEnv(submit: jest.Mock): NonNullable<K2ReleaseInput['env']> {
  expect(submit).toHaveBeenCalledTimes(1);
  const input = submit.mock.calls[0].at(-1) as K2ReleaseInput;
  return input.env ?? [];
}

/** Opens the release form of the Test panel once it shows what runs. */
async function openReleaseDialog() {
  const user = setupUser();
  const panel = await screen.findByRole('region', { name: 'Test environment' });
  await within(panel).findByText(/Running #7/);
  const actions = within(panel).getByRole('group', { name: 'Actions in Test' });
  await user.click(within(actions).getByRole('button', { name: 'Release' }));
  const dialog = screen.getByRole('dialog', { name: 'Release to Test' });
  return { user, form: within(dialog) };
}

describe('ReleaseDialog', () => {
  it('starts from the current release: image, replicas, limits and variables', async () => {
    const { form } = renderDialog();

    expect(form.getByRole('textbox', { name: /^Image/ })).toHaveValue(
      `${IMAGE_REPOSITORY}:1.4.2`,
    );
    expect(form.getByRole('spinbutton', { name: 'Replicas' })).toHaveValue(2);
    expect(form.getByRole('textbox', { name: 'CPU limit' })).toHaveValue('1');
    expect(form.getByRole('textbox', { name: 'Memory limit' })).toHaveValue(
      '1Gi',
    );
    expect(
      form.getByRole('textbox', { name: 'Environment variables' }),
    ).toHaveValue('LOG_LEVEL=info\nPAYMENTS_PROVIDER=stripe');
    expect(form.getByRole('textbox', { name: 'Message' })).toHaveValue('');
    expect(form.getByRole('button', { name: 'Release' })).toBeEnabled();
  });

  it('starts from the running image when K2 has not released the service yet', () => {
    const { form } = renderDialog({
      environment: { name: 'prod', title: 'Production', approval: true },
      current: undefined,
      runningImage: `${IMAGE_REPOSITORY}:1.3.9`,
    });

    expect(form.getByRole('textbox', { name: /^Image/ })).toHaveValue(
      `${IMAGE_REPOSITORY}:1.3.9`,
    );
    expect(form.getByRole('spinbutton', { name: 'Replicas' })).toHaveValue(
      null,
    );
    expect(form.getByText(/wait for a release approver/)).toBeInTheDocument();
  });

  it('will not release without an image, and submits nothing', async () => {
    const user = setupUser();
    const { form, onSubmit } = renderDialog();

    await user.clear(form.getByRole('textbox', { name: /^Image/ }));
    const submit = form.getByRole('button', { name: 'Release' });
    expect(submit).toBeDisabled();
    await user.click(submit);

    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('skips blank lines and comments among the variables', async () => {
    const user = setupUser();
    const { form, onSubmit } = renderDialog();

    const env = form.getByRole('textbox', { name: 'Environment variables' });
    await user.clear(env);
    await user.paste('# tuning\n\nPOOL_SIZE=20\nURL=a=b');
    await user.click(form.getByRole('button', { name: 'Release' }));

    expect(onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({
        env: [
          { name: 'POOL_SIZE', value: '20' },
          { name: 'URL', value: 'a=b' },
        ],
      }),
    );
  });

  it('releases what the user typed, then closes and refreshes', async () => {
    const api = createK2DeployApi();
    const { onChange } = renderPanel(api);
    const { user, form } = await openReleaseDialog();

    // Typed by pasting: one input event per field keeps this test fast.
    const fill = async (name: string | RegExp, text: string) => {
      const field = form.getByLabelText(name);
      await user.clear(field);
      await user.click(field);
      await user.paste(text);
    };
    await fill(/^Image/, `${IMAGE_REPOSITORY}:1.5.0`);
    await fill('Replicas', '3');
    await fill('Memory limit', '2Gi');
    await fill(
      'Environment variables',
      'LOG_LEVEL=info\nPAYMENTS_PROVIDER=stripe\nFEATURE_REFUNDS=on',
    );
    await fill('Message', 'Refunds behind a flag');
    await user.click(form.getByRole('button', { name: 'Release' }));

    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(api.release).toHaveBeenCalledTimes(1);
    expect(api.release).toHaveBeenCalledWith(SERVICE, {
      environment: 'test',
      image: `${IMAGE_REPOSITORY}:1.5.0`,
      replicas: 3,
      resources: { cpu: '1', memory: '2Gi' },
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'PAYMENTS_PROVIDER', value: 'stripe' },
        { name: 'FEATURE_REFUNDS', value: 'on' },
      ],
      message: 'Refunds behind a flag',
    });
    expect(onChange).toHaveBeenCalled();
  });

  it('shows the server’s refusal in the open dialog, with the input kept', async () => {
    const api = createK2DeployApi();
    api.release.mockRejectedValue(
      refusal("'image': 'nope!' is not a valid tag"),
    );
    renderPanel(api);
    const { user, form } = await openReleaseDialog();

    const image = form.getByRole('textbox', { name: /^Image/ });
    await user.clear(image);
    await user.type(image, 'nope!');
    await user.click(form.getByRole('button', { name: 'Release' }));

    expect(await form.findByRole('alert')).toHaveTextContent(
      "'image': 'nope!' is not a valid tag",
    );
    expect(
      screen.getByRole('dialog', { name: 'Release to Test' }),
    ).toBeInTheDocument();
    expect(image).toHaveValue('nope!');
    expect(form.getByRole('button', { name: 'Release' })).toBeEnabled();
    expect(api.release).toHaveBeenCalledTimes(1);
  });

  describe('secret variables', () => {
    it('adds a secret: sent with its value and secret: true, the value only ever in the password field', async () => {
      const user = setupUser();
      const { form, onSubmit } = renderDialog();

      await user.click(
        form.getByRole('button', { name: 'Add secret variable' }),
      );
      const row = form.getByRole('group', { name: 'New secret variable' });
      const name = within(row).getByRole('textbox', { name: 'Name' });
      expect(name).toHaveFocus();
      await user.type(name, 'PAYMENTS_API_KEY');
      expect(row).toHaveAccessibleName('Secret PAYMENTS_API_KEY');
      const value = within(row).getByLabelText('Value');
      expect(value).toHaveAttribute('type', 'password');
      await user.click(value);
      await user.paste('sk_live_51Hx');

      expect(value).toHaveValue('sk_live_51Hx');
      // Not in any attribute or text of the page: only the input's live value.
      expect(document.body.innerHTML).not.toContain('sk_live_51Hx');
      expect(
        form.getByRole('textbox', { name: 'Environment variables' }),
      ).not.toHaveValue(expect.stringContaining('PAYMENTS_API_KEY'));

      await user.click(form.getByRole('button', { name: 'Release' }));

      expect(sentEnv(onSubmit)).toEqual([
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'PAYMENTS_PROVIDER', value: 'stripe' },
        { name: 'PAYMENTS_API_KEY', value: 'sk_live_51Hx', secret: true },
      ]);
    });

    it('keeps a secret of the current release without retyping: shown masked, sent without a value', async () => {
      const api = createK2DeployApi({
        getReleases: async () => releaseList([releaseWithSecret()]),
      });
      renderPanel(api);
      const { user, form } = await openReleaseDialog();

      // Plain variables stay in the text area; the secret is a row of its own.
      expect(
        form.getByRole('textbox', { name: 'Environment variables' }),
      ).toHaveValue('LOG_LEVEL=info');
      const row = form.getByRole('group', { name: 'Secret PAYMENTS_API_KEY' });
      expect(within(row).getByRole('textbox', { name: 'Name' })).toHaveValue(
        'PAYMENTS_API_KEY',
      );
      expect(within(row).getByText(`${K2_SECRET_MASK} (kept)`)).toBeVisible();
      expect(within(row).queryByLabelText(/value/i)).not.toBeInTheDocument();
      expect(
        form.getByText('payment-gateway-k2-env', { selector: 'code' }),
      ).toBeInTheDocument();

      await user.click(form.getByRole('button', { name: 'Release' }));

      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(api.release).toHaveBeenCalledTimes(1);
      const env = api.release.mock.calls[0][1].env ?? [];
      expect(env).toEqual([
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'PAYMENTS_API_KEY', secret: true },
      ]);
      // toEqual would also accept `value: undefined`; the request has no value at all.
      expect(env[1]).not.toHaveProperty('value');
      expect(JSON.stringify(api.release.mock.calls)).not.toContain(
        K2_SECRET_MASK,
      );
    });

    it('replaces a kept secret with a newly typed value, or keeps it again', async () => {
      const user = setupUser();
      const { form, onSubmit } = renderDialog({ current: releaseWithSecret() });
      const row = form.getByRole('group', { name: 'Secret PAYMENTS_API_KEY' });

      await user.click(within(row).getByRole('button', { name: 'Replace' }));
      const value = within(row).getByLabelText('New value');
      expect(value).toHaveAttribute('type', 'password');
      expect(value).toHaveValue('');
      expect(value).toHaveFocus();
      expect(within(row).queryByText(/\(kept\)/)).not.toBeInTheDocument();

      // Changing one's mind brings the kept value back.
      await user.click(
        within(row).getByRole('button', { name: 'Keep current' }),
      );
      expect(within(row).getByText(`${K2_SECRET_MASK} (kept)`)).toBeVisible();

      await user.click(within(row).getByRole('button', { name: 'Replace' }));
      await user.click(within(row).getByLabelText('New value'));
      await user.paste('sk_live_rotated');
      await user.click(form.getByRole('button', { name: 'Release' }));

      expect(sentEnv(onSubmit)).toEqual([
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'PAYMENTS_API_KEY', value: 'sk_live_rotated', secret: true },
      ]);
    });

    it('stops giving a removed secret to the release', async () => {
      const user = setupUser();
      const { form, onSubmit } = renderDialog({ current: releaseWithSecret() });

      await user.click(
        form.getByRole('button', { name: 'Remove PAYMENTS_API_KEY' }),
      );
      expect(
        form.queryByRole('group', { name: 'Secret PAYMENTS_API_KEY' }),
      ).not.toBeInTheDocument();
      await user.click(form.getByRole('button', { name: 'Release' }));

      expect(sentEnv(onSubmit)).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
    });

    it('will not release a new secret without a value, and says which one', async () => {
      const user = setupUser();
      const { form, onSubmit } = renderDialog();

      await user.click(
        form.getByRole('button', { name: 'Add secret variable' }),
      );
      const row = form.getByRole('group', { name: 'New secret variable' });
      await user.type(
        within(row).getByRole('textbox', { name: 'Name' }),
        'PAYMENTS_API_KEY',
      );
      await user.click(form.getByRole('button', { name: 'Release' }));

      expect(await form.findByRole('alert')).toHaveTextContent(
        'PAYMENTS_API_KEY has no value: type it, or remove the row.',
      );
      const value = within(row).getByLabelText('Value');
      expect(value).toBeInvalid();
      expect(value).toHaveAccessibleDescription(
        'PAYMENTS_API_KEY has no value: type it, or remove the row.',
      );
      expect(onSubmit).not.toHaveBeenCalled();

      await user.click(value);
      await user.paste('sk_live_51Hx');
      expect(value).toBeValid();
      await user.click(form.getByRole('button', { name: 'Release' }));

      expect(sentEnv(onSubmit)).toContainEqual({
        name: 'PAYMENTS_API_KEY',
        value: 'sk_live_51Hx',
        secret: true,
      });
    });

    it('never sends the mask as a value', async () => {
      const user = setupUser();
      const { form, onSubmit } = renderDialog({ current: releaseWithSecret() });

      // A secret pasted back as a plain line, as an older form showed it.
      const env = form.getByRole('textbox', { name: 'Environment variables' });
      await user.click(env);
      await user.paste(`\nSESSION_KEY=${K2_SECRET_MASK}`);
      // The mask typed as a secret's new value.
      const row = form.getByRole('group', { name: 'Secret PAYMENTS_API_KEY' });
      await user.click(within(row).getByRole('button', { name: 'Replace' }));
      await user.click(within(row).getByLabelText('New value'));
      await user.paste(K2_SECRET_MASK);
      await user.click(form.getByRole('button', { name: 'Release' }));

      const alert = await form.findByRole('alert');
      expect(alert).toHaveTextContent(
        `SESSION_KEY: "${K2_SECRET_MASK}" is how K2 shows a secret, not a value.`,
      );
      expect(alert).toHaveTextContent(
        `PAYMENTS_API_KEY: "${K2_SECRET_MASK}" is how K2 shows a secret, not its value`,
      );
      expect(env).toBeInvalid();
      expect(onSubmit).not.toHaveBeenCalled();
    });
  });
});

describe('ReleaseDialog image tags', () => {
  it("offers the tags of the service's repository, newest first, and takes the one picked", async () => {
    const api = createK2DeployApi();
    renderPanel(api);
    const { user, form } = await openReleaseDialog();

    expect(
      await form.findByText(
        '4 tags listed from registry.northwind.internal, newest first',
      ),
    ).toBeInTheDocument();
    const image = form.getByRole('textbox', { name: /^Image/ });
    await user.click(image);
    const tags = within(await screen.findByRole('listbox'));
    expect(tags.getAllByRole('option').map(o => o.textContent)).toEqual([
      '1.5.0',
      '1.4.2',
      '1.4.1',
      'latest',
    ]);
    await user.click(tags.getByRole('option', { name: '1.5.0' }));
    expect(image).toHaveValue('1.5.0');
    expect(api.getImageTags).toHaveBeenCalledWith(SERVICE);
  });
});
