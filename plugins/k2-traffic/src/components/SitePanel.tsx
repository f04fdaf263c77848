import { Link as RouterLink } from 'react-router-dom';
import { InfoCard, StatusOK, StatusWarning } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Mono, RelativeTime, ViewState } from '@internal/plugin-k2-react';
import {
  K2TrafficSite,
  K2TrafficSiteView,
} from '@internal/plugin-k2-traffic-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { k2TrafficApiRef } from '../api/K2TrafficApi';
import { TrafficT, useTrafficT } from '../translation';
import { useLoad } from './useLoad';
import {
  clusterOf,
  ClustersState,
  K2TrafficService,
  TrafficEnvironment,
} from './types';

const useStyles = makeStyles(theme => ({
  head: { '& th': { whiteSpace: 'nowrap' } },
  number: { textAlign: 'right', whiteSpace: 'nowrap' },
  nowrap: { whiteSpace: 'nowrap' },
  hostError: {
    color: theme.palette.error.main,
    whiteSpace: 'pre-wrap',
    fontFamily: 'monospace',
    fontSize: theme.typography.body2.fontSize,
    margin: theme.spacing(0.5, 0, 0),
  },
  section: { marginTop: theme.spacing(2) },
}));

/** A duration's passive-health rule in Nginx's own words. */
function healthRule(
  t: TrafficT,
  upstream: { maxFails?: number; failTimeoutSeconds?: number },
) {
  return t('overview.healthRule', {
    maxFails: String(upstream.maxFails ?? 1),
    failTimeout: String(upstream.failTimeoutSeconds ?? 10),
  });
}

/** An upstream's canary route in words, or "Off". */
function canaryRule(
  t: TrafficT,
  route: NonNullable<K2TrafficSite['upstreams'][number]['canary']> | undefined,
) {
  if (!route) return t('overview.canaryOff');
  if (route.kind === 'weight') {
    return t('overview.canaryWeight', { percent: String(route.percent) });
  }
  return t(
    route.kind === 'header' ? 'overview.canaryHeader' : 'overview.canaryCookie',
    { name: route.name ?? '', value: route.value ?? '' },
  );
}

/**
 * One environment's site on the overview: its domains (the test domain marked as
 * K2's), upstreams with their LB method, passive health, canary route and members
 * (canary pods marked), its locations,
 * the published version, and what each Nginx host of the cluster applied (drift, the
 * last report, a host's refusal in its own words). Links to the editor and versions
 * of this environment.
 */
export function SitePanel(props: {
  service: K2TrafficService;
  environment: TrafficEnvironment;
  clusters: ClustersState;
}) {
  const { service, environment, clusters } = props;
  const t = useTrafficT();
  const classes = useStyles();
  const api = useApi(k2TrafficApiRef);
  const cluster = clusterOf(clusters.value, environment.name);
  const served = Boolean(cluster);
  const site = useLoad(
    () =>
      served
        ? api.getSite(service, environment.name)
        : Promise.resolve(undefined),
    [api, service, environment.name, served],
  );
  const query = `?environment=${encodeURIComponent(environment.name)}`;

  const body = () => {
    if (!clusters.value) {
      return (
        <ViewState
          value={clusters.value}
          error={clusters.error}
          isEmpty={() => false}
          emptyTitle=""
        >
          {() => null}
        </ViewState>
      );
    }
    if (!cluster) {
      return (
        <>
          <Typography variant="body1">
            {t('overview.noCluster', { environment: environment.title })}
          </Typography>
          <Typography variant="body2" color="textSecondary">
            {t('overview.noClusterHint')}
          </Typography>
        </>
      );
    }
    return (
      <ViewState
        value={site.value}
        error={site.error}
        isEmpty={() => false}
        emptyTitle=""
      >
        {view => (
          <SiteDetails view={view!} environment={environment} query={query} />
        )}
      </ViewState>
    );
  };

  return (
    <InfoCard
      title={t('overview.environment', { environment: environment.title })}
      subheader={
        cluster && (
          <>
            {/* The subheader is a flex row, which drops a plain trailing space. */}
            {`${t('overview.cluster')}:\u00a0`}
            <Mono>{cluster.name}</Mono>
          </>
        )
      }
    >
      <section
        aria-label={t('overview.environment', {
          environment: environment.title,
        })}
      >
        {body()}
        {cluster && (
          <Box className={classes.section}>
            <Typography variant="subtitle2" component="h3" gutterBottom>
              {t('overview.hosts', { cluster: cluster.name })}
            </Typography>
            {cluster.hosts.length === 0 ? (
              <Typography variant="body2" color="textSecondary">
                {t('overview.noHosts')}
              </Typography>
            ) : (
              <Box overflow="auto">
                <Table
                  size="small"
                  aria-label={t('overview.hosts', { cluster: cluster.name })}
                >
                  <TableHead className={classes.head}>
                    <TableRow>
                      <TableCell>{t('overview.host')}</TableCell>
                      <TableCell>{t('overview.applied')}</TableCell>
                      <TableCell>{t('overview.lastReport')}</TableCell>
                      <TableCell>{t('overview.state')}</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {cluster.hosts.map(host => (
                      <TableRow key={host.name}>
                        <TableCell>
                          <Mono>{host.name}</Mono>
                          {host.error && (
                            <>
                              <Typography variant="body2">
                                {t('overview.hostError', { host: host.name })}
                              </Typography>
                              <pre className={classes.hostError}>
                                {host.error}
                              </pre>
                            </>
                          )}
                        </TableCell>
                        <TableCell>
                          {host.appliedVersion ? (
                            <Mono title={host.appliedVersion}>
                              {host.appliedVersion.slice(0, 12)}
                            </Mono>
                          ) : (
                            '—'
                          )}
                        </TableCell>
                        <TableCell>
                          {host.reportedAt ? (
                            <RelativeTime value={host.reportedAt} />
                          ) : (
                            t('overview.neverReported')
                          )}
                        </TableCell>
                        <TableCell>
                          {host.drift ? (
                            <StatusWarning>{t('overview.drift')}</StatusWarning>
                          ) : (
                            <StatusOK>{t('overview.inSync')}</StatusOK>
                          )}
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </Box>
            )}
          </Box>
        )}
        {cluster && (
          <Box mt={2} display="flex" style={{ gap: 8 }}>
            <Button
              variant="outlined"
              color="primary"
              component={RouterLink}
              to={`site${query}`}
            >
              {t('overview.edit')}
            </Button>
            <Button component={RouterLink} to={`versions${query}`}>
              {t('overview.versions')}
            </Button>
          </Box>
        )}
      </section>
    </InfoCard>
  );
}

function SiteDetails(props: {
  view: K2TrafficSiteView;
  environment: TrafficEnvironment;
  query: string;
}) {
  const { view, environment } = props;
  const t = useTrafficT();
  const classes = useStyles();
  const current = view.current;
  return (
    <>
      {current ? (
        <Typography variant="body1">
          <strong>
            {t('overview.version', { number: String(current.number) })}
          </strong>{' '}
          {t('overview.publishedBy')}{' '}
          <Mono>{current.author.replace(/^user:(default\/)?/, '')}</Mono>{' '}
          <RelativeTime value={current.createdAt} /> — {current.message}
        </Typography>
      ) : (
        <Typography variant="body1">
          {t('overview.nothingPublished', { environment: environment.title })}.{' '}
          {t('overview.nothingPublishedHint')}
        </Typography>
      )}
      <Box className={classes.section}>
        <Typography variant="subtitle2" component="h3" gutterBottom>
          {t('overview.domains')}
        </Typography>
        <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
          {view.domains.map(domain => (
            <Box
              key={domain}
              display="flex"
              alignItems="center"
              style={{ gap: 4 }}
            >
              <Mono>{domain}</Mono>
              {domain === view.testDomain && (
                <Chip size="small" label={t('overview.testDomain')} />
              )}
            </Box>
          ))}
        </Box>
      </Box>
      {current && (
        <>
          <Box className={classes.section}>
            <Typography variant="subtitle2" component="h3" gutterBottom>
              {t('overview.upstreams')}
            </Typography>
            <Box overflow="auto">
              <Table size="small" aria-label={t('overview.upstreams')}>
                <TableHead className={classes.head}>
                  <TableRow>
                    <TableCell>{t('overview.upstream')}</TableCell>
                    <TableCell>{t('overview.method')}</TableCell>
                    <TableCell>{t('overview.health')}</TableCell>
                    <TableCell>{t('overview.canaryRoute')}</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {current.site.upstreams.map(upstream => (
                    <TableRow key={upstream.name}>
                      <TableCell>
                        <Mono>{upstream.name}</Mono>
                      </TableCell>
                      <TableCell className={classes.nowrap}>
                        {t(`methods.${upstream.method ?? 'round_robin'}`)}
                      </TableCell>
                      <TableCell>
                        <Mono>{healthRule(t, upstream)}</Mono>
                      </TableCell>
                      <TableCell>
                        {canaryRule(t, upstream.canary)}
                        {upstream.canary && view.canaryMembers.length === 0 && (
                          <Typography variant="body2" color="textSecondary">
                            {t('overview.canaryWaiting')}
                          </Typography>
                        )}
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </Box>
          </Box>
          <Box className={classes.section}>
            <Typography variant="subtitle2" component="h3" gutterBottom>
              {t('overview.members')}
            </Typography>
            <Box overflow="auto">
              <Table size="small" aria-label={t('overview.members')}>
                <TableHead className={classes.head}>
                  <TableRow>
                    <TableCell>{t('overview.upstream')}</TableCell>
                    <TableCell>{t('overview.member')}</TableCell>
                    <TableCell className={classes.number}>
                      {t('overview.weight')}
                    </TableCell>
                    <TableCell>{t('overview.source')}</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {current.site.upstreams.flatMap(upstream => {
                    // Every upstream sends to its manual members and to the
                    // service's ready, in-traffic stable pods; one with a canary
                    // route sends the requests it chooses to the canary pods.
                    const members = [
                      ...(upstream.members ?? []).map(member => ({
                        address: member.address,
                        port: member.port,
                        weight: member.weight ?? 1,
                        backup: member.backup ?? false,
                        source: t('overview.manual'),
                        pod: undefined as string | undefined,
                        canary: false,
                      })),
                      ...view.podMembers.map(member => ({
                        address: member.address,
                        port: member.port,
                        weight: 1,
                        backup: false,
                        source: t('overview.pod', { cluster: member.cluster }),
                        pod: member.pod,
                        canary: false,
                      })),
                      ...(upstream.canary ? view.canaryMembers : []).map(
                        member => ({
                          address: member.address,
                          port: member.port,
                          weight: 1,
                          backup: false,
                          source: t('overview.pod', {
                            cluster: member.cluster,
                          }),
                          pod: member.pod as string | undefined,
                          canary: true,
                        }),
                      ),
                    ];
                    return members.length === 0
                      ? [
                          <TableRow key={upstream.name}>
                            <TableCell>
                              <Mono>{upstream.name}</Mono>
                            </TableCell>
                            <TableCell colSpan={3}>
                              {t('overview.noMembers')}
                            </TableCell>
                          </TableRow>,
                        ]
                      : members.map(member => (
                          <TableRow
                            key={`${upstream.name}/${
                              member.canary ? 'canary/' : ''
                            }${member.address}:${member.port}`}
                          >
                            <TableCell>
                              <Mono>{upstream.name}</Mono>
                            </TableCell>
                            <TableCell>
                              <Mono>
                                {member.address}:{member.port}
                              </Mono>
                            </TableCell>
                            <TableCell className={classes.number}>
                              {member.weight}
                              {member.backup && ` · ${t('overview.backup')}`}
                            </TableCell>
                            <TableCell>
                              {member.source}
                              {member.pod && (
                                <>
                                  {' '}
                                  <Mono>{member.pod}</Mono>
                                </>
                              )}
                              {member.canary && (
                                <>
                                  {' '}
                                  <Chip
                                    size="small"
                                    color="primary"
                                    label={t('overview.canary')}
                                  />
                                </>
                              )}
                            </TableCell>
                          </TableRow>
                        ));
                  })}
                </TableBody>
              </Table>
            </Box>
          </Box>
          <Box className={classes.section}>
            <Typography variant="subtitle2" component="h3" gutterBottom>
              {t('overview.locations')}
            </Typography>
            {current.site.locations.map(location => (
              <Typography variant="body2" key={location.path}>
                <Mono>{location.path}</Mono> → <Mono>{location.upstream}</Mono>
              </Typography>
            ))}
          </Box>
        </>
      )}
    </>
  );
}
