import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  K2ConfigFile,
  K2ConfigVersion,
  K2ConfigVersionPair,
} from '@internal/plugin-k2-config-common';
import {
  ActionButton,
  DetailDrawer,
  ErrorText,
  LineDiff,
  Mono,
  RelativeTime,
  textLines,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2ConfigApiRef } from '../api/K2ConfigApi';
import { useConfigT } from '../translation';
import { Mounts } from './Mounts';
import { RestoreDialog } from './RestoreDialog';
import { ConfigScope, who } from './types';

const useStyles = makeStyles(theme => ({
  head: { '& th': { whiteSpace: 'nowrap' } },
  number: { textAlign: 'right', whiteSpace: 'nowrap' },
  collected: { '& td': { color: theme.palette.text.disabled } },
}));

/** How many versions the card lists. */
const VERSIONS_SHOWN = 100;

/**
 * The file's versions, newest first: number, author, message, time, hash and object,
 * the releases of the environment that mount each; a version whose object retention
 * deleted from the clusters is greyed and says so. Tick two to compare them
 * (`LineDiff`, in a drawer); restore any older one after a confirmation that shows
 * its difference from the latest (a new version with its content).
 */
export function VersionsCard(props: {
  scope: ConfigScope;
  file: K2ConfigFile;
  onRestored(from: number, number: number): void;
}) {
  const { service, environment, rights } = props.scope;
  const { file } = props;
  const t = useConfigT();
  const classes = useStyles();
  const api = useApi(k2ConfigApiRef);
  const [selected, setSelected] = useState<number[]>([]);
  const [pair, setPair] = useState<K2ConfigVersionPair>();
  const [compareError, setCompareError] = useState<Error>();
  const [restoring, setRestoring] = useState<K2ConfigVersion>();
  const versions = useAsyncRetry(
    () =>
      api.getVersions(service, environment.name, file.name, {
        limit: VERSIONS_SHOWN,
      }),
    [api, service, environment.name, file.name],
  );
  const hidden = file.sensitive && !rights.readSensitive;
  const toggle = (number: number) =>
    setSelected(s =>
      s.includes(number)
        ? s.filter(n => n !== number)
        : [...s, number].slice(-2),
    );
  const compare = async () => {
    const [from, to] = [...selected].sort((a, b) => a - b);
    setCompareError(undefined);
    try {
      setPair(
        await api.compareVersions(
          service,
          environment.name,
          file.name,
          from,
          to,
        ),
      );
    } catch (error) {
      setCompareError(error as Error);
    }
  };
  let compareRefusal: string | undefined;
  if (hidden) compareRefusal = t('editor.hidden');
  else if (selected.length !== 2) {
    compareRefusal = t('versions.compareHint', {
      selected: String(selected.length),
    });
  }
  const title = t('versions.title', { file: file.name });
  return (
    <InfoCard title={t('versions.heading')}>
      <Box mb={2} display="flex" alignItems="center" style={{ gap: 16 }}>
        <ActionButton
          variant="outlined"
          disabledReason={compareRefusal}
          onClick={compare}
        >
          {t('versions.compare')}
        </ActionButton>
        {compareRefusal && (
          <Typography variant="body2" color="textSecondary">
            {compareRefusal}
          </Typography>
        )}
      </Box>
      {compareError && <ErrorText error={compareError} />}
      <ViewState
        value={versions.value}
        error={versions.error}
        isEmpty={v => v.items.length === 0}
        emptyTitle={t('versions.empty')}
        inline
      >
        {list => (
          <Box overflow="auto">
            <Table size="small" aria-label={title}>
              <TableHead className={classes.head}>
                <TableRow>
                  <TableCell padding="checkbox" />
                  <TableCell className={classes.number}>
                    {t('versions.number')}
                  </TableCell>
                  <TableCell>{t('versions.author')}</TableCell>
                  <TableCell>{t('versions.saved')}</TableCell>
                  <TableCell>{t('versions.message')}</TableCell>
                  <TableCell>{t('versions.hash')}</TableCell>
                  <TableCell>{t('versions.mountedBy')}</TableCell>
                  <TableCell>{t('versions.actions')}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {list.items.map(version => {
                  const number = String(version.number);
                  const latest = version.number === file.latest.number;
                  let restoreRefusal = rights.writeRefusal;
                  if (latest) restoreRefusal = t('versions.isLatest');
                  else if (hidden) restoreRefusal = t('editor.hidden');
                  return (
                    <TableRow
                      key={version.number}
                      selected={selected.includes(version.number)}
                      className={
                        version.collected ? classes.collected : undefined
                      }
                    >
                      <TableCell padding="checkbox">
                        <Checkbox
                          checked={selected.includes(version.number)}
                          onChange={() => toggle(version.number)}
                          inputProps={{
                            'aria-label': t('versions.select', { number }),
                          }}
                        />
                      </TableCell>
                      <TableCell className={classes.number}>
                        #{number}
                        {latest && ` · ${t('versions.latest')}`}
                      </TableCell>
                      <TableCell>
                        <Mono>{who(version.author)}</Mono>
                      </TableCell>
                      <TableCell>
                        <RelativeTime value={version.createdAt} />
                      </TableCell>
                      <TableCell>
                        {version.message}
                        {version.restoredFrom !== undefined && (
                          <Typography variant="caption" display="block">
                            {t('versions.restoredFrom', {
                              number: String(version.restoredFrom),
                            })}
                          </Typography>
                        )}
                        {version.collected && (
                          <Typography variant="caption" display="block">
                            {t('versions.collected')}
                          </Typography>
                        )}
                      </TableCell>
                      <TableCell>
                        <Mono title={version.object}>{version.hash}</Mono>
                      </TableCell>
                      <TableCell>
                        <Mounts
                          releases={version.releases}
                          environment={environment.title}
                        />
                      </TableCell>
                      <TableCell>
                        <ActionButton
                          size="small"
                          disabledReason={restoreRefusal}
                          onClick={() => setRestoring(version)}
                        >
                          {t('versions.restore', { number })}
                        </ActionButton>
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </Box>
        )}
      </ViewState>
      <DetailDrawer
        open={pair !== undefined}
        title={
          pair
            ? t('versions.compareTitle', {
                file: file.name,
                from: String(pair.from.version.number),
                to: String(pair.to.version.number),
              })
            : ''
        }
        closeLabel={t('versions.close')}
        onClose={() => setPair(undefined)}
      >
        {pair && (
          <LineDiff
            older={textLines(pair.from.content)}
            newer={textLines(pair.to.content)}
            olderLabel={`#${pair.from.version.number}`}
            newerLabel={`#${pair.to.version.number}`}
            label={t('versions.diffLabel')}
          />
        )}
      </DetailDrawer>
      {restoring && (
        <RestoreDialog
          scope={props.scope}
          file={file}
          version={restoring}
          onClose={() => setRestoring(undefined)}
          onRestored={number => {
            setRestoring(undefined);
            props.onRestored(restoring.number, number);
          }}
        />
      )}
    </InfoCard>
  );
}
