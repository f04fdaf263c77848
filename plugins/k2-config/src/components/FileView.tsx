import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import ArrowBackIcon from '@material-ui/icons/ArrowBack';
import { ActionButton, Mono, ViewState } from '@internal/plugin-k2-react';
import { k2ConfigApiRef } from '../api/K2ConfigApi';
import { useConfigT } from '../translation';
import { DeleteFileDialog } from './DeleteFileDialog';
import { EditorCard } from './EditorCard';
import { VersionsCard } from './VersionsCard';
import { ConfigScope } from './types';

/**
 * One config file: what it is (format, sensitive, default mount path), its latest
 * version in the editor, and its versions (compare, restore). Owners delete it here
 * after typing its name; the server refuses while a release mounts it, naming it.
 */
export function FileView(props: {
  scope: ConfigScope;
  file: string;
  onBack(): void;
}) {
  const { service, environment, rights } = props.scope;
  const t = useConfigT();
  const api = useApi(k2ConfigApiRef);
  const [versionsKey, setVersionsKey] = useState(0);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<string>();
  const file = useAsyncRetry(
    () => api.getFile(service, environment.name, props.file),
    [api, service, environment.name, props.file],
  );
  const changed = (notes?: string) => {
    setNotice(notes);
    file.retry();
    setVersionsKey(k => k + 1);
  };
  return (
    <>
      <Box mb={2}>
        <Button startIcon={<ArrowBackIcon />} onClick={props.onBack}>
          {t('file.back', { environment: environment.title })}
        </Button>
      </Box>
      <ViewState
        value={file.value}
        error={file.error}
        isEmpty={() => false}
        emptyTitle=""
      >
        {current => (
          <>
            <InfoCard
              title={current.name}
              subheader={t('file.subheader', {
                environment: environment.title,
                format: t(`formats.${current.format}`),
                count: current.versionCount,
              })}
              action={
                <ActionButton
                  variant="outlined"
                  destructive
                  disabledReason={rights.writeRefusal}
                  onClick={() => setDeleting(true)}
                >
                  {t('file.delete')}
                </ActionButton>
              }
            >
              <Box display="flex" alignItems="center" style={{ gap: 16 }}>
                {current.sensitive && (
                  <Chip size="small" label={t('files.sensitive')} />
                )}
                <Typography variant="body2">
                  {t('file.mountPath')} <Mono>{current.mountPath}</Mono>
                </Typography>
              </Box>
              {current.description && (
                <Typography variant="body2" color="textSecondary">
                  {current.description}
                </Typography>
              )}
              {notice && (
                <Typography role="status" variant="body2">
                  {notice}
                </Typography>
              )}
              <Box mt={2}>
                <EditorCard
                  scope={props.scope}
                  file={current}
                  onSaved={number =>
                    changed(
                      number === undefined
                        ? undefined
                        : t('file.saved', { number: String(number) }),
                    )
                  }
                />
              </Box>
            </InfoCard>
            <Box mt={3}>
              <VersionsCard
                key={versionsKey}
                scope={props.scope}
                file={current}
                onRestored={(from, number) =>
                  changed(
                    t('file.restored', {
                      from: String(from),
                      number: String(number),
                    }),
                  )
                }
              />
            </Box>
            {deleting && (
              <DeleteFileDialog
                scope={props.scope}
                file={current.name}
                onClose={() => setDeleting(false)}
                onDeleted={props.onBack}
              />
            )}
          </>
        )}
      </ViewState>
    </>
  );
}
