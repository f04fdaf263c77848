import { useMemo, useState } from 'react';
import { Table, TableColumn } from '@backstage/core-components';
import { K2Release } from '@internal/plugin-k2-common';
import { ActionButton, Mono, RelativeTime } from '@internal/plugin-k2-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Typography from '@material-ui/core/Typography';
import { EntityRef } from './EntityRef';
import { duration, imageTag } from './format';
import { deployMessages } from './messages';
import { ReleaseStatus } from './ReleaseStatus';
import { SpecDiff } from './SpecDiff';

const KIND: Record<K2Release['kind'], string> = {
  release: 'Release',
  rollback: 'Rollback',
  scale: 'Scale',
  restart: 'Restart',
};

/**
 * Every release of the service in one environment, newest first, with rollback and a
 * side-by-side diff of any two. Rollback is offered on earlier releases that
 * succeeded, never on the one running (`currentId`); comparing needs two ticked.
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
        title: 'Compare',
        width: '60px',
        render: r => (
          <Checkbox
            size="small"
            checked={selected.includes(r.id)}
            onChange={() => toggle(r.id)}
            inputProps={{ 'aria-label': `Compare release #${r.number}` }}
          />
        ),
      },
      { title: '#', field: 'number', width: '50px' },
      {
        title: 'What',
        render: r => (
          <>
            <Typography variant="body2">
              {KIND[r.kind]}{' '}
              <Mono title={r.spec.image}>{imageTag(r.spec.image)}</Mono> ×{' '}
              {r.spec.replicas}
              {r.spec.autoscaling
                ? ` (autoscale ${r.spec.autoscaling.minReplicas}–${r.spec.autoscaling.maxReplicas})`
                : ''}
            </Typography>
            {r.message && (
              <Typography variant="caption" color="textSecondary">
                {r.message}
              </Typography>
            )}
          </>
        ),
      },
      {
        title: 'Result',
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
        title: 'By',
        render: r => (
          <>
            <EntityRef entityRef={r.createdBy} />
            {r.approvedBy && (
              <Typography
                variant="caption"
                display="block"
                color="textSecondary"
              >
                {r.status === 'rejected' ? 'rejected' : 'approved'} by{' '}
                <EntityRef entityRef={r.approvedBy} />
              </Typography>
            )}
          </>
        ),
      },
      {
        title: 'When',
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
                took {duration(r.startedAt ?? r.createdAt, r.finishedAt)}
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
              Roll back to #{r.number}
            </ActionButton>
          ) : null,
      },
    ],
    [selected, currentId, rollbackDisabledReason, busy, onRollback],
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
          {deployMessages.history.compare}
        </Button>
        {selected.length !== 2 && (
          <Typography variant="caption" color="textSecondary">
            {deployMessages.history.compareHint(selected.length)}
          </Typography>
        )}
      </Box>
      <Table<K2Release>
        title={`History (${props.total})`}
        // Not draggable: material-table wraps each sortable header in a drag handle
        // with role="button", two nested controls screen readers cannot tell apart.
        options={{
          paging: false,
          search: false,
          padding: 'dense',
          draggable: false,
        }}
        columns={columns}
        data={props.releases}
        emptyContent={
          <Typography style={{ padding: 16 }}>
            Nothing released to {props.environment} yet. Use Release on the
            Overview.
          </Typography>
        }
      />
      {props.hasMore && (
        <Button onClick={props.onMore} size="small">
          Older releases
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
