import { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { K2MiddlewareInstance } from '@internal/plugin-k2-middleware-store-common';
import { Mono, RelativeTime } from '@internal/plugin-k2-react';
import { useMiddlewareT } from '../translation';
import { isGone, who } from './format';
import { StateChip } from './StateChip';

const useStyles = makeStyles({
  head: { '& th': { whiteSpace: 'nowrap' } },
  row: { cursor: 'pointer' },
  number: { textAlign: 'right', whiteSpace: 'nowrap' },
  nowrap: { whiteSpace: 'nowrap' },
});

/**
 * Instances as a table: name, product and version, the service (where the list spans
 * services), environment, state, ready of desired replicas, expiry and creation. A
 * row opens the instance's drawer and stays selected while it is open.
 */
export function InstancesTable(props: {
  label: string;
  instances: K2MiddlewareInstance[];
  environmentTitle(name: string): string;
  /** The service column's content, where the list spans services. */
  service?(instance: K2MiddlewareInstance): ReactNode;
  /** The service whose tab shows the list: instances bound to it say so. */
  boundTo?: string;
  selected?: string;
  onOpen(id: string): void;
}) {
  const t = useMiddlewareT();
  const classes = useStyles();
  return (
    <Box overflow="auto">
      <Table size="small" aria-label={props.label}>
        <TableHead className={classes.head}>
          <TableRow>
            <TableCell>{t('table.name')}</TableCell>
            <TableCell>{t('table.product')}</TableCell>
            {props.service && <TableCell>{t('table.service')}</TableCell>}
            <TableCell>{t('table.environment')}</TableCell>
            <TableCell>{t('table.state')}</TableCell>
            <TableCell className={classes.number}>
              {t('table.replicas')}
            </TableCell>
            <TableCell>{t('table.expires')}</TableCell>
            <TableCell>{t('table.createdBy')}</TableCell>
            <TableCell>{t('table.created')}</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.instances.map(instance => (
            <TableRow
              key={instance.id}
              hover
              className={classes.row}
              selected={props.selected === instance.id}
              aria-label={t('table.open', { name: instance.name })}
              tabIndex={0}
              onClick={() => props.onOpen(instance.id)}
              onKeyDown={e => {
                if (e.key === 'Enter') props.onOpen(instance.id);
              }}
            >
              <TableCell>
                <Mono>{instance.name}</Mono>
                {props.boundTo &&
                  instance.service !== props.boundTo &&
                  instance.bindings.includes(props.boundTo) && (
                    <Typography variant="caption" display="block">
                      {t('table.boundHere')}
                    </Typography>
                  )}
              </TableCell>
              <TableCell className={classes.nowrap}>
                {instance.product} {instance.version}
              </TableCell>
              {props.service && (
                <TableCell>{props.service(instance)}</TableCell>
              )}
              <TableCell className={classes.nowrap}>
                {props.environmentTitle(instance.environment)}
              </TableCell>
              <TableCell>
                <StateChip instance={instance} />
              </TableCell>
              <TableCell className={classes.number}>
                {instance.replicas && !isGone(instance)
                  ? `${instance.replicas.ready}/${instance.replicas.desired}`
                  : '—'}
              </TableCell>
              <TableCell>
                {instance.expiresAt ? (
                  <RelativeTime value={instance.expiresAt} />
                ) : (
                  t('table.never')
                )}
              </TableCell>
              <TableCell>
                <Mono>{who(instance.createdBy)}</Mono>
              </TableCell>
              <TableCell>
                <RelativeTime value={instance.createdAt} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}
