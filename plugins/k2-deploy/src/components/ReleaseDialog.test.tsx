import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import {
  environmentRuntime,
  IMAGE_REPOSITORY,
  release,
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
});
