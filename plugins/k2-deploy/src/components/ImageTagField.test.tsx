import { useState } from 'react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { act, screen, waitFor, within } from '@testing-library/react';
import { K2DeployImageTags } from '@internal/plugin-k2-deploy-common';
import { setupUser } from '../__testUtils__/render';
import { ImageTagField, typedTag } from './ImageTagField';

jest.setTimeout(20_000);

const REPOSITORY = 'registry.northwind.internal/payments/gateway';

const listed = (
  tags: string[],
  more: Partial<K2DeployImageTags> = {},
): K2DeployImageTags => ({
  repository: REPOSITORY,
  registry: 'registry.northwind.internal',
  tags,
  source: 'registry',
  truncated: false,
  listedAt: '2026-11-26T10:00:00.000Z',
  ...more,
});

/** A registry that answers when the test says so. */
function registry() {
  let answer: (listing: K2DeployImageTags) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const listTags = jest.fn(
    () =>
      new Promise<K2DeployImageTags>((resolve, reject) => {
        answer = resolve;
        fail = reject;
      }),
  );
  return {
    listTags,
    answer: (listing: K2DeployImageTags) => act(async () => answer(listing)),
    fail: (error: Error) => act(async () => fail(error)),
  };
}

/** The field in a form that keeps its value, as the release dialog does. */
function Form(props: {
  initial: string;
  listTags?: () => Promise<K2DeployImageTags>;
}) {
  const [value, setValue] = useState(props.initial);
  return (
    <ImageTagField
      id="image"
      label="Image"
      value={value}
      onChange={setValue}
      helperText={`A tag of ${REPOSITORY}, or a full image reference`}
      listTags={props.listTags}
    />
  );
}

async function renderForm(props: Parameters<typeof Form>[0]) {
  await renderInTestApp(<Form {...props} />);
  return screen.getByRole('textbox', { name: 'Image' });
}

describe('ImageTagField', () => {
  it('offers every listed tag, newest first, and puts the picked one in the field', async () => {
    const user = setupUser();
    const { listTags, answer } = registry();
    const input = await renderForm({
      initial: `${REPOSITORY}:1.4.2`,
      listTags,
    });
    await answer(listed(['1.5.0', '1.4.2', '1.4.1', 'latest']));
    expect(
      await screen.findByText(
        '4 tags listed from registry.northwind.internal, newest first',
      ),
    ).toBeInTheDocument();
    await user.click(input);
    const options = within(await screen.findByRole('listbox')).getAllByRole(
      'option',
    );
    // Not filtered by the prefilled reference: all of them, in the registry's order.
    expect(options.map(o => o.textContent)).toEqual([
      '1.5.0',
      '1.4.2',
      '1.4.1',
      'latest',
    ]);
    await user.click(options[0]);
    expect(input).toHaveValue('1.5.0');
    expect(listTags).toHaveBeenCalledTimes(1);
  });

  it('filters by the tag typed, also after a full reference, and keeps any typed tag', async () => {
    const user = setupUser();
    const { listTags, answer } = registry();
    const input = await renderForm({ initial: '', listTags });
    await answer(listed(['1.10.0', '1.5.0', '1.4.2']));
    await screen.findByText(/3 tags listed/);
    await user.click(input);
    await user.paste(`${REPOSITORY}:1.4`);
    expect(
      within(await screen.findByRole('listbox'))
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['1.4.2']);
    await user.clear(input);
    await user.paste('9.9.9-hotfix');
    await waitFor(() =>
      expect(screen.queryByRole('listbox')).not.toBeInTheDocument(),
    );
    await user.tab();
    expect(input).toHaveValue('9.9.9-hotfix');
  });

  it('says it is listing while the registry answers', async () => {
    const { listTags, answer } = registry();
    await renderForm({ initial: '', listTags });
    expect(
      screen.getByText('Listing tags from the registry…'),
    ).toBeInTheDocument();
    expect(screen.getByRole('progressbar')).toBeInTheDocument();
    await answer(listed(['2.0.0']));
    expect(await screen.findByText(/1 tag listed/)).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });

  it('says why no tags are offered, and typing still works', async () => {
    const user = setupUser();
    const { listTags, answer } = registry();
    const input = await renderForm({ initial: '', listTags });
    await answer(
      listed([], {
        repository: 'registry.elsewhere.example/shop/app',
        registry: 'registry.elsewhere.example',
        source: 'none',
        reason: 'registry-not-configured',
        listedAt: undefined,
      }),
    );
    expect(
      await screen.findByText(
        'K2 does not list tags from registry.elsewhere.example: type a tag.',
      ),
    ).toBeInTheDocument();
    await user.type(input, '3.1.0');
    expect(input).toHaveValue('3.1.0');
  });

  it('shows why the registry could not be read', async () => {
    const user = setupUser();
    const { listTags, fail } = registry();
    const input = await renderForm({ initial: '', listTags });
    await fail(
      new Error(
        'Registry registry.northwind.internal cannot be reached (ECONNREFUSED) when K2 listed the tags of payments/gateway',
      ),
    );
    expect(
      await screen.findByText(
        'Tags cannot be listed: Registry registry.northwind.internal cannot be reached (ECONNREFUSED) when K2 listed the tags of payments/gateway Type a tag.',
      ),
    ).toBeInTheDocument();
    await user.type(input, '1.4.3');
    await waitFor(() => expect(input).toHaveValue('1.4.3'));
  });

  it('is a plain field without a way to list tags', async () => {
    const input = await renderForm({
      initial: 'registry.example.com/team/app:1.0.0',
    });
    expect(input).toHaveValue('registry.example.com/team/app:1.0.0');
    expect(
      screen.getByText(`A tag of ${REPOSITORY}, or a full image reference`),
    ).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });
});

describe('typedTag', () => {
  it('reads the tag of a full reference, or the text as a tag', () => {
    expect(typedTag(`${REPOSITORY}:1.4`)).toBe('1.4');
    expect(typedTag('registry.example.com:5000/team/app')).toBe('');
    expect(typedTag(' 1.4.2 ')).toBe('1.4.2');
  });
});
