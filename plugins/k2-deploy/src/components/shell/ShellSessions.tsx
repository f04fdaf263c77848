import { Fragment, useCallback, useEffect, useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { k2ShellSessionReadPermission } from '@internal/plugin-k2-common';
import { K2ShellSession } from '@internal/plugin-k2-deploy-common';
import { ErrorText, Mono, RelativeTime } from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { k2DeployApiRef, ServiceName } from '../../api/K2DeployApi';
import { useDeployT } from '../../translation';
import { EntityRef } from '../EntityRef';
import { endReasonText } from './endReason';

const PAGE = 20;
const nowrap = { whiteSpace: 'nowrap' } as const;

/** Whether the server refused the request for lack of permission. */
function isForbidden(error: unknown): boolean {
  const e = error as {
    body?: { response?: { statusCode?: number } };
    statusCode?: number;
  };
  return (e.body?.response?.statusCode ?? e.statusCode) === 403;
}

type Loaded =
  | { state: 'loading' }
  | { state: 'forbidden' }
  | { state: 'failed'; error: Error }
  | { state: 'loaded'; items: K2ShellSession[]; next?: string };

/**
 * The service's recorded shell and debug sessions, newest first, for platform admins:
 * who, where, which kind, when it started and ended and why, and the commands typed
 * (behind a button per session). Asked for only when the permission framework allows
 * `k2.shell.session.read`; shows nothing to anyone else, nor when the server refuses
 * (403) after all.
 */
export function ShellSessions({ service }: { service: ServiceName }) {
  const t = useDeployT();
  const api = useApi(k2DeployApiRef);
  const entityRef = `component:${service.namespace}/${service.name}`;
  const { allowed } = usePermission({
    permission: k2ShellSessionReadPermission,
  });
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [more, setMore] = useState<{ busy: boolean; error?: Error }>({
    busy: false,
  });
  const [expanded, setExpanded] = useState<Set<string>>(new Set());

  useEffect(() => {
    if (!allowed) return undefined;
    let current = true;
    api.listShellSessions({ service: entityRef, limit: PAGE }).then(
      page => current && setLoaded({ state: 'loaded', ...page }),
      error =>
        current &&
        setLoaded(
          isForbidden(error)
            ? { state: 'forbidden' }
            : { state: 'failed', error },
        ),
    );
    return () => {
      current = false;
    };
  }, [api, entityRef, allowed]);

  const loadMore = useCallback(async () => {
    if (loaded.state !== 'loaded' || !loaded.next) return;
    setMore({ busy: true });
    try {
      const page = await api.listShellSessions({
        service: entityRef,
        limit: PAGE,
        before: loaded.next,
      });
      setLoaded({
        state: 'loaded',
        items: [...loaded.items, ...page.items],
        next: page.next,
      });
      setMore({ busy: false });
    } catch (error) {
      setMore({ busy: false, error: error as Error });
    }
  }, [api, entityRef, loaded]);

  // Nothing until the server answers: most users are refused, and see no card at all.
  if (!allowed || loaded.state === 'loading' || loaded.state === 'forbidden') {
    return null;
  }
  const toggle = (id: string) =>
    setExpanded(open => {
      const next = new Set(open);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <Box mt={3}>
      <InfoCard title={t('shell.sessions.title')}>
        {loaded.state === 'failed' && <ErrorText error={loaded.error} />}
        {loaded.state === 'loaded' && loaded.items.length === 0 && (
          <Typography variant="body2">{t('shell.sessions.empty')}</Typography>
        )}
        {loaded.state === 'loaded' && loaded.items.length > 0 && (
          <Box overflow="auto">
            <Table size="small" aria-label={t('shell.sessions.title')}>
              <TableHead>
                <TableRow>
                  <TableCell style={nowrap}>
                    {t('shell.sessions.who')}
                  </TableCell>
                  <TableCell style={nowrap}>
                    {t('shell.sessions.instance')}
                  </TableCell>
                  <TableCell style={nowrap}>
                    {t('shell.sessions.environment')}
                  </TableCell>
                  <TableCell style={nowrap}>
                    {t('shell.sessions.kind')}
                  </TableCell>
                  <TableCell style={nowrap}>
                    {t('shell.sessions.started')}
                  </TableCell>
                  <TableCell style={nowrap}>
                    {t('shell.sessions.ended')}
                  </TableCell>
                  <TableCell style={nowrap}>
                    {t('shell.sessions.reason')}
                  </TableCell>
                  <TableCell style={nowrap}>
                    {t('shell.sessions.commands')}
                  </TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {loaded.items.map(s => {
                  const open = expanded.has(s.id);
                  const commandsId = `k2-shell-commands-${s.id}`;
                  return (
                    <Fragment key={s.id}>
                      <TableRow>
                        <TableCell style={nowrap}>
                          <EntityRef entityRef={s.user} />
                        </TableCell>
                        <TableCell style={nowrap}>
                          <Mono>{`${s.pod} / ${s.container}`}</Mono>
                        </TableCell>
                        <TableCell style={nowrap}>{s.environment}</TableCell>
                        <TableCell style={nowrap}>
                          {s.kind === 'debug'
                            ? t('shell.sessions.debug', {
                                image: s.image ?? '—',
                              })
                            : t('shell.sessions.shell')}
                        </TableCell>
                        <TableCell style={nowrap}>
                          {s.startedAt ? (
                            <RelativeTime value={s.startedAt} />
                          ) : (
                            t('shell.sessions.notStarted')
                          )}
                        </TableCell>
                        <TableCell style={nowrap}>
                          {s.endedAt ? (
                            <RelativeTime value={s.endedAt} />
                          ) : (
                            t('shell.sessions.open')
                          )}
                        </TableCell>
                        <TableCell>
                          {s.endReason ? endReasonText(t, s.endReason) : '—'}
                        </TableCell>
                        <TableCell style={nowrap}>
                          <Button
                            size="small"
                            aria-expanded={open}
                            aria-controls={open ? commandsId : undefined}
                            disabled={s.commands.length === 0}
                            onClick={() => toggle(s.id)}
                          >
                            {t('shell.sessions.showCommands', {
                              count: s.commands.length,
                            })}
                          </Button>
                        </TableCell>
                      </TableRow>
                      {open && (
                        <TableRow>
                          <TableCell colSpan={8}>
                            <Box
                              component="ol"
                              id={commandsId}
                              aria-label={t('shell.sessions.commandsOf', {
                                pod: s.pod,
                                container: s.container,
                              })}
                              m={0}
                              pl={3}
                            >
                              {s.commands.map((c, i) => (
                                <li key={i}>
                                  <RelativeTime value={c.at} />{' '}
                                  <Mono>{c.line}</Mono>
                                </li>
                              ))}
                            </Box>
                          </TableCell>
                        </TableRow>
                      )}
                    </Fragment>
                  );
                })}
              </TableBody>
            </Table>
          </Box>
        )}
        {loaded.state === 'loaded' && loaded.next && (
          <Box mt={1}>
            <Button variant="outlined" disabled={more.busy} onClick={loadMore}>
              {t('shell.sessions.more')}
            </Button>
          </Box>
        )}
        {more.error && <ErrorText error={more.error} />}
      </InfoCard>
    </Box>
  );
}
