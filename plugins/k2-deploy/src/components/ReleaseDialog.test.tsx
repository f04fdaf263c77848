import { renderInTestApp } from '@backstage/frontend-test-utils';
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import {
  K2_SECRET_MASK,
  K2ReleaseInput,
  K2ReleasePreview,
} from '@internal/plugin-k2-common';
import {
  environmentRuntime,
  IMAGE_REPOSITORY,
  release,
  releaseDefaults,
  releaseList,
  SERVICE,
  TEST_TARGET,
} from '../__testUtils__/fixtures';
import { createK2DeployApi, refusal } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { EnvironmentPanel } from './EnvironmentPanel';
import { ReleaseDialog } from './ReleaseDialog';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(60_000);

/** The backend's preview of a release of `input` over release #7: the image changes. */
function previewOf(input: K2ReleaseInput): K2ReleasePreview {
  const current = release();
  return {
    environment: input.environment,
    number: 8,
    current,
    spec: { ...current.spec, image: input.image },
    changes: [
      { path: 'image', before: current.spec.image, after: input.image },
    ],
    approval: false,
  };
}

function renderDialog(
  props: Partial<Parameters<typeof ReleaseDialog>[0]> = {},
) {
  const onSubmit = jest.fn(async (_input: K2ReleaseInput) => {});
  const onPreview = jest.fn(async (input: K2ReleaseInput) => previewOf(input));
  const onClose = jest.fn();
  renderInTestApp(
    <ReleaseDialog
      environment={{ name: 'test', title: 'Test', approval: false }}
      current={release()}
      imageRepository={IMAGE_REPOSITORY}
      loadDefaults={async () => releaseDefaults()}
      onPreview={onPreview}
      onClose={onClose}
      onSubmit={onSubmit}
      {...props}
    />,
  );
  const dialog = screen.getByRole('dialog', {
    name: `Release to ${props.environment?.title ?? 'Test'}`,
  });
  return { onSubmit, onPreview, onClose, form: within(dialog) };
}

/** Previews the form, then releases what the preview shows. */
async function previewAndRelease(
  user: ReturnType<typeof setupUser>,
  form: ReturnType<typeof within>,
) {
  await user.click(form.getByRole('button', { name: 'Preview' }));
  await user.click(await form.findByRole('button', { name: 'Release' }));
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
  describe('the values that apply', () => {
    it('starts from the running release, each field saying what applies and where it comes from', async () => {
      const { form } = renderDialog();

      expect(
        form.getByText(/^Starts from release #7, which runs now/),
      ).toBeInTheDocument();
      expect(form.getByRole('textbox', { name: /^Image/ })).toHaveValue(
        `${IMAGE_REPOSITORY}:1.4.2`,
      );
      // Left empty, the engine keeps the running count: the hint says which.
      const replicas = form.getByRole('spinbutton', { name: 'Replicas' });
      expect(replicas).toHaveValue(null);
      await waitFor(() =>
        expect(replicas).toHaveAccessibleDescription(
          '2 replicas — running release #7',
        ),
      );
      expect(replicas).toHaveAttribute('placeholder', '2');
      expect(
        form.getByRole('textbox', { name: 'CPU limit' }),
      ).toHaveAccessibleDescription('1 CPU — running release #7');
      expect(form.getByRole('textbox', { name: 'CPU limit' })).toHaveValue('1');
      expect(
        form.getByRole('textbox', { name: 'Memory limit' }),
      ).toHaveAccessibleDescription('1Gi — running release #7');
      expect(
        form.getByRole('textbox', { name: 'Environment variables' }),
      ).toHaveValue('LOG_LEVEL=info\nPAYMENTS_PROVIDER=stripe');
      expect(form.getByRole('textbox', { name: 'Message' })).toHaveValue('');
      expect(form.getByRole('button', { name: 'Preview' })).toBeEnabled();
    });

    it('says an emptied limit falls back to the environment default, and a typed one is the user’s', async () => {
      const user = setupUser();
      const { form } = renderDialog({
        current: release({
          spec: {
            resources: {
              requests: { cpu: '500m', memory: '1Gi' },
              limits: { cpu: '2', memory: '2Gi' },
            },
          },
        }),
      });
      const cpu = form.getByRole('textbox', { name: 'CPU limit' });
      await waitFor(() =>
        expect(cpu).toHaveAccessibleDescription('2 CPU — running release #7'),
      );

      await user.clear(cpu);
      expect(cpu).toHaveAccessibleDescription('1 CPU — environment default');
      expect(cpu).toHaveAttribute('placeholder', '1');
      const memory = form.getByRole('textbox', { name: 'Memory limit' });
      await user.clear(memory);
      expect(memory).toHaveAccessibleDescription('1Gi — environment default');

      await user.type(cpu, '500m');
      expect(cpu).toHaveAccessibleDescription('e.g. 1, 0.5, 500m');
    });

    it('names the annotation a first release’s replica count comes from', async () => {
      const { form } = renderDialog({
        environment: { name: 'prod', title: 'Production', approval: true },
        current: undefined,
        loadDefaults: async () =>
          releaseDefaults({
            environment: 'prod',
            replicas: {
              value: 4,
              source: 'annotation',
              annotation: 'k2.io/replicas.prod',
            },
          }),
      });

      expect(
        await form.findByText(
          '4 replicas — service annotation k2.io/replicas.prod',
        ),
      ).toBeInTheDocument();
      expect(
        form.getByRole('textbox', { name: 'CPU limit' }),
      ).toHaveAccessibleDescription('1 CPU — environment default');
      expect(form.getByText(/^Nothing runs here yet/)).toBeInTheDocument();
    });

    it('says autoscaling keeps setting the count', async () => {
      const { form } = renderDialog({
        loadDefaults: async () =>
          releaseDefaults({
            autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70 },
          }),
      });

      await waitFor(() =>
        expect(
          form.getByRole('spinbutton', { name: 'Replicas' }),
        ).toHaveAccessibleDescription(
          'Autoscaling sets the count, 2–6; a release leaves it on',
        ),
      );
    });

    it('starts from the running image when K2 has not released the service yet', async () => {
      const { form } = renderDialog({
        environment: { name: 'prod', title: 'Production', approval: true },
        current: undefined,
        runningImage: `${IMAGE_REPOSITORY}:1.3.9`,
        loadDefaults: async () => releaseDefaults({ environment: 'prod' }),
      });

      expect(form.getByRole('textbox', { name: /^Image/ })).toHaveValue(
        `${IMAGE_REPOSITORY}:1.3.9`,
      );
      expect(
        form.getByText(/^Starts from the image that runs now/),
      ).toBeVisible();
      const replicas = form.getByRole('spinbutton', { name: 'Replicas' });
      expect(replicas).toHaveValue(null);
      await waitFor(() =>
        expect(replicas).toHaveAccessibleDescription(
          '2 replicas — environment default',
        ),
      );
      expect(form.getByText(/wait for a release approver/)).toBeInTheDocument();
    });

    it('says so when the values cannot be read, and still previews', async () => {
      const user = setupUser();
      const { form, onPreview } = renderDialog({
        loadDefaults: async () => {
          throw new Error('Service Unavailable');
        },
      });

      expect(
        await form.findByText(
          'The values that apply could not be read: Service Unavailable',
        ),
      ).toBeInTheDocument();
      expect(
        form.getByRole('spinbutton', { name: 'Replicas' }),
      ).toHaveAccessibleDescription('Across all clusters of the environment');
      await user.click(form.getByRole('button', { name: 'Preview' }));
      expect(onPreview).toHaveBeenCalledTimes(1);
    });
  });

  it('will not preview without an image, and asks nothing', async () => {
    const user = setupUser();
    const { form, onSubmit, onPreview } = renderDialog();

    await user.clear(form.getByRole('textbox', { name: /^Image/ }));
    const preview = form.getByRole('button', { name: 'Preview' });
    expect(preview).toBeDisabled();
    await user.click(preview);

    expect(onPreview).not.toHaveBeenCalled();
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('skips blank lines and comments among the variables', async () => {
    const user = setupUser();
    const { form, onSubmit } = renderDialog();

    const env = form.getByRole('textbox', { name: 'Environment variables' });
    await user.clear(env);
    await user.paste('# tuning\n\nPOOL_SIZE=20\nURL=a=b');
    await previewAndRelease(user, form);

    expect(onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({
        env: [
          { name: 'POOL_SIZE', value: '20' },
          { name: 'URL', value: 'a=b' },
        ],
      }),
    );
  });

  describe('the preview step', () => {
    it('shows what changes against the running release, then releases exactly what was previewed', async () => {
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
      await user.click(form.getByRole('button', { name: 'Preview' }));

      expect(await form.findByRole('status')).toHaveTextContent(
        'What release #8 changes in release #7, which runs now:',
      );
      // The spec diff's own view, inline: the changed image, old and new side by side.
      const changes = form.getByRole('table', {
        name: 'Changes against the running release',
      });
      const row = within(changes).getByRole('row', { name: /image/ });
      expect(row).toHaveTextContent(`image: ${IMAGE_REPOSITORY}:1.4.2`);
      expect(row).toHaveTextContent(`image: ${IMAGE_REPOSITORY}:1.5.0`);
      // Changes only: the unchanged variables are folded away.
      expect(changes).not.toHaveTextContent('LOG_LEVEL');
      // Nothing is released until the user confirms what the preview shows.
      expect(api.release).not.toHaveBeenCalled();
      expect(form.queryByLabelText(/^Image/)).not.toBeInTheDocument();

      await user.click(form.getByRole('button', { name: 'Release' }));

      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      const input = {
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
      };
      expect(api.previewRelease).toHaveBeenCalledTimes(1);
      expect(api.previewRelease).toHaveBeenCalledWith(SERVICE, input);
      expect(api.release).toHaveBeenCalledTimes(1);
      expect(api.release).toHaveBeenCalledWith(SERVICE, input);
      expect(onChange).toHaveBeenCalled();
    });

    it('says "No change" for the running spec, and still lets the user redeploy', async () => {
      const user = setupUser();
      const { form, onSubmit } = renderDialog({
        onPreview: async input => ({ ...previewOf(input), changes: [] }),
      });

      await user.click(form.getByRole('button', { name: 'Preview' }));

      const status = await form.findByRole('status');
      expect(status).toHaveTextContent(/^No change/);
      expect(status).toHaveTextContent(
        'Release #8 would run the same spec as release #7: releasing it redeploys',
      );
      expect(form.queryByRole('table')).not.toBeInTheDocument();
      await user.click(form.getByRole('button', { name: 'Release' }));
      expect(onSubmit).toHaveBeenCalledTimes(1);
    });

    it('says whether the registry has the image, or that it was not checked', async () => {
      const user = setupUser();
      const digest = `sha256:3f1c2b9a7e64${'0'.repeat(52)}`;
      const found = renderDialog({
        onPreview: async input => ({
          ...previewOf(input),
          imageCheck: {
            status: 'found',
            registry: 'registry.northwind.example',
            digest,
          },
        }),
      });
      await user.click(found.form.getByRole('button', { name: 'Preview' }));
      expect(
        await found.form.findByText(
          'The registry registry.northwind.example has this image (sha256:3f1c2b9a7e64).',
        ),
      ).toBeInTheDocument();
      cleanup();

      const unchecked = renderDialog({
        onPreview: async input => ({
          ...previewOf(input),
          imageCheck: { status: 'not-checked', registry: 'docker.io' },
        }),
      });
      await user.click(unchecked.form.getByRole('button', { name: 'Preview' }));
      expect(
        await unchecked.form.findByText(
          'Image not checked: docker.io is not a registry K2 checks.',
        ),
      ).toBeInTheDocument();
    });

    it('goes back to the form with every value kept, a typed secret included', async () => {
      const user = setupUser();
      const { form, onPreview, onSubmit } = renderDialog();

      const image = form.getByRole('textbox', { name: /^Image/ });
      await user.clear(image);
      await user.paste('1.5.0');
      await user.type(form.getByRole('spinbutton', { name: 'Replicas' }), '4');
      await user.click(
        form.getByRole('button', { name: 'Add secret variable' }),
      );
      const row = form.getByRole('group', { name: 'New secret variable' });
      await user.type(
        within(row).getByRole('textbox', { name: 'Name' }),
        'PAYMENTS_API_KEY',
      );
      await user.click(within(row).getByLabelText('Value'));
      await user.paste('sk_live_51Hx');
      await user.click(form.getByRole('button', { name: 'Preview' }));
      await user.click(await form.findByRole('button', { name: 'Back' }));

      expect(form.getByRole('textbox', { name: /^Image/ })).toHaveValue(
        '1.5.0',
      );
      expect(form.getByRole('spinbutton', { name: 'Replicas' })).toHaveValue(4);
      expect(
        within(
          form.getByRole('group', { name: 'Secret PAYMENTS_API_KEY' }),
        ).getByLabelText('Value'),
      ).toHaveValue('sk_live_51Hx');
      expect(onSubmit).not.toHaveBeenCalled();

      await previewAndRelease(user, form);
      expect(onPreview).toHaveBeenCalledTimes(2);
      expect(onSubmit).toHaveBeenCalledWith(onPreview.mock.calls[1][0]);
      expect(onSubmit.mock.calls[0][0]).toMatchObject({
        image: '1.5.0',
        replicas: 4,
      });
    });

    it('shows what a first release will run', async () => {
      const user = setupUser();
      const { form } = renderDialog({
        environment: { name: 'prod', title: 'Production', approval: true },
        current: undefined,
        onPreview: async input => ({
          ...previewOf(input),
          number: 1,
          current: undefined,
          changes: [],
          approval: true,
        }),
      });
      await user.type(form.getByRole('textbox', { name: /^Image/ }), '1.5.0');
      await user.click(form.getByRole('button', { name: 'Preview' }));

      expect(await form.findByRole('status')).toHaveTextContent(
        'Release #1 is the first here: nothing runs to compare it with.',
      );
      const runs = form.getByRole('table', {
        name: 'What the release will run',
      });
      expect(
        within(runs).getByRole('row', { name: /^Image/ }),
      ).toHaveTextContent('1.5.0');
      expect(form.getByText(/wait for a release approver/)).toBeInTheDocument();
    });

    it('compares the whole specs in the spec diff on request', async () => {
      const user = setupUser();
      const { form } = renderDialog();
      await user.click(form.getByRole('button', { name: 'Preview' }));
      await user.click(
        await form.findByRole('button', {
          name: 'Compare the whole specs with #7',
        }),
      );

      const diff = await screen.findByRole('dialog', { name: /#7 → #8/ });
      expect(
        within(diff).getByRole('table', { name: 'Spec differences' }),
      ).toBeInTheDocument();
    });

    it('shows a refused preview in the form, with the input kept and nothing released', async () => {
      const api = createK2DeployApi();
      api.previewRelease.mockRejectedValue(
        refusal("'image': 'nope!' is not a valid tag"),
      );
      renderPanel(api);
      const { user, form } = await openReleaseDialog();

      const image = form.getByRole('textbox', { name: /^Image/ });
      await user.clear(image);
      await user.type(image, 'nope!');
      await user.click(form.getByRole('button', { name: 'Preview' }));

      expect(await form.findByRole('alert')).toHaveTextContent(
        "'image': 'nope!' is not a valid tag",
      );
      expect(image).toHaveValue('nope!');
      expect(form.getByRole('button', { name: 'Preview' })).toBeEnabled();
      expect(api.previewRelease).toHaveBeenCalledTimes(1);
      expect(api.release).not.toHaveBeenCalled();
    });

    it('shows a refused release in the preview step; Back clears it and keeps the input', async () => {
      const api = createK2DeployApi();
      api.release.mockRejectedValue(
        refusal(
          'payment-gateway already has release #8 (applying, by user:default/bob) in flight in test; wait for it to finish',
          'ConflictError',
          409,
        ),
      );
      renderPanel(api);
      const { user, form } = await openReleaseDialog();
      await user.clear(form.getByRole('textbox', { name: /^Image/ }));
      await user.paste('1.5.0');
      await previewAndRelease(user, form);

      expect(await form.findByRole('alert')).toHaveTextContent(
        'already has release #8',
      );
      expect(form.getByRole('button', { name: 'Release' })).toBeEnabled();
      await user.click(form.getByRole('button', { name: 'Back' }));

      expect(form.queryByRole('alert')).not.toBeInTheDocument();
      expect(form.getByRole('textbox', { name: /^Image/ })).toHaveValue(
        '1.5.0',
      );
    });
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

      await previewAndRelease(user, form);

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

      await previewAndRelease(user, form);

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
      await previewAndRelease(user, form);

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
      await previewAndRelease(user, form);

      expect(sentEnv(onSubmit)).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
    });

    it('will not preview a new secret without a value, and says which one', async () => {
      const user = setupUser();
      const { form, onSubmit, onPreview } = renderDialog();

      await user.click(
        form.getByRole('button', { name: 'Add secret variable' }),
      );
      const row = form.getByRole('group', { name: 'New secret variable' });
      await user.type(
        within(row).getByRole('textbox', { name: 'Name' }),
        'PAYMENTS_API_KEY',
      );
      await user.click(form.getByRole('button', { name: 'Preview' }));

      expect(await form.findByRole('alert')).toHaveTextContent(
        'PAYMENTS_API_KEY has no value: type it, or remove the row.',
      );
      const value = within(row).getByLabelText('Value');
      expect(value).toBeInvalid();
      expect(value).toHaveAccessibleDescription(
        'PAYMENTS_API_KEY has no value: type it, or remove the row.',
      );
      expect(onPreview).not.toHaveBeenCalled();
      expect(onSubmit).not.toHaveBeenCalled();

      await user.click(value);
      await user.paste('sk_live_51Hx');
      expect(value).toBeValid();
      await previewAndRelease(user, form);

      expect(sentEnv(onSubmit)).toContainEqual({
        name: 'PAYMENTS_API_KEY',
        value: 'sk_live_51Hx',
        secret: true,
      });
    });

    it('never sends the mask as a value', async () => {
      const user = setupUser();
      const { form, onSubmit, onPreview } = renderDialog({
        current: releaseWithSecret(),
      });

      // A secret pasted back as a plain line, as an older form showed it.
      const env = form.getByRole('textbox', { name: 'Environment variables' });
      await user.click(env);
      await user.paste(`\nSESSION_KEY=${K2_SECRET_MASK}`);
      // The mask typed as a secret's new value.
      const row = form.getByRole('group', { name: 'Secret PAYMENTS_API_KEY' });
      await user.click(within(row).getByRole('button', { name: 'Replace' }));
      await user.click(within(row).getByLabelText('New value'));
      await user.paste(K2_SECRET_MASK);
      await user.click(form.getByRole('button', { name: 'Preview' }));

      const alert = await form.findByRole('alert');
      expect(alert).toHaveTextContent(
        `SESSION_KEY: "${K2_SECRET_MASK}" is how K2 shows a secret, not a value.`,
      );
      expect(alert).toHaveTextContent(
        `PAYMENTS_API_KEY: "${K2_SECRET_MASK}" is how K2 shows a secret, not its value`,
      );
      expect(env).toBeInvalid();
      expect(onPreview).not.toHaveBeenCalled();
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
