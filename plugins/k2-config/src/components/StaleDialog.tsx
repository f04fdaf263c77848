import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { useApi } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import {
  K2ConfigFile,
  K2ConfigService,
} from '@internal/plugin-k2-config-common';
import { Progress } from '@backstage/core-components';
import {
  ActionDialog,
  ErrorText,
  LineDiff,
  textLines,
} from '@internal/plugin-k2-react';
import { k2ConfigApiRef } from '../api/K2ConfigApi';
import { useConfigT } from '../translation';
import { who } from './types';

/**
 * A save refused because someone else saved the file since the editor opened it:
 * says who saved which version, shows on request what differs between that version
 * and the text in the editor, and reloads the editor with it (the edits are dropped,
 * so the user can copy them first: Cancel keeps the editor as it is).
 */
export function StaleDialog(props: {
  service: K2ConfigService;
  environment: string;
  /** The file as it is now, its latest version someone else's. */
  file: K2ConfigFile;
  /** The version the editor started from. */
  base: number;
  /** The text in the editor. */
  mine: string;
  onClose(): void;
  onReload(): void;
}) {
  const { file } = props;
  const t = useConfigT();
  const api = useApi(k2ConfigApiRef);
  const [showDiff, setShowDiff] = useState(false);
  const number = String(file.latest.number);
  const theirs = useAsync(
    async () =>
      showDiff
        ? (
            await api.getContent(
              props.service,
              props.environment,
              file.name,
              file.latest.number,
            )
          ).content
        : undefined,
    [api, showDiff],
  );
  let preview;
  if (showDiff) {
    if (theirs.error) preview = <ErrorText error={theirs.error} />;
    else if (theirs.value === undefined) preview = <Progress />;
    else {
      preview = (
        <LineDiff
          older={textLines(theirs.value)}
          newer={textLines(props.mine)}
          olderLabel={t('stale.theirs', { number })}
          newerLabel={t('stale.mine')}
          label={t('stale.diffLabel', { number })}
        />
      );
    }
  }
  return (
    <ActionDialog
      title={t('stale.title', { number })}
      confirm={t('stale.reload', { number })}
      maxWidth="lg"
      preview={preview}
      onClose={props.onClose}
      onConfirm={async () => props.onReload()}
    >
      <Typography variant="body2" paragraph>
        {t('stale.explain', {
          author: who(file.latest.author),
          number,
          base: String(props.base),
        })}
      </Typography>
      {!showDiff && (
        <Button variant="outlined" onClick={() => setShowDiff(true)}>
          {t('stale.viewDiff')}
        </Button>
      )}
    </ActionDialog>
  );
}
