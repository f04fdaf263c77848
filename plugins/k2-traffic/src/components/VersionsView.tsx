import { useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  ActionButton,
  ActionDialog,
  DetailDrawer,
  EnvironmentSwitcher,
  LineDiff,
  Mono,
  RelativeTime,
  useEnvironmentParam,
  ViewState,
} from '@internal/plugin-k2-react';
import {
  K2TrafficSiteVersionList,
  K2TrafficSiteVersionPair,
} from '@internal/plugin-k2-traffic-common';
import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { k2TrafficApiRef } from '../api/K2TrafficApi';
import { useTrafficT } from '../translation';
import { renderedLines } from './siteDocument';
import { useLoad } from './useLoad';
import { WaitingRow, who } from './WaitingChange';
import { K2TrafficService, PublishRights, TrafficEnvironment } from './types';

const useStyles = makeStyles({
  head: { '& th': { whiteSpace: 'nowrap' } },
  number: { textAlign: 'right', whiteSpace: 'nowrap' },
  actions: { display: 'flex', gap: 8 },
});

/**
 * Versions: one environment's published versions, newest first (number, author,
 * time, message, content hash). Tick two to compare their rendered config
 * (`LineDiff`, in a drawer); roll back to any older one after a confirmation naming
 * it (a new version publishing that version's site again). Where changes need
 * approval, the change waiting for it heads the list (who asked, when, why): Review
 * opens its site against the published version, Approve and Reject are there for
 * those the policy lets decide it (disabled with the reason for everyone else), and
 * Withdraw for its requester; while it waits, no rollback can be asked for.
 */
export function VersionsView(props: {
  service: K2TrafficService;
  environments: TrafficEnvironment[];
  rights(environment: TrafficEnvironment): PublishRights;
  onPublished(): void;
}) {
  const t = useTrafficT();
  const classes = useStyles();
  const api = useApi(k2TrafficApiRef);
  const [param, setParam] = useEnvironmentParam();
  const environment =
    props.environments.find(e => e.name === param) ?? props.environments[0];
  const versions = useLoad(
    () => api.getVersions(props.service, environment.name, { limit: 100 }),
    [api, props.service, environment.name],
  );
  const [selected, setSelected] = useState<number[]>([]);
  const [pair, setPair] = useState<K2TrafficSiteVersionPair>();
  const [compareError, setCompareError] = useState<Error>();
  const [rollingBack, setRollingBack] =
    useState<K2TrafficSiteVersionList['items'][number]>();
  const items = versions.value?.items ?? [];
  const waiting = versions.value?.waiting;
  const refusal =
    props.rights(environment).refusal ??
    (waiting ? t('refused.waiting') : undefined);
  const currentNumber = items[0]?.number;
  const decided = () => {
    versions.refresh();
    props.onPublished();
  };

  const toggle = (number: number) =>
    setSelected(previous =>
      previous.includes(number)
        ? previous.filter(n => n !== number)
        : [...previous, number].slice(-2),
    );
  const compare = async () => {
    const [a, b] = [...selected].sort((x, y) => x - y);
    setCompareError(undefined);
    try {
      setPair(await api.compareVersions(props.service, environment.name, a, b));
    } catch (error) {
      setCompareError(error as Error);
    }
  };
  const title = t('versions.title', { environment: environment.title });

  return (
    <section aria-label={title}>
      <Box mb={2} display="flex" alignItems="center" style={{ gap: 16 }}>
        <EnvironmentSwitcher
          environments={props.environments}
          value={environment.name}
          onChange={name => {
            setSelected([]);
            setParam(name);
          }}
        />
        <ActionButton
          variant="outlined"
          disabledReason={
            selected.length === 2
              ? undefined
              : t('versions.compareHint', { selected: String(selected.length) })
          }
          onClick={compare}
        >
          {t('versions.compare')}
        </ActionButton>
        {selected.length < 2 && (
          <Typography variant="body2" color="textSecondary">
            {t('versions.compareHint', { selected: String(selected.length) })}
          </Typography>
        )}
      </Box>
      {compareError && (
        <Typography color="error" variant="body2" role="alert">
          {compareError.message}
        </Typography>
      )}
      <ViewState
        value={versions.value}
        error={versions.error}
        isEmpty={v => v.items.length === 0 && !v.waiting}
        emptyTitle={t('versions.empty', { environment: environment.title })}
        emptyDescription={t('versions.emptyHint')}
      >
        {() => (
          <Box overflow="auto">
            <Table size="small" aria-label={title}>
              <TableHead className={classes.head}>
                <TableRow>
                  <TableCell padding="checkbox" />
                  <TableCell className={classes.number}>
                    {t('versions.number')}
                  </TableCell>
                  <TableCell>{t('versions.author')}</TableCell>
                  <TableCell>{t('versions.published')}</TableCell>
                  <TableCell>{t('versions.message')}</TableCell>
                  <TableCell>{t('versions.hash')}</TableCell>
                  <TableCell>{t('versions.actions')}</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {waiting && (
                  <WaitingRow
                    service={props.service}
                    environment={environment}
                    change={waiting}
                    current={currentNumber}
                    onDecided={decided}
                  />
                )}
                {items.map(version => {
                  const number = String(version.number);
                  return (
                    <TableRow
                      key={version.number}
                      selected={selected.includes(version.number)}
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
                        {version.number === currentNumber &&
                          ` · ${t('versions.current')}`}
                      </TableCell>
                      <TableCell>
                        <Mono>{who(version.author)}</Mono>
                      </TableCell>
                      <TableCell>
                        <RelativeTime value={version.createdAt} />
                      </TableCell>
                      <TableCell>
                        {version.message}
                        {version.rollbackOf !== undefined && (
                          <Typography variant="caption" display="block">
                            {t('versions.rollbackOf', {
                              number: String(version.rollbackOf),
                            })}
                          </Typography>
                        )}
                      </TableCell>
                      <TableCell>
                        <Mono title={version.contentHash}>
                          {version.contentHash
                            .replace(/^sha256:/, '')
                            .slice(0, 12)}
                        </Mono>
                      </TableCell>
                      <TableCell>
                        <ActionButton
                          size="small"
                          disabledReason={
                            version.number === currentNumber
                              ? t('refused.current')
                              : refusal
                          }
                          onClick={() => setRollingBack(version)}
                        >
                          {t('versions.rollback', { number })}
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
                from: String(pair.from.number),
                to: String(pair.to.number),
              })
            : ''
        }
        closeLabel={t('versions.close')}
        onClose={() => setPair(undefined)}
      >
        {pair && (
          <LineDiff
            older={renderedLines(pair.from)}
            newer={renderedLines(pair.to)}
            olderLabel={`#${pair.from.number}`}
            newerLabel={`#${pair.to.number}`}
            label={t('versions.diffLabel')}
          />
        )}
      </DetailDrawer>
      {rollingBack && (
        <ActionDialog
          title={t('versions.rollbackTitle', {
            environment: environment.title,
            number: String(rollingBack.number),
          })}
          confirm={t('versions.rollback', {
            number: String(rollingBack.number),
          })}
          busyLabel={t('versions.rollbackBusy')}
          onClose={() => setRollingBack(undefined)}
          onConfirm={async () => {
            await api.rollback(
              props.service,
              environment.name,
              rollingBack.number,
            );
            setRollingBack(undefined);
            setSelected([]);
            decided();
          }}
        >
          <Typography variant="body2" paragraph>
            {t('versions.rollbackBody', {
              number: String(rollingBack.number),
              next: String((currentNumber ?? 0) + 1),
              message: rollingBack.message,
            })}
          </Typography>
          {environment.approvalRequired && (
            <Typography variant="body2">
              <strong>
                {t('versions.rollbackApproval', {
                  environment: environment.title,
                })}
              </strong>
            </Typography>
          )}
        </ActionDialog>
      )}
    </section>
  );
}
