import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import { K2ReleaseInput, K2ReleasePreview } from '@internal/plugin-k2-common';
import { release } from '../__testUtils__/fixtures';
import { setupUser } from '../__testUtils__/render';
import { ReleaseDialog } from './ReleaseDialog';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(60_000);

/** Release #7 mounts application.yaml v3 and the volume `data`. */
const running = release({
  spec: {
    volumes: [{ volume: 'data', mountPath: '/data', readOnly: false }],
    configFiles: [
      {
        file: 'application.yaml',
        version: 3,
        object: 'payment-gateway-application-yaml-5c9d7f2k4m',
        sensitive: false,
        hash: '5c9d7f2k4m',
        mountPath: '/app/config/application.yaml',
      },
    ],
  },
});

function renderDialog() {
  const onSubmit = jest.fn(async (_input: K2ReleaseInput) => {});
  const onPreview = jest.fn(
    async (input: K2ReleaseInput): Promise<K2ReleasePreview> => ({
      environment: 'test',
      number: 8,
      current: running,
      spec: {
        ...running.spec,
        configFiles: [
          {
            ...running.spec.configFiles[0],
            version: 4,
            object: 'payment-gateway-application-yaml-t7b2m9c4hd',
            hash: 't7b2m9c4hd',
          },
        ],
        image: input.image,
      },
      changes: [
        {
          path: 'configFiles./app/config/application.yaml',
          before: 'application.yaml v3',
          after: 'application.yaml v4',
        },
      ],
      approval: false,
    }),
  );
  renderInTestApp(
    <ReleaseDialog
      environment={{ name: 'test', title: 'Test', approval: false }}
      current={running}
      loadVolumeNames={async () => ['data', 'reports']}
      loadConfigFiles={async () => [
        {
          name: 'application.yaml',
          latest: 4,
          mountPath: '/app/config/application.yaml',
          sensitive: false,
        },
        {
          name: 'logback.xml',
          latest: 1,
          mountPath: '/app/config/logback.xml',
          sensitive: false,
        },
      ]}
      onPreview={onPreview}
      onClose={jest.fn()}
      onSubmit={onSubmit}
    />,
  );
  const dialog = screen.getByRole('dialog', { name: 'Release to Test' });
  return { onSubmit, onPreview, form: within(dialog) };
}

describe('ReleaseDialog mounts', () => {
  it('starts from what the running release mounts and sends no mounts when left alone', async () => {
    const user = setupUser();
    const { form, onPreview } = renderDialog();
    const config = form.getByRole('group', {
      name: 'Config file application.yaml',
    });
    const version = within(config).getByRole('button', { name: /Version/ });
    expect(version).toHaveTextContent('v3');
    await waitFor(() =>
      expect(
        within(config).getByText('v3 — running release #7'),
      ).toBeInTheDocument(),
    );
    const volume = form.getByRole('group', { name: 'Volume data' });
    expect(
      within(volume).getByRole('textbox', { name: 'Mount path' }),
    ).toHaveValue('/data');

    await user.click(form.getByRole('button', { name: 'Preview' }));
    const input = onPreview.mock.calls[0][0];
    expect(input.volumes).toBeUndefined();
    expect(input.configFiles).toBeUndefined();
  });

  it('picks another version, a new config file and another volume, shows the change in the preview and releases exactly that', async () => {
    const user = setupUser();
    const { form, onPreview, onSubmit } = renderDialog();
    const config = form.getByRole('group', {
      name: 'Config file application.yaml',
    });
    await user.click(within(config).getByRole('button', { name: /Version/ }));
    await user.click(await screen.findByRole('option', { name: 'Latest' }));
    expect(
      await within(config).findByText('v4 — latest version'),
    ).toBeInTheDocument();

    await user.click(form.getByRole('button', { name: 'Add config file' }));
    const added = form.getByRole('group', {
      name: 'Config file new config file',
    });
    await user.click(
      within(added).getByRole('button', { name: /Config file/ }),
    );
    await user.click(
      await screen.findByRole('option', { name: 'logback.xml' }),
    );
    const logback = form.getByRole('group', {
      name: 'Config file logback.xml',
    });
    expect(
      within(logback).getByRole('textbox', {
        name: 'File path in the container',
      }),
    ).toHaveValue('/app/config/logback.xml');

    await user.click(form.getByRole('button', { name: 'Remove volume data' }));
    await user.click(form.getByRole('button', { name: 'Add volume' }));
    const newVolume = form.getByRole('group', { name: 'Volume new volume' });
    await user.click(within(newVolume).getByRole('button', { name: /Volume/ }));
    await user.click(await screen.findByRole('option', { name: 'reports' }));
    const reports = form.getByRole('group', { name: 'Volume reports' });
    await user.type(
      within(reports).getByRole('textbox', { name: 'Mount path' }),
      '/srv/reports',
    );
    await user.click(
      within(reports).getByRole('checkbox', { name: 'Read-only' }),
    );

    await user.click(form.getByRole('button', { name: 'Preview' }));
    const changes = await form.findByRole('table', {
      name: 'Changes against the running release',
    });
    const row = within(changes).getByRole('row', { name: /config/ });
    expect(row).toHaveTextContent(
      'config /app/config/application.yaml: application.yaml v3',
    );
    expect(row).toHaveTextContent(
      'config /app/config/application.yaml: application.yaml v4',
    );
    await user.click(form.getByRole('button', { name: 'Release' }));
    const sent = onSubmit.mock.calls[0][0];
    expect(sent).toEqual(onPreview.mock.calls[0][0]);
    expect(sent.volumes).toEqual([
      { volume: 'reports', mountPath: '/srv/reports', readOnly: true },
    ]);
    expect(sent.configFiles).toEqual([
      { file: 'application.yaml', mountPath: '/app/config/application.yaml' },
      { file: 'logback.xml', mountPath: '/app/config/logback.xml' },
    ]);
  });
});
