import { useMemo, useState } from 'react';
import { Table, TableColumn } from '@backstage/core-components';
import { K2Release } from '@internal/plugin-k2-common';
import { ActionButton, Mono, RelativeTime } from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Typography from '@material-ui/core/Typography';
import { EntityRef } from './EntityRef';
import { duration, imageTag, shortDigest } from './format';
import { useDeployT } from '../translation';
import { ReleaseStatus } from './ReleaseStatus';
import { SpecDiff } from './SpecDiff';

/** The message key of each kind of release. */
const KIND = {
  release: 'history.kind.release',
  rollback: 'history.kind.rollback',
  scale: 'history.kind.scale',
  restart: 'history.kind.restart',
} as const satisfies Record<K2Release['kind'], string>;

/** What a release mounts, in short: config files with their versions, then volumes. */
function mountsText(r: K2Release) {
  return [
    ...r.spec.configFiles.map(c => `${c.file} v${c.version}`),
    ...[...new Set(r.spec.volumes.map(v => v.volume))],
  ].join(', ');
}

/** The middleware instances whose connection variables a release received. */
function middlewareText(r: K2Release) {
  return [...new Set((r.spec.bindings ?? []).map(b => b.instance))].join(', ');
}

/**
 * Every release of the service in one environment, newest first, with rollback and a
 * diff of any two (`SpecDiff`: the changed fields, side by side or unified). Rollback
 * is offered on earlier releases that succeeded, never on the one running
 * (`currentId`); comparing needs two ticked.
 */
export function HistoryTable(props: {
  environment: string;
  releases: K2Release[];
  total: number;
  /** The release that runs now (the newest that succeeded). */
  currentId?: string;
  /** Why rollback is not possible now (permission, a release in flight), if it is not. */
  rollbackDisabledReason?: string;
  busy: boolean;
  hasMore: boolean;
  onMore(): void;
  onRollback(release: K2Release): void;
}) {
  const t = useDeployT();
  const [selected, setSelected] = useState<string[]>([]);
  const [diff, setDiff] = useState<[K2Release, K2Release]>();
  const toggle = (id: string) =>
    setSelected(s =>
      s.includes(id) ? s.filter(x => x !== id) : [...s, id].slice(-2),
    );
  const compare = () => {
    const [a, b] = selected
      .map(id => props.releases.find(r => r.id === id)!)
      .sort((x, y) => x.number - y.number);
    setDiff([a, b]);
  };

  const { currentId, rollbackDisabledReason, busy, onRollback } = props;
  // Kept while only the data refreshes: new columns make the table rebuild its cells,
  // and a live refresh must not swap a button out from under a click.
  const columns = useMemo<TableColumn<K2Release>[]>(
    () => [
      {
        title: t('history.compareColumn'),
        width: '60px',
        render: r => (
          <Checkbox
            size="small"
            checked={selected.includes(r.id)}
            onChange={() => toggle(r.id)}
            inputProps={{
              'aria-label': t('history.compareRelease', {
                number: String(r.number),
              }),
            }}
          />
        ),
      },
      { title: '#', field: 'number', width: '50px' },
      {
        title: t('history.what'),
        // The widest column: the image, what the release mounts and its message
        // each keep to one line at 1440 px.
        width: '35%',
        render: r => (
          <>
            <Typography variant="body2">
              {t(KIND[r.kind])}{' '}
              <Mono title={r.spec.image}>{imageTag(r.spec.image)}</Mono> ×{' '}
              {r.spec.replicas}
              {r.spec.autoscaling
                ? t('history.autoscale', {
                    min: String(r.spec.autoscaling.minReplicas),
                    max: String(r.spec.autoscaling.maxReplicas),
                  })
                : ''}
            </Typography>
            {(r.spec.configFiles.length > 0 || r.spec.volumes.length > 0) && (
              <Typography variant="caption" display="block">
                {t('history.mounts', { mounts: mountsText(r) })}
              </Typography>
            )}
            {r.spec.bindings?.length ? (
              <Typography variant="caption" display="block">
                {t('history.middleware', { instances: middlewareText(r) })}
              </Typography>
            ) : null}
            {r.imageDigest && (
              <Typography variant="caption" display="block">
                {t('history.digest', {
                  digest: (
                    <Mono title={r.imageDigest}>
                      {shortDigest(r.imageDigest)}
                    </Mono>
                  ),
                })}
              </Typography>
            )}
            {r.message && (
              <Typography variant="caption" color="textSecondary">
                {r.message}
              </Typography>
            )}
          </>
        ),
      },
      {
        title: t('history.result'),
        render: r => (
          <>
            <ReleaseStatus status={r.status} />
            {r.reason && (
              <Typography
                variant="caption"
                display="block"
                color="textSecondary"
              >
                {r.reason}
              </Typography>
            )}
          </>
        ),
      },
      {
        title: t('history.by'),
        render: r => (
          <>
            <EntityRef entityRef={r.createdBy} />
            {r.approvedBy && (
              <Typography
                variant="caption"
                display="block"
                color="textSecondary"
              >
                {t(
                  r.status === 'rejected'
                    ? 'history.rejectedBy'
                    : 'history.approvedBy',
                  { who: <EntityRef entityRef={r.approvedBy} /> },
                )}
              </Typography>
            )}
          </>
        ),
      },
      {
        title: t('history.when'),
        cellStyle: { whiteSpace: 'nowrap' },
        render: r => (
          <>
            <RelativeTime value={r.createdAt} />
            {r.finishedAt && (
              <Typography
                variant="caption"
                display="block"
                color="textSecondary"
              >
                {t('history.took', {
                  duration: duration(
                    t,
                    r.startedAt ?? r.createdAt,
                    r.finishedAt,
                  ),
                })}
              </Typography>
            )}
          </>
        ),
      },
      {
        title: '',
        sorting: false,
        cellStyle: { whiteSpace: 'nowrap' },
        render: r =>
          r.status === 'succeeded' &&
          r.id !== currentId &&
          r.kind !== 'scale' &&
          r.kind !== 'restart' ? (
            <ActionButton
              size="small"
              disabledReason={rollbackDisabledReason ?? (busy ? '' : undefined)}
              onClick={() => onRollback(r)}
            >
              {t('history.rollbackTo', { number: String(r.number) })}
            </ActionButton>
          ) : null,
      },
    ],
    [t, selected, currentId, rollbackDisabledReason, busy, onRollback],
  );

  return (
    <>
      <Box display="flex" alignItems="center" style={{ gap: 8 }} mb={1}>
        <Button
          size="small"
          variant="outlined"
          color="primary"
          disabled={selected.length !== 2}
          onClick={compare}
        >
          {t('history.compare')}
        </Button>
        {selected.length !== 2 && (
          <Typography variant="caption" color="textSecondary">
            {t('history.compareHint', { selected: String(selected.length) })}
          </Typography>
        )}
      </Box>
      <Table<K2Release>
        title={t('history.title', { total: String(props.total) })}
        // Not draggable: material-table wraps each sortable header in a drag handle
        // with role="button", two nested controls screen readers cannot tell apart.
        options={{
          paging: false,
          search: false,
          padding: 'dense',
          draggable: false,
          // Headers never break mid-word ("对/比" under a narrow checkbox column).
          headerStyle: { whiteSpace: 'nowrap' },
        }}
        columns={columns}
        data={props.releases}
        emptyContent={
          <Typography style={{ padding: 16 }}>
            {t('history.empty', { environment: props.environment })}
          </Typography>
        }
      />
      {props.hasMore && (
        <Button onClick={props.onMore} size="small">
          {t('history.older')}
        </Button>
      )}
      {diff && (
        <SpecDiff
          older={diff[0]}
          newer={diff[1]}
          onClose={() => setDiff(undefined)}
        />
      )}
    </>
  );
}
