import { Fragment, useState } from 'react';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { K2HistoricalContainer } from '@internal/plugin-k2-common';
import { Mono, RelativeTime } from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { useDeployT } from '../translation';
import { imageTag } from './format';
import { useLiveRefresh } from './useLiveRefresh';

/**
 * Containers that no longer run: when and where they ran and how they ended, with the
 * pod's last events (click a row). Newest first; older pages on demand.
 */
export function HistoricalContainers(props: {
  service: ServiceName;
  environment?: string;
  cluster?: string;
}) {
  const t = useDeployT();
  const api = useApi(k2DeployApiRef);
  const { service, environment, cluster } = props;
  const [older, setOlder] = useState<{
    items: K2HistoricalContainer[];
    cursor?: string | null;
  }>({ items: [] });
  const [expanded, setExpanded] = useState<string>();
  const page = useLiveRefresh(
    () => api.getInstanceHistory(service, { environment, cluster, limit: 25 }),
    { service, environment, intervalMs: () => 5000 },
    [service.namespace, service.name, environment, cluster],
  );
  const items = [
    ...(page.value?.items ?? []),
    ...older.items.filter(o => !page.value?.items.some(i => i.id === o.id)),
  ];
  const cursor =
    older.cursor === undefined ? page.value?.nextCursor : older.cursor;

  return (
    <section aria-label={t('historical.title')}>
      <Typography variant="h6" component="h3" gutterBottom>
        {t('historical.title')}
      </Typography>
      {page.loading && !page.value && <Progress />}
      {page.error && !page.value && <ResponseErrorPanel error={page.error} />}
      {page.value && items.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          {t('historical.empty')}
        </Typography>
      )}
      {items.length > 0 && (
        // Wide tables scroll sideways in their card rather than break names;
        // focusable, so a keyboard can scroll them too.
        <Box overflow="auto" tabIndex={0}>
          <Table size="small" aria-label={t('historical.title')}>
            <TableHead>
              <TableRow>
                {(
                  [
                    'instances.instance',
                    'instance.container',
                    'instances.cluster',
                    'instances.node',
                    'instances.ip',
                    'instances.image',
                    'instances.release',
                    'historical.ran',
                    'historical.howItEnded',
                  ] as const
                ).map(column => (
                  <TableCell key={column} style={{ whiteSpace: 'nowrap' }}>
                    {t(column)}
                  </TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {items.map(i => (
                <Fragment key={i.id}>
                  <TableRow
                    hover
                    style={{ cursor: 'pointer' }}
                    onClick={() =>
                      setExpanded(e => (e === i.id ? undefined : i.id))
                    }
                  >
                    <TableCell>
                      <Mono>{i.pod}</Mono>
                    </TableCell>
                    <TableCell>
                      <Mono>{i.container}</Mono>
                      {i.run > 0
                        ? t('historical.run', { run: String(i.run + 1) })
                        : ''}
                    </TableCell>
                    <TableCell>
                      <Mono>{i.cluster}</Mono>
                    </TableCell>
                    <TableCell>
                      <Mono>{i.node ?? '—'}</Mono>
                    </TableCell>
                    <TableCell>
                      <Mono>{i.ip ?? '—'}</Mono>
                    </TableCell>
                    <TableCell>
                      <Mono title={i.image}>
                        {i.image ? imageTag(i.image) : '—'}
                      </Mono>
                    </TableCell>
                    <TableCell style={{ whiteSpace: 'nowrap' }}>
                      {i.release ? `#${i.release}` : '—'}
                    </TableCell>
                    <TableCell style={{ whiteSpace: 'nowrap' }}>
                      <RelativeTime
                        value={i.startedAt}
                        prefix={t('historical.started')}
                      />
                      <br />
                      <RelativeTime
                        value={i.endedAt}
                        prefix={t('historical.ended')}
                      />
                    </TableCell>
                    <TableCell>{i.message}</TableCell>
                  </TableRow>
                  {expanded === i.id && (
                    <TableRow>
                      <TableCell colSpan={9}>
                        {i.events.length === 0 ? (
                          <Typography variant="body2" color="textSecondary">
                            {t('historical.noEvents')}
                          </Typography>
                        ) : (
                          <Table
                            size="small"
                            aria-label={t('historical.lastEvents', {
                              pod: i.pod,
                            })}
                          >
                            <TableBody>
                              {i.events.map((e, n) => (
                                <TableRow key={n}>
                                  <TableCell>{e.reason}</TableCell>
                                  <TableCell>{e.message}</TableCell>
                                  <TableCell align="right">
                                    ×{e.count}
                                  </TableCell>
                                  <TableCell>
                                    <RelativeTime value={e.lastSeen} />
                                  </TableCell>
                                </TableRow>
                              ))}
                            </TableBody>
                          </Table>
                        )}
                      </TableCell>
                    </TableRow>
                  )}
                </Fragment>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
      {cursor && (
        <Button
          onClick={async () => {
            const more = await api.getInstanceHistory(service, {
              environment,
              cluster,
              limit: 50,
              before: cursor,
            });
            setOlder(o => ({
              items: [...o.items, ...more.items],
              cursor: more.nextCursor ?? null,
            }));
          }}
        >
          {t('historical.older')}
        </Button>
      )}
    </section>
  );
}
