import { ReactNode, useEffect, useState } from 'react';
import CircularProgress from '@material-ui/core/CircularProgress';
import TextField from '@material-ui/core/TextField';
import Autocomplete, {
  createFilterOptions,
} from '@material-ui/lab/Autocomplete';
import { Mono } from '@internal/plugin-k2-react';
import { K2DeployImageTags } from '@internal/plugin-k2-deploy-common';
import { DeployT, useDeployT } from '../translation';

/**
 * The tag part of what is typed: after the last ':' of a full reference
 * (`registry/team/app:1.4`), the whole text when it is a tag on its own.
 */
export function typedTag(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.includes('/')) return trimmed;
  const colon = trimmed.lastIndexOf(':');
  return colon > trimmed.lastIndexOf('/') ? trimmed.slice(colon + 1) : '';
}

const filterTags = createFilterOptions<string>();

/** What the helper text says about the listing, or undefined to keep the field's hint. */
function listingText(
  t: DeployT,
  listing: K2DeployImageTags,
): string | undefined {
  switch (listing.reason) {
    case 'no-repository':
      return t('imageTags.noRepository');
    case 'registry-not-configured':
      return t('imageTags.registryNotConfigured', {
        registry: listing.registry ?? '',
      });
    case 'repository-not-found':
      return t('imageTags.repositoryNotFound', {
        repository: listing.repository ?? '',
      });
    default:
  }
  if (!listing.tags.length) return undefined;
  const registry = listing.registry ?? '';
  return listing.truncated
    ? t('imageTags.truncated', {
        shown: String(listing.tags.length),
        registry,
      })
    : t('imageTags.listed', { count: listing.tags.length, registry });
}

/**
 * The image field of the release dialog: free text (any tag or full reference can be
 * typed) with the tags of the service's repository offered newest first, as
 * `listTags` lists them from the registry. While they load the field says so; when
 * they cannot be listed the helper text says why, and typing still works. Picking a
 * tag puts the tag alone in the field.
 */
export function ImageTagField(props: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  /** The field's own hint, shown until the listing has something to say. */
  helperText: ReactNode;
  required?: boolean;
  /** Lists the tags, once when the field mounts; without it the field is plain text. */
  listTags?: () => Promise<K2DeployImageTags>;
}) {
  const t = useDeployT();
  const { onChange } = props;
  // Listed once, when the field mounts: a parent's re-render passing a new function
  // does not ask the registry again.
  const [listTags] = useState(() => props.listTags);
  const [listing, setListing] = useState<{
    loading: boolean;
    value?: K2DeployImageTags;
    error?: Error;
  }>({ loading: Boolean(listTags) });
  useEffect(() => {
    if (!listTags) return undefined;
    let mounted = true;
    listTags().then(
      value => mounted && setListing({ loading: false, value }),
      error => mounted && setListing({ loading: false, error }),
    );
    return () => {
      mounted = false;
    };
  }, [listTags]);
  // Until the user types, every tag is offered, not only those matching the
  // prefilled reference.
  const [typed, setTyped] = useState(false);
  const tags = listing.value?.tags ?? [];

  let helperText: ReactNode = props.helperText;
  if (listing.loading) {
    helperText = t('imageTags.loading');
  } else if (listing.error) {
    helperText = t('imageTags.failed', { message: listing.error.message });
  } else if (listing.value) {
    const said = listingText(t, listing.value);
    if (said) helperText = said;
  }

  return (
    <Autocomplete
      id={props.id}
      freeSolo
      options={tags}
      loading={listing.loading}
      inputValue={props.value}
      onInputChange={(_event, value, reason) => {
        // 'reset' is the Autocomplete matching the text to its selected option (none
        // on mount): the text is ours, a picked option arrives through onChange.
        if (reason === 'reset') return;
        if (reason === 'input') setTyped(true);
        onChange(value);
      }}
      onChange={(_event, value) => {
        if (typeof value === 'string') onChange(value);
      }}
      filterOptions={(options, state) =>
        typed
          ? filterTags(options, {
              ...state,
              inputValue: typedTag(state.inputValue),
            })
          : options
      }
      renderOption={option => <Mono>{option}</Mono>}
      renderInput={params => (
        <TextField
          {...params}
          label={props.label}
          required={props.required}
          fullWidth
          helperText={helperText}
          InputProps={{
            ...params.InputProps,
            endAdornment: (
              <>
                {listing.loading ? (
                  <CircularProgress color="inherit" size={18} />
                ) : null}
                {params.InputProps.endAdornment}
              </>
            ),
          }}
        />
      )}
    />
  );
}
