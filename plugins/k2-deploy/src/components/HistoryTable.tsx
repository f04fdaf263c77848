import { useState } from 'react';
import { Table, TableColumn } from '@backstage/core-components';
import { K2Release } from '@internal/plugin-k2-common';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { EntityRef } from './EntityRef';
import { ago, duration, imageTag } from './format';
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
 * side-by-side diff of any two.
 */
export function HistoryTable(props: {
  environment: string;
  releases: K2Release[];
  total: number;
  canRollback: boolean;
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

  const columns: TableColumn<K2Release>[] = [
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
            {KIND[r.kind]} {imageTag(r.spec.image)} × {r.spec.replicas}
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
            <Typography variant="caption" display="block" color="textSecondary">
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
            <Typography variant="caption" display="block" color="textSecondary">
              {r.status === 'rejected' ? 'rejected' : 'approved'} by{' '}
              <EntityRef entityRef={r.approvedBy} />
            </Typography>
          )}
        </>
      ),
    },
    {
      title: 'When',
      render: r => (
        <Tooltip title={new Date(r.createdAt).toLocaleString()}>
          <span>
            {ago(r.createdAt)}
            {r.finishedAt
              ? ` · took ${duration(r.startedAt ?? r.createdAt, r.finishedAt)}`
              : ''}
          </span>
        </Tooltip>
      ),
    },
    {
      title: '',
      render: r =>
        r.status === 'succeeded' &&
        r.kind !== 'scale' &&
        r.kind !== 'restart' ? (
          <Button
            size="small"
            disabled={!props.canRollback || props.busy}
            onClick={() => props.onRollback(r)}
          >
            Roll back to #{r.number}
          </Button>
        ) : null,
    },
  ];

  return (
    <>
      <Table<K2Release>
        title={`History (${props.total})`}
        options={{ paging: false, search: false, padding: 'dense' }}
        columns={columns}
        data={props.releases}
        actions={[
          {
            // Only draws the table's action button: not a second button inside it
            // (focusable, and announced enabled while comparing is not possible).
            icon: () => (
              <Button
                size="small"
                variant="outlined"
                component="span"
                disabled={selected.length !== 2}
                tabIndex={-1}
                role={undefined}
                aria-disabled={undefined}
              >
                Compare selected
              </Button>
            ),
            tooltip: 'Show the two selected releases side by side',
            isFreeAction: true,
            disabled: selected.length !== 2,
            onClick: compare,
          },
        ]}
        emptyContent={
          <Typography style={{ padding: 16 }}>
            Nothing released to {props.environment} yet. Use Release above.
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
