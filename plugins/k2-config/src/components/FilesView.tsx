import { useEffect, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { InfoCard, Link } from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { makeStyles } from '@material-ui/core/styles';
import {
  K2ConfigSignal,
  k2ConfigSignalChannel,
} from '@internal/plugin-k2-config-common';
import {
  ActionButton,
  EnvironmentSwitcher,
  Mono,
  RelativeTime,
  ViewState,
} from '@internal/plugin-k2-react';
import { k2ConfigApiRef } from '../api/K2ConfigApi';
import { useConfigT } from '../translation';
import { CreateFileDialog } from './CreateFileDialog';
import { Mounts } from './Mounts';
import { ConfigEnvironment, ConfigScope, who } from './types';

const useStyles = makeStyles({
  head: { '& th': { whiteSpace: 'nowrap' } },
  number: { textAlign: 'right', whiteSpace: 'nowrap' },
});

/**
 * One environment's config files: name, format, sensitive, latest version (number,
 * author, time) and the releases that mount it; a name opens the file. Owners create
 * a file (its first version) from here. The list follows the service's Signals
 * channel: a change announced for this environment fetches it again.
 */
export function FilesView(props: {
  scope: ConfigScope;
  environments: ConfigEnvironment[];
  onEnvironment(name: string): void;
  onOpen(file: string): void;
}) {
  const { service, environment, rights } = props.scope;
  const t = useConfigT();
  const classes = useStyles();
  const api = useApi(k2ConfigApiRef);
  const [creating, setCreating] = useState(false);
  const files = useAsyncRetry(
    () => api.getFiles(service, environment.name),
    [api, service, environment.name],
  );
  // Someone else's create, save, restore or delete in this environment, as the
  // backend announces it: the list is fetched again (the message carries no content).
  const signals = useApiHolder().get(signalApiRef);
  const { retry } = files;
  useEffect(() => {
    if (!signals) return undefined;
    const channel = k2ConfigSignalChannel(
      stringifyEntityRef({ kind: 'component', ...service }),
    );
    const subscription = signals.subscribe<K2ConfigSignal>(channel, signal => {
      if (signal.environment === environment.name) retry();
    });
    return () => subscription.unsubscribe();
  }, [signals, service, environment.name, retry]);
  const title = t('files.title', { environment: environment.title });
  return (
    <InfoCard title={title}>
      <Box mb={2} display="flex" alignItems="center" style={{ gap: 16 }}>
        <EnvironmentSwitcher
          environments={props.environments}
          value={environment.name}
          onChange={props.onEnvironment}
        />
        <ActionButton
          variant="contained"
          disabledReason={rights.writeRefusal}
          onClick={() => setCreating(true)}
        >
          {t('files.create')}
        </ActionButton>
      </Box>
      <ViewState
        value={files.value}
        error={files.error}
        isEmpty={v => v.items.length === 0}
        emptyTitle={t('files.empty', { environment: environment.title })}
        emptyDescription={t('files.emptyHint')}
        inline
      >
        {list => (
          <Box overflow="auto">
            <Table size="small" aria-label={title}>
              <TableHead className={classes.head}>
                <TableRow>
                  <TableCell>{t('files.name')}</TableCell>
                  <TableCell>{t('files.format')}</TableCell>
                  <TableCell className={classes.number}>
                    {t('files.latest')}
                  </TableCell>
                  <TableCell>{t('files.author')}</TableCell>
                  <TableCell>{t('files.saved')}</TableCell>
                  <TableCell>{t('files.mountedBy')}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {list.items.map(file => (
                  <TableRow key={file.name}>
                    <TableCell>
                      <Link
                        to={`?environment=${encodeURIComponent(
                          environment.name,
                        )}&file=${encodeURIComponent(file.name)}`}
                        onClick={(event: React.MouseEvent) => {
                          event.preventDefault();
                          props.onOpen(file.name);
                        }}
                      >
                        <Mono>{file.name}</Mono>
                      </Link>
                      {file.sensitive && (
                        <Box component="span" ml={1}>
                          <Chip size="small" label={t('files.sensitive')} />
                        </Box>
                      )}
                    </TableCell>
                    <TableCell>{t(`formats.${file.format}`)}</TableCell>
                    <TableCell className={classes.number}>
                      #{file.latest.number}
                    </TableCell>
                    <TableCell>
                      <Mono>{who(file.latest.author)}</Mono>
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={file.latest.createdAt} />
                    </TableCell>
                    <TableCell>
                      <Mounts
                        releases={file.latest.releases}
                        environment={environment.title}
                      />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Box>
        )}
      </ViewState>
      {creating && (
        <CreateFileDialog
          scope={props.scope}
          onClose={() => setCreating(false)}
          onCreated={name => {
            setCreating(false);
            props.onOpen(name);
          }}
        />
      )}
    </InfoCard>
  );
}
