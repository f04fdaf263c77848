import { screen, waitFor, within } from '@testing-library/react';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import {
  createK2BuildsApi,
  FakeBuildsBackend,
  refuse,
} from '../__testUtils__/mockK2BuildsApi';
import { renderBuildsTab } from '../__testUtils__/render';
import { MAX_LOG_LINES } from './BuildLog';
import { pageVisibility } from '../__testUtils__/visibility';

jest.setTimeout(30_000);

// A drawer or a dialog open over the list hides it from the accessibility tree (as a
// modal does for a screen reader), so rows are looked up behind it too.
const history = () =>
  screen.findByRole('table', { name: 'History', hidden: true });
const rowOf = async (number: number) =>
  within(await history()).findByRole('row', {
    name: new RegExp(`^#${number} `),
    hidden: true,
  });
const drawerOf = (number: number) =>
  screen.findByRole('dialog', { name: `Build #${number}` });

describe('BuildsTab', () => {
  it('shows what a build uses and the history with status, commit, image digest and the release that followed', async () => {
    renderBuildsTab(createK2BuildsApi());
    const settings = await screen.findByRole('table', { name: 'Builds' });
    expect(
      within(settings).getByRole('row', { name: /^Source/ }),
    ).toHaveTextContent(
      'http://127.0.0.1:7108/payments/payment-gateway · main',
    );
    expect(
      within(settings).getByRole('row', { name: /^Image/ }),
    ).toHaveTextContent('registry.northwind.example/payments/payment-gateway');
    expect(
      within(settings).getByRole('row', { name: /^Dockerfile/ }),
    ).toHaveTextContent('Generated from the node template');
    expect(
      within(settings).getByRole('row', { name: /^After a build/ }),
    ).toHaveTextContent('Releases to Test');

    const succeeded = await rowOf(2);
    expect(succeeded).toHaveTextContent('Succeeded');
    expect(succeeded).toHaveTextContent('main · a1b2c3d4e5f6');
    expect(succeeded).toHaveTextContent('Add the refunds endpoint');
    expect(succeeded).toHaveTextContent('Portal · alice');
    expect(succeeded).toHaveTextContent('a1b2c3d4e5f6 sha256:4f2b8c1d9e7a');
    expect(succeeded).toHaveTextContent('2 min 0 s');
    expect(
      within(succeeded).getByRole('button', {
        name: /^Copy digest sha256:4f2b/,
      }),
    ).toBeInTheDocument();
    expect(
      within(succeeded).getByRole('link', { name: 'Release #7 to Test' }),
    ).toHaveAttribute(
      'href',
      expect.stringContaining('/deploy/history?environment=test'),
    );

    const running = await rowOf(3);
    expect(running).toHaveTextContent('Running');
    // The pusher once, beside Push; the backend's own words on hover.
    expect(within(running).getByTitle('push by alice')).toHaveTextContent(
      /^Push · alice$/,
    );
    expect(running).toHaveTextContent('To Test if it succeeds');
    const failed = await rowOf(1);
    expect(failed).toHaveTextContent('Failed');
    expect(failed).toHaveTextContent('Template · alice');
    expect(screen.getByText(/3 builds/)).toBeInTheDocument();
  });

  it('disables Build with the reason for someone who is not an owner, and hides logs from them', async () => {
    const user = setupUser();
    const api = createK2BuildsApi();
    renderBuildsTab(api, { allow: false });
    const build = await screen.findByRole('button', { name: 'Build' });
    expect(build).toBeDisabled();
    await user.hover(build.parentElement!);
    expect(
      await screen.findByText(
        'Only the service’s owners (and platform admins) may start or cancel its builds',
      ),
    ).toBeInTheDocument();
    await user.click(await rowOf(2));
    const drawer = await drawerOf(2);
    expect(
      await within(drawer).findByText(
        'Only the service’s owners (and platform admins) may read its build logs and Dockerfiles',
      ),
    ).toBeInTheDocument();
    expect(api.readLog).not.toHaveBeenCalled();
    expect(api.getBuildDockerfile).not.toHaveBeenCalled();
  });

  it('shows the settings’ problems as a callout and keeps Build disabled with them; an unavailable runner says why', async () => {
    const user = setupUser();
    const backend = new FakeBuildsBackend();
    backend.settings.problems = [
      'The annotation backstage.io/source-location is missing',
      'The registry registry.northwind.example is not in k2.registries',
    ];
    backend.settings.available = false;
    backend.settings.unavailableReason = 'buildah is not installed';
    renderBuildsTab(createK2BuildsApi(backend));
    expect(
      await screen.findByText(/This service cannot build yet/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'The annotation backstage.io/source-location is missing',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/The build runner is unavailable$/),
    ).toBeInTheDocument();
    expect(screen.getByText('buildah is not installed')).toBeInTheDocument();
    const build = screen.getByRole('button', { name: 'Build' });
    expect(build).toBeDisabled();
    await user.hover(build.parentElement!);
    expect(
      await screen.findByText('Fix the problems above to build'),
    ).toBeInTheDocument();
  });

  it('validates the ref and tag before sending, shows the server’s refusal in the dialog, and opens the build started', async () => {
    const user = setupUser();
    const api = createK2BuildsApi();
    renderBuildsTab(api);
    await history();
    await user.click(await screen.findByRole('button', { name: 'Build' }));
    const dialog = await screen.findByRole('dialog', {
      name: /^Build payment-gateway-\d+\?$/,
    });
    const ref = within(dialog).getByLabelText('Branch or tag');
    expect(ref).toHaveValue('main');
    expect(dialog).toHaveTextContent(
      'The service builds main unless you name another',
    );
    const confirm = within(dialog).getByRole('button', { name: 'Build' });

    await user.clear(ref);
    expect(dialog).toHaveTextContent('Name a branch or tag');
    expect(confirm).toBeDisabled();
    await user.type(ref, 'feature..refunds');
    expect(dialog).toHaveTextContent('Not a branch or tag name');
    expect(confirm).toBeDisabled();
    await user.clear(ref);
    await user.type(ref, 'gone');
    const tag = within(dialog).getByLabelText('Image tag');
    await user.type(tag, '-rc1');
    expect(dialog).toHaveTextContent('An image tag is letters, digits');
    expect(confirm).toBeDisabled();
    await user.clear(tag);
    await user.type(tag, '2.4.0-rc1');
    expect(confirm).toBeEnabled();
    expect(api.startBuild).not.toHaveBeenCalled();

    await user.click(confirm);
    expect(
      await within(dialog).findByText(
        "Branch or tag 'gone' is not in http://127.0.0.1:7108/payments/payment-gateway",
      ),
    ).toBeInTheDocument();
    // Nothing typed is lost.
    expect(ref).toHaveValue('gone');
    expect(tag).toHaveValue('2.4.0-rc1');

    await user.clear(ref);
    await user.type(ref, 'release/2.4');
    // Release to: the service's default is chosen; no release is one choice away.
    await user.click(within(dialog).getByLabelText('Release to'));
    await user.click(await screen.findByRole('option', { name: 'No release' }));
    await user.click(confirm);
    await waitFor(() =>
      expect(api.startBuild).toHaveBeenLastCalledWith(
        expect.objectContaining({ namespace: 'default' }),
        { ref: 'release/2.4', tag: '2.4.0-rc1', releaseTo: null },
      ),
    );
    const started = await rowOf(4);
    expect(started).toHaveTextContent('Queued');
    expect(started).toHaveTextContent('release/2.4');
    expect(await drawerOf(4)).toHaveTextContent(
      'Waiting for the build to start…',
    );
  });

  it('sends the service’s default release target unless another is chosen', async () => {
    const user = setupUser();
    const api = createK2BuildsApi();
    renderBuildsTab(api);
    await user.click(await screen.findByRole('button', { name: 'Build' }));
    const dialog = await screen.findByRole('dialog', { name: /^Build / });
    expect(within(dialog).getByLabelText('Release to')).toHaveTextContent(
      'Test (the service’s default)',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Build' }));
    await waitFor(() =>
      expect(api.startBuild).toHaveBeenCalledWith(expect.anything(), {
        ref: 'main',
        releaseTo: 'test',
      }),
    );
  });

  it('leaves the ref out when the service has no default ref, so the backend builds the repository’s default branch', async () => {
    const user = setupUser();
    const backend = new FakeBuildsBackend();
    delete backend.settings.defaultRef;
    const api = createK2BuildsApi(backend);
    renderBuildsTab(api);
    await user.click(await screen.findByRole('button', { name: 'Build' }));
    const dialog = await screen.findByRole('dialog', { name: /^Build / });
    expect(within(dialog).getByLabelText('Branch or tag')).toHaveValue('');
    expect(dialog).toHaveTextContent('Empty: the repository’s default branch');
    await user.click(within(dialog).getByRole('button', { name: 'Build' }));
    await waitFor(() =>
      expect(api.startBuild).toHaveBeenCalledWith(expect.anything(), {
        releaseTo: 'test',
      }),
    );
  });

  it('follows a running build’s log as it is written, resumes from the last byte after a dropped connection, and ends with the build', async () => {
    const backend = new FakeBuildsBackend();
    const api = createK2BuildsApi(backend);
    renderBuildsTab(api, { path: '/builds?build=3' });
    const drawer = await drawerOf(3);
    const log = await within(drawer).findByLabelText('Log of build #3');
    await waitFor(() =>
      expect(log).toHaveTextContent(
        'STEP 1/4: FROM registry.northwind.example/k2-base/node-build:18',
      ),
    );
    await waitFor(() => expect(backend.followers(3)).toBe(1));
    backend.append(3, 'STEP 2/4: WORKDIR /app\nSTEP 3/4: COPY . .\n');
    await waitFor(() => expect(log).toHaveTextContent('STEP 3/4: COPY . .'));
    expect(within(drawer).getByRole('status')).toHaveTextContent(
      'Following: 3 lines',
    );

    const received = new TextEncoder().encode(backend.log(3)).length;
    backend.dropConnections(3);
    expect(
      await within(drawer).findByText(
        'The connection dropped; reconnecting from where it stopped…',
      ),
    ).toBeInTheDocument();
    backend.append(3, 'STEP 4/4: RUN npm ci — 12 packages\n');
    await waitFor(() => expect(log).toHaveTextContent('STEP 4/4: RUN npm ci'));
    expect(api.readLog).toHaveBeenLastCalledWith(
      expect.anything(),
      3,
      { follow: true, offset: received },
      expect.any(Function),
      expect.any(AbortSignal),
    );
    // Every line once, in order.
    expect(log.textContent!.split('\n')).toEqual([
      'STEP 1/4: FROM registry.northwind.example/k2-base/node-build:18',
      'STEP 2/4: WORKDIR /app',
      'STEP 3/4: COPY . .',
      'STEP 4/4: RUN npm ci — 12 packages',
    ]);

    backend.finish(3, 'succeeded', {
      imageDigest:
        'sha256:99aa88bb77cc66dd55ee44ff33aa22bb11cc00dd99ee88ff77aa66bb55cc44dd',
    });
    await waitFor(() =>
      expect(within(drawer).getByRole('status')).toHaveTextContent(/^4 lines$/),
    );
    await waitFor(() =>
      expect(
        within(drawer).getByRole('row', { name: /^Digest/ }),
      ).toHaveTextContent('sha256:99aa88bb77cc'),
    );
    expect(backend.followers(3)).toBe(0);
  });

  it('asks before cancelling a running build, then shows it cancelled', async () => {
    const user = setupUser();
    const backend = new FakeBuildsBackend();
    const api = createK2BuildsApi(backend);
    renderBuildsTab(api, { path: '/builds?build=3' });
    const drawer = await drawerOf(3);
    await user.click(
      await within(drawer).findByRole('button', { name: 'Cancel build' }),
    );
    const confirm = await screen.findByRole('dialog', {
      name: 'Cancel build #3?',
    });
    expect(confirm).toHaveTextContent(
      'no image is pushed and nothing is released',
    );
    expect(api.cancelBuild).not.toHaveBeenCalled();
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(api.cancelBuild).not.toHaveBeenCalled();

    await user.click(
      within(drawer).getByRole('button', { name: 'Cancel build' }),
    );
    await user.click(
      within(
        await screen.findByRole('dialog', { name: 'Cancel build #3?' }),
      ).getByRole('button', { name: 'Cancel build' }),
    );
    await waitFor(() =>
      expect(api.cancelBuild).toHaveBeenCalledWith(expect.anything(), 3),
    );
    await waitFor(() =>
      expect(
        within(drawer).getByRole('row', { name: /^Reason/ }),
      ).toHaveTextContent('Cancelled by alice'),
    );
    expect(
      within(drawer).queryByRole('button', { name: 'Cancel build' }),
    ).not.toBeInTheDocument();
    await waitFor(async () =>
      expect(await rowOf(3)).toHaveTextContent('Cancelled'),
    );
  });

  it('shows the Dockerfile a build used with the lint’s problems on their lines', async () => {
    const user = setupUser();
    renderBuildsTab(createK2BuildsApi(), { path: '/builds?build=2' });
    const drawer = await drawerOf(2);
    await user.click(within(drawer).getByRole('tab', { name: 'Dockerfile' }));
    const file = await within(drawer).findByRole('region', {
      name: 'Dockerfile of build #2',
    });
    expect(drawer).toHaveTextContent(
      'Generated from the node template · The lint found 1 problem',
    );
    const lines = file.textContent!;
    // The problem sits right under line 1, before line 2.
    expect(
      lines.indexOf('Warning · Line 1, column 6: Pin the base image'),
    ).toBeGreaterThan(lines.indexOf('node-build:latest AS build'));
    expect(lines.indexOf('Warning · Line 1, column 6')).toBeLessThan(
      lines.indexOf('WORKDIR /app'),
    );
    expect(file).toHaveTextContent('(pinned-base-image)');
  });

  it('asks a running build for its Dockerfile again until it has one', async () => {
    const user = setupUser();
    const visibility = pageVisibility();
    try {
      const api = createK2BuildsApi();
      api.getBuildDockerfile.mockImplementationOnce(async () =>
        refuse(404, 'NotFoundError', 'Build 3 has not read its Dockerfile yet'),
      );
      renderBuildsTab(api, { path: '/builds?build=3' });
      const drawer = await drawerOf(3);
      await user.click(within(drawer).getByRole('tab', { name: 'Dockerfile' }));
      expect(
        await within(drawer).findByText(
          'The build has not read or rendered its Dockerfile yet.',
        ),
      ).toBeInTheDocument();
      // The status has not changed; the next read (here: the page shown again after
      // being hidden, which reads at once instead of on the interval) finds it.
      visibility.set('hidden');
      visibility.set('visible');
      expect(
        await within(drawer).findByRole('region', {
          name: 'Dockerfile of build #3',
        }),
      ).toHaveTextContent('node-build:latest AS build');
    } finally {
      visibility.restore();
    }
  });

  it('pages through older builds with the backend’s nextBefore', async () => {
    const user = setupUser();
    const backend = new FakeBuildsBackend();
    const [template] = backend.builds.slice(-1);
    backend.builds = Array.from({ length: 25 }, (_, i) => ({
      ...template,
      id: `b${25 - i}`,
      number: 25 - i,
    }));
    const api = createK2BuildsApi(backend);
    renderBuildsTab(api);
    await rowOf(25);
    expect(screen.getByRole('button', { name: 'Newer' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Older' }));
    await rowOf(5);
    expect(api.getBuilds).toHaveBeenLastCalledWith(expect.anything(), {
      limit: 20,
      before: 6,
    });
    expect(screen.queryByRole('row', { name: /^#6 / })).not.toBeInTheDocument();
    expect(screen.getByText(/Page 2/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Older' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Newer' }));
    await rowOf(25);
  });

  it('says what to do when there are no builds, and shows the error when the builds cannot be read', async () => {
    const backend = new FakeBuildsBackend();
    backend.builds = [];
    const { unmount } = renderBuildsTab(createK2BuildsApi(backend));
    expect(await screen.findByText(/No builds yet\./)).toHaveTextContent(
      'Start one with Build',
    );
    unmount();

    const api = createK2BuildsApi();
    api.getBuilds.mockRejectedValue(new Error('The Builds API is down'));
    renderBuildsTab(api);
    expect(
      (await screen.findAllByText(/The Builds API is down/)).length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByRole('table', { name: 'History' }),
    ).not.toBeInTheDocument();
  });
  it('reads the history and the open build at once when the browser shows the page again while a build runs', async () => {
    const visibility = pageVisibility();
    try {
      const backend = new FakeBuildsBackend();
      const api = createK2BuildsApi(backend);
      renderBuildsTab(api, { path: '/builds?build=3' });
      await drawerOf(3);
      await waitFor(() => expect(backend.followers(3)).toBe(1));
      visibility.set('hidden');
      const lists = api.getBuilds.mock.calls.length;
      const builds = api.getBuild.mock.calls.length;
      // Shown again: both are read at once, without waiting for the interval.
      visibility.set('visible');
      expect(api.getBuilds).toHaveBeenCalledTimes(lists + 1);
      expect(api.getBuild).toHaveBeenCalledTimes(builds + 1);
      await waitFor(() =>
        expect(
          within(screen.getByRole('dialog')).getByRole('status'),
        ).toHaveTextContent(/^Following: 1 line$/),
      );
    } finally {
      visibility.restore();
    }
  });

  it('keeps the newest lines of a long log and says how many earlier ones are not shown', async () => {
    const backend = new FakeBuildsBackend();
    const api = createK2BuildsApi(backend);
    renderBuildsTab(api, { path: '/builds?build=3' });
    const drawer = await drawerOf(3);
    const log = await within(drawer).findByLabelText('Log of build #3');
    await waitFor(() => expect(backend.followers(3)).toBe(1));
    // Line 1 is there already; three appends bring the log 5 lines past the limit.
    const lines = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `line ${from + i}\n`).join('');
    backend.append(3, lines(2, MAX_LOG_LINES - 1));
    await waitFor(() =>
      expect(within(drawer).getByRole('status')).toHaveTextContent(
        `Following: ${MAX_LOG_LINES} lines`,
      ),
    );
    expect(
      within(drawer).queryByText(/lines? (is|are) not shown/),
    ).not.toBeInTheDocument();
    backend.append(3, lines(MAX_LOG_LINES + 1, 2));
    await waitFor(() =>
      expect(log).toHaveTextContent(`line ${MAX_LOG_LINES + 2}`),
    );
    backend.append(3, lines(MAX_LOG_LINES + 3, 3));
    await waitFor(() =>
      expect(log).toHaveTextContent(`line ${MAX_LOG_LINES + 5}`),
    );
    expect(
      within(drawer).getByText('The first 5 lines are not shown.'),
    ).toBeInTheDocument();
    const shown = log.textContent!.split('\n');
    expect(shown).toHaveLength(MAX_LOG_LINES);
    expect(shown[0]).toBe('line 6');
    expect(shown[shown.length - 1]).toBe(`line ${MAX_LOG_LINES + 5}`);
    expect(within(drawer).getByRole('status')).toHaveTextContent(
      `Following: ${MAX_LOG_LINES + 5} lines`,
    );
  });
});
