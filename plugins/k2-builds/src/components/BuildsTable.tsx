import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { parseEntityRef } from '@backstage/catalog-model';
import { K2Build } from '@internal/plugin-k2-builds-common';
import { Mono, RelativeTime } from '@internal/plugin-k2-react';
import { BuildsT, useBuildsT } from '../translation';
import { BuildStatus } from './BuildStatus';
import { CopyButton } from './CopyButton';
import {
  buildSeconds,
  formatDuration,
  imageTag,
  shortCommit,
  shortDigest,
} from './format';
import { ReleaseLink } from './ReleaseLink';

const useStyles = makeStyles(theme => ({
  head: { '& th': { whiteSpace: 'nowrap' } },
  row: { cursor: 'pointer' },
  nowrap: { whiteSpace: 'nowrap' },
  number: { whiteSpace: 'nowrap', textAlign: 'right' },
  message: {
    display: 'block',
    maxWidth: 360,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    color: theme.palette.text.secondary,
  },
}));

/**
 * Who started a build, after how: a user's name (their ref on hover), or for a push
 * the pusher the backend names ("push by <pusher>", whole on hover).
 */
export function TriggeredBy(props: { build: K2Build; t: BuildsT }) {
  const { build, t } = props;
  let who = build.triggeredBy;
  try {
    who = parseEntityRef(build.triggeredBy).name;
  } catch {
    // Not an entity ref: "push by <pusher>" says the push twice beside "Push".
    who = build.triggeredBy.replace(/^push by /, '');
  }
  return (
    <span title={build.triggeredBy}>
      {t(`triggers.${build.trigger}`)} · {who}
    </span>
  );
}

/**
 * One page of the service's builds, newest first: number, status, ref with the short
 * commit and its message, who or what started it, the image tag with the short digest
 * (copyable), how long it ran, when it started and the release that followed. A row
 * opens the build's drawer and is selected while it is open.
 */
export function BuildsTable(props: {
  builds: K2Build[];
  selected?: number;
  onOpen(number: number): void;
  environmentTitle(name: string): string;
}) {
  const t = useBuildsT();
  const classes = useStyles();
  return (
    <Box overflow="auto">
      <Table size="small" aria-label={t('history.title')}>
        <TableHead className={classes.head}>
          <TableRow>
            <TableCell className={classes.number}>
              {t('history.number')}
            </TableCell>
            <TableCell>{t('history.status')}</TableCell>
            <TableCell>{t('history.source')}</TableCell>
            <TableCell>{t('history.trigger')}</TableCell>
            <TableCell>{t('history.image')}</TableCell>
            <TableCell className={classes.number}>
              {t('history.duration')}
            </TableCell>
            <TableCell>{t('history.started')}</TableCell>
            <TableCell>{t('history.release')}</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.builds.map(build => {
            const seconds = buildSeconds(build);
            return (
              <TableRow
                key={build.id}
                hover
                selected={build.number === props.selected}
                className={classes.row}
                onClick={() => props.onOpen(build.number)}
              >
                <TableCell className={classes.number}>
                  #{build.number}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  <BuildStatus status={build.status} />
                </TableCell>
                <TableCell>
                  {/* The ref and its commit stay on one line; the message goes under. */}
                  <span className={classes.nowrap}>
                    <Mono>{build.ref}</Mono>
                    {' · '}
                    {build.commit ? (
                      <Mono title={build.commit}>
                        {shortCommit(build.commit)}
                      </Mono>
                    ) : (
                      <Typography
                        variant="body2"
                        color="textSecondary"
                        component="span"
                      >
                        {t('history.noCommit')}
                      </Typography>
                    )}
                  </span>
                  {build.commitMessage && (
                    <Typography
                      variant="caption"
                      className={classes.message}
                      title={build.commitMessage}
                    >
                      {build.commitMessage}
                    </Typography>
                  )}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  <TriggeredBy build={build} t={t} />
                </TableCell>
                <TableCell className={classes.nowrap}>
                  <Mono title={build.image}>{imageTag(build.image)}</Mono>
                  {build.imageDigest && (
                    <>
                      {' '}
                      <Mono title={build.imageDigest}>
                        {shortDigest(build.imageDigest)}
                      </Mono>
                      <CopyButton
                        text={build.imageDigest}
                        label={`${t('history.copyDigest')} ${
                          build.imageDigest
                        }`}
                      />
                    </>
                  )}
                </TableCell>
                <TableCell className={classes.number}>
                  {seconds === undefined ? '—' : formatDuration(seconds, t)}
                </TableCell>
                <TableCell className={classes.nowrap}>
                  <RelativeTime value={build.startedAt ?? build.createdAt} />
                </TableCell>
                <TableCell className={classes.nowrap}>
                  <ReleaseLink
                    build={build}
                    environmentTitle={props.environmentTitle}
                  />
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Box>
  );
}
