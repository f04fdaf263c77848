import { useState } from 'react';
import { CopyTextButton } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import VisibilityIcon from '@material-ui/icons/Visibility';
import VisibilityOffIcon from '@material-ui/icons/VisibilityOff';
import {
  K2MiddlewareConnection,
  K2MiddlewareInstance,
} from '@internal/plugin-k2-middleware-store-common';
import { ActionButton, ErrorText, Mono } from '@internal/plugin-k2-react';
import { k2MiddlewareStoreApiRef } from '../api/K2MiddlewareStoreApi';
import { useMiddlewareT } from '../translation';

const MASK = '••••••••';

/** A value with a copy button and, when secret, masked until its reveal button is pressed. */
function SecretValue(props: { name: string; value: string; secret: boolean }) {
  const t = useMiddlewareT();
  const [shown, setShown] = useState(false);
  const masked = props.secret && !shown;
  return (
    <Box display="flex" alignItems="center" style={{ gap: 4 }}>
      <Mono>{masked ? MASK : props.value}</Mono>
      {props.secret && (
        <IconButton
          size="small"
          aria-label={
            shown
              ? t('connection.mask', { name: props.name })
              : t('connection.reveal', { name: props.name })
          }
          aria-pressed={shown}
          onClick={() => setShown(s => !s)}
        >
          {shown ? (
            <VisibilityOffIcon fontSize="small" />
          ) : (
            <VisibilityIcon fontSize="small" />
          )}
        </IconButton>
      )}
      <CopyTextButton
        text={props.value}
        aria-label={t('connection.copy', { name: props.name })}
        tooltipText={t('connection.copied')}
        variant="tertiary"
      />
    </Box>
  );
}

/**
 * How to connect to an instance. Nothing is fetched until an owner asks (Show
 * connection): the passwords are read from the instance's Secret for that answer
 * only. Secret values stay masked until revealed one by one; each value has a copy
 * button that copies it without showing it. Anyone the policy does not let read the
 * connection sees the button disabled with the reason.
 */
export function ConnectionSection(props: {
  instance: K2MiddlewareInstance;
  /** Why the user may not read the connection; undefined when they may. */
  refusal?: string;
  running: boolean;
}) {
  const t = useMiddlewareT();
  const api = useApi(k2MiddlewareStoreApiRef);
  const [connection, setConnection] = useState<K2MiddlewareConnection>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  if (!props.running) {
    return (
      <Typography variant="body2" color="textSecondary">
        {t('connection.notReady')}
      </Typography>
    );
  }
  if (!connection) {
    return (
      <>
        <Typography variant="body2" color="textSecondary" paragraph>
          {t('connection.hidden')}
        </Typography>
        <ActionButton
          variant="outlined"
          disabledReason={busy ? '' : props.refusal}
          onClick={async () => {
            setBusy(true);
            setError(undefined);
            try {
              setConnection(await api.getConnection(props.instance.id));
            } catch (e) {
              setError(e as Error);
            }
            setBusy(false);
          }}
        >
          {t('connection.show')}
        </ActionButton>
        {error && <ErrorText error={error} />}
      </>
    );
  }
  return (
    <Box overflow="auto">
      <Table size="small" aria-label={t('connection.title')}>
        <TableBody>
          <TableRow>
            <TableCell component="th" scope="row">
              {t('connection.host')}
            </TableCell>
            <TableCell>
              <SecretValue
                name={t('connection.host')}
                value={connection.host}
                secret={false}
              />
            </TableCell>
          </TableRow>
          <TableRow>
            <TableCell component="th" scope="row">
              {t('connection.port')}
            </TableCell>
            <TableCell>
              <SecretValue
                name={t('connection.port')}
                value={String(connection.port)}
                secret={false}
              />
            </TableCell>
          </TableRow>
          {connection.uri && (
            <TableRow>
              <TableCell component="th" scope="row">
                {t('connection.uri')}
              </TableCell>
              <TableCell>
                <SecretValue
                  name={t('connection.uri')}
                  value={connection.uri}
                  secret
                />
              </TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
      <Box mt={2}>
        <Table size="small" aria-label={t('connection.env')}>
          <TableHead>
            <TableRow>
              <TableCell>{t('template.envVar')}</TableCell>
              <TableCell>{t('connection.value')}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {connection.env.map(env => (
              <TableRow key={env.name}>
                <TableCell>
                  <Mono>{env.name}</Mono>
                </TableCell>
                <TableCell>
                  <SecretValue
                    name={env.name}
                    value={env.value}
                    secret={env.secret}
                  />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
    </Box>
  );
}
