import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  isBuildFinished,
  K2Build,
  K2BuildsService,
} from '@internal/plugin-k2-builds-common';
import { K2ApiError } from '@internal/plugin-k2-common';
import { ErrorText, monospaceFontFamily } from '@internal/plugin-k2-react';
import { k2BuildsApiRef } from '../api/K2BuildsApi';
import { useBuildsT } from '../translation';

/** Lines kept in the browser; older ones are dropped (and counted). */
export const MAX_LOG_LINES = 10_000;

/** How long to wait before reading the log again after the connection dropped. */
export const LOG_RECONNECT_MS = 1000;

const useStyles = makeStyles(theme => ({
  output: {
    height: '55vh',
    minHeight: 240,
    overflow: 'auto',
    margin: 0,
    padding: theme.spacing(1),
    fontFamily: monospaceFontFamily,
    fontSize: 12,
    lineHeight: 1.5,
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    color: theme.palette.text.primary,
    background: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
  },
}));

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind either way. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>(resolve => {
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

/** A refusal the next attempt would get again (a 4xx), not a dropped connection. */
const isRefusal = (error: unknown) =>
  error instanceof K2ApiError &&
  error.statusCode >= 400 &&
  error.statusCode < 500;

type Phase = 'loading' | 'open' | 'reconnecting' | 'done';

/**
 * A build's log. A build that has not ended is followed: the text is appended as the
 * backend writes it, the view keeps the newest line in sight while Follow is ticked
 * (scrolling up unticks it), and a dropped connection is picked up again from the
 * last byte received, so no line is lost or shown twice. When the stream ends the
 * build is read again (`onBuild`): it ends with the build, or resumes if the build
 * still runs.
 */
export function BuildLog(props: {
  service: K2BuildsService;
  build: Pick<K2Build, 'number' | 'status' | 'logTruncated'>;
  onBuild(build: K2Build): void;
}) {
  const { service } = props;
  const { number } = props.build;
  const t = useBuildsT();
  const classes = useStyles();
  const api = useApi(k2BuildsApiRef);
  const [lines, setLines] = useState<string[]>([]);
  const [dropped, setDropped] = useState(0);
  const [phase, setPhase] = useState<Phase>('loading');
  const [error, setError] = useState<Error>();
  const [follow, setFollow] = useState(true);
  const output = useRef<HTMLPreElement>(null);
  // Read once per build: whether to follow is decided by its status at opening.
  const live = useRef(!isBuildFinished(props.build.status));
  const onBuild = useRef(props.onBuild);
  onBuild.current = props.onBuild;

  useEffect(() => {
    const aborted = new AbortController();
    const { signal } = aborted;
    const encoder = new TextEncoder();
    let offset = 0;
    let partial = '';
    // The lines kept and how many were dropped, owned by this read of the log: state
    // is set from them, never computed inside a state update.
    let kept: string[] = [];
    let cut = 0;
    const show = (more: string[]) => {
      kept = kept.concat(more);
      if (kept.length > MAX_LOG_LINES) {
        cut += kept.length - MAX_LOG_LINES;
        kept = kept.slice(-MAX_LOG_LINES);
        setDropped(cut);
      }
      setLines(kept);
    };
    const append = (text: string) => {
      offset += encoder.encode(text).length;
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      setPhase('open');
      if (parts.length > 0) show(parts);
    };
    setLines([]);
    setDropped(0);
    setError(undefined);
    setPhase('loading');
    (async () => {
      const follows = live.current;
      for (;;) {
        try {
          await api.readLog(
            service,
            number,
            { follow: follows, offset },
            append,
            signal,
          );
          if (signal.aborted) return;
          if (!follows) break;
          // The stream ends when the build does, or when something on the way closed
          // it: the build says which.
          const build = await api.getBuild(service, number);
          if (signal.aborted) return;
          onBuild.current(build);
          if (isBuildFinished(build.status)) break;
        } catch (e) {
          if (signal.aborted) return;
          if (isRefusal(e) || !follows) {
            setError(e as Error);
            break;
          }
          setPhase('reconnecting');
        }
        await sleep(LOG_RECONNECT_MS, signal);
        if (signal.aborted) return;
      }
      if (partial) {
        show([partial]);
        partial = '';
      }
      setPhase('done');
    })();
    return () => aborted.abort();
  }, [api, service, number]);

  useEffect(() => {
    if (follow && output.current) {
      output.current.scrollTop = output.current.scrollHeight;
    }
  }, [lines, follow]);

  const status = (() => {
    if (phase === 'loading') {
      return props.build.status === 'queued'
        ? t('log.waiting')
        : t('log.loading');
    }
    if (phase === 'reconnecting') return t('log.reconnecting');
    if (phase === 'open' && live.current) {
      return t('log.following', { count: lines.length + dropped });
    }
    return t('log.lines', { count: lines.length + dropped });
  })();

  return (
    <Box>
      <Box display="flex" alignItems="center" style={{ gap: 16 }}>
        <Typography
          variant="caption"
          color="textSecondary"
          role="status"
          aria-live="polite"
          style={{ flex: 1 }}
        >
          {status}
        </Typography>
        <FormControlLabel
          control={
            <Checkbox
              checked={follow}
              onChange={e => setFollow(e.target.checked)}
              color="primary"
              size="small"
            />
          }
          label={t('log.follow')}
        />
      </Box>
      {dropped > 0 && (
        <Typography variant="caption" color="textSecondary" component="p">
          {t('log.cut', { count: dropped })}
        </Typography>
      )}
      {error && <ErrorText error={error} />}
      <pre
        ref={output}
        className={classes.output}
        aria-label={t('log.output', { number: String(number) })}
        onScroll={e => {
          const el = e.currentTarget;
          const atBottom =
            el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          if (!atBottom && follow) setFollow(false);
        }}
      >
        {lines.join('\n')}
      </pre>
      {props.build.logTruncated && phase === 'done' && (
        <Typography variant="caption" color="textSecondary" component="p">
          {t('log.truncated')}
        </Typography>
      )}
    </Box>
  );
}
