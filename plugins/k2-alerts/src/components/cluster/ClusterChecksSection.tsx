import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { k2AlertClusterReadPermission } from '@internal/plugin-k2-common';
import { Mono, useLoad, ViewState } from '@internal/plugin-k2-react';
import { k2AlertsApiRef, K2ClusterFinding } from '../../api/K2AlertsApi';
import { useAlertsT } from '../../translation';
import { entityName } from '../format';

/** How often the findings are read again. */
const REFRESH_MS = 30_000;

const CHECK_KEYS = {
  'node-memory-pressure': 'cluster.checks.memoryPressure',
  'node-disk-pressure': 'cluster.checks.diskPressure',
  'node-pid-pressure': 'cluster.checks.pidPressure',
  'node-disk-almost-full': 'cluster.checks.diskAlmostFull',
  'replicas-on-one-node': 'cluster.checks.replicasOnOneNode',
  'pod-pending': 'cluster.checks.podPending',
} as const;

/**
 * The cluster checks' current findings in every cluster, for platform admins
 * (`k2.alert.cluster.read`); nothing at all for anyone else.
 */
export function ClusterChecksSection() {
  const t = useAlertsT();
  const { allowed } = usePermission({
    permission: k2AlertClusterReadPermission,
  });
  if (!allowed) return null;
  return (
    <Box mt={2}>
      <ClusterChecksCard title={t('cluster.heading')} />
    </Box>
  );
}

function ClusterChecksCard(props: { title: string }) {
  const t = useAlertsT();
  const api = useApi(k2AlertsApiRef);
  const checks = useLoad(() => api.getClusterChecks(), [api], {
    intervalMs: REFRESH_MS,
  });
  const findings: K2ClusterFinding[] =
    checks.value?.clusters.flatMap(c => c.findings) ?? [];
  return (
    <InfoCard title={props.title} subheader={t('cluster.subheader')}>
      <ViewState
        value={checks.value && findings}
        error={checks.error}
        isEmpty={list => list.length === 0}
        emptyTitle={t('cluster.empty', {
          count: checks.value?.clusters.length ?? 0,
        })}
        emptyDescription={t('cluster.emptyHint')}
        inline
      >
        {list => (
          <Table size="small" aria-label={props.title}>
            <TableHead>
              <TableRow>
                <TableCell>{t('cluster.cluster')}</TableCell>
                <TableCell>{t('cluster.check')}</TableCell>
                <TableCell>{t('cluster.subject')}</TableCell>
                <TableCell>{t('cluster.summary')}</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {list.map(finding => (
                <TableRow
                  key={`${finding.cluster}|${finding.check}|${
                    finding.entityRef ?? finding.node
                  }`}
                >
                  <TableCell>
                    <Mono>{finding.cluster}</Mono>
                  </TableCell>
                  <TableCell>{t(CHECK_KEYS[finding.check])}</TableCell>
                  <TableCell>
                    {finding.entityRef
                      ? t('cluster.service', {
                          service: entityName(finding.entityRef),
                          environment: finding.environment ?? '',
                        })
                      : t('cluster.node', { node: finding.node ?? '' })}
                  </TableCell>
                  <TableCell>{finding.summary}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </ViewState>
    </InfoCard>
  );
}
