import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import {
  environmentRuntime,
  IMAGE_REPOSITORY,
  recommendation,
  SERVICE,
  TEST_TARGET,
} from '../__testUtils__/fixtures';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { EnvironmentPanel } from './EnvironmentPanel';
import { ScaleDialog } from './ScaleDialog';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

function renderDialog(props: Partial<Parameters<typeof ScaleDialog>[0]> = {}) {
  const handlers = {
    recommend: jest.fn(async () => recommendation()),
    onScale: jest.fn(async () => {}),
    onAutoscale: jest.fn(async () => {}),
    onClose: jest.fn(),
  };
  renderInTestApp(
    <ScaleDialog environment="Test" replicas={2} {...handlers} {...props} />,
  );
  const dialog = screen.getByRole('dialog', { name: 'Scale Test' });
  return { ...handlers, form: within(dialog) };
}

async function openScaleDialog(api: ReturnType<typeof createK2DeployApi>) {
  renderWithApi(
    <EnvironmentPanel
      service={SERVICE}
      target={TEST_TARGET}
      imageRepository={IMAGE_REPOSITORY}
      runtime={environmentRuntime()}
      can={{ release: true, scale: true, restart: true }}
      onChange={() => {}}
    />,
    api,
  );
  const user = setupUser();
  const panel = await screen.findByRole('region', { name: 'Test environment' });
  await within(panel).findByText(/Running #7/);
  const actions = within(panel).getByRole('group', { name: 'Actions in Test' });
  await user.click(within(actions).getByRole('button', { name: 'Scale' }));
  const dialog = screen.getByRole('dialog', { name: 'Scale Test' });
  return { user, form: within(dialog) };
}

describe('ScaleDialog', () => {
  it('recommends a replica count from today’s usage', async () => {
    const { form, recommend } = renderDialog();

    expect(await form.findByText(/^Recommended: 8 replicas/)).toHaveTextContent(
      'Recommended: 8 replicas — 2 pods use 1400m CPU and 900 MiB in total; at 70% of 250m CPU and 70% of 512 MiB requested per pod.',
    );
    expect(recommend).toHaveBeenCalledTimes(1);
    expect(form.getByRole('spinbutton', { name: 'Replicas' })).toHaveValue(2);
  });

  it('says why there is no recommendation when usage cannot be read', async () => {
    const { form } = renderDialog({
      recommend: jest.fn(async () => {
        throw new Error('metrics.k8s.io is not available in prod-b');
      }),
    });

    expect(
      await form.findByText(
        /No recommendation: metrics.k8s.io is not available in prod-b/,
      ),
    ).toBeInTheDocument();
    expect(form.getByRole('button', { name: 'Apply' })).toBeEnabled();
  });

  it('scales to a fixed count with api.scale', async () => {
    const api = createK2DeployApi();
    const { user, form } = await openScaleDialog(api);

    const replicas = form.getByRole('spinbutton', { name: 'Replicas' });
    await user.clear(replicas);
    await user.type(replicas, '5');
    await user.click(form.getByRole('button', { name: 'Apply' }));

    await waitFor(() => expect(api.scale).toHaveBeenCalledTimes(1));
    expect(api.scale).toHaveBeenCalledWith(SERVICE, 'test', 5);
    expect(api.setAutoscaling).not.toHaveBeenCalled();
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });

  it('hands the count to the autoscaler with the bounds the user set', async () => {
    const api = createK2DeployApi();
    const { user, form } = await openScaleDialog(api);

    await user.click(
      form.getByRole('checkbox', { name: 'Autoscale (Kubernetes HPA)' }),
    );
    expect(
      form.queryByRole('spinbutton', { name: 'Replicas' }),
    ).not.toBeInTheDocument();
    // Bounds start at today's count and twice that.
    expect(
      form.getByRole('spinbutton', { name: 'Minimum replicas' }),
    ).toHaveValue(2);
    const max = form.getByRole('spinbutton', { name: 'Maximum replicas' });
    expect(max).toHaveValue(4);
    await user.clear(max);
    await user.type(max, '10');
    const memory = form.getByRole('spinbutton', { name: 'Target memory %' });
    await user.type(memory, '80');
    await user.click(form.getByRole('button', { name: 'Apply' }));

    await waitFor(() => expect(api.setAutoscaling).toHaveBeenCalledTimes(1));
    expect(api.setAutoscaling).toHaveBeenCalledWith(SERVICE, 'test', {
      minReplicas: 2,
      maxReplicas: 10,
      cpuUtilization: 70,
      memoryUtilization: 80,
    });
    expect(api.scale).not.toHaveBeenCalled();
  });

  it('turns autoscaling off without choosing a count', async () => {
    const { form, onAutoscale, onScale } = renderDialog({
      autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 60 },
    });
    const user = setupUser();

    const toggle = form.getByRole('checkbox', {
      name: 'Autoscale (Kubernetes HPA)',
    });
    expect(toggle).toBeChecked();
    expect(
      form.getByRole('spinbutton', { name: 'Maximum replicas' }),
    ).toHaveValue(6);
    await user.click(toggle);
    expect(form.getByText(/keeps today's count/)).toBeInTheDocument();
    await user.click(form.getByRole('button', { name: 'Apply' }));

    expect(onAutoscale).toHaveBeenCalledWith(null);
    expect(onScale).not.toHaveBeenCalled();
  });
});
