// Not core-components' LogViewer: its search box has only a placeholder (no id or label
// to name it by), it re-reads the whole text on every chunk and has no line cap; follow,
// previous container and download would sit outside it anyway. It adds ANSI colours only.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { InstanceName, k2DeployApiRef, ServiceName } from '../api/K2DeployApi';
import { ErrorText } from '@internal/plugin-k2-react';
import { useDeployT } from '../translation';

/** Lines kept in the browser while following; older ones scroll away. */
const MAX_LINES = 5000;

/**
 * One container's log: the tail, the previous run's (after a crash or OOM kill), or
 * followed live; a search over the loaded text; download of the whole log.
 */
export function LogViewer(props: {
  service: ServiceName;
  instance: InstanceName;
  containers: Array<{ name: string; hasPrevious: boolean }>;
}) {
  const t = useDeployT();
  const api = useApi(k2DeployApiRef);
  const { service, instance, containers } = props;
  const [container, setContainer] = useState(containers[0]?.name ?? '');
  const [previous, setPrevious] = useState(false);
  const [follow, setFollow] = useState(false);
  const [tailLines, setTailLines] = useState(500);
  const [search, setSearch] = useState('');
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState<'loading' | 'open' | 'done'>('loading');
  const [error, setError] = useState<Error>();
  const output = useRef<HTMLPreElement>(null);
  const hasPrevious = containers.find(c => c.name === container)?.hasPrevious;

  useEffect(() => {
    const aborted = new AbortController();
    let partial = '';
    setLines([]);
    setError(undefined);
    setState('loading');
    api
      .readLogs(
        service,
        instance,
        { container, previous: previous && hasPrevious, follow, tailLines },
        text => {
          const parts = (partial + text).split('\n');
          partial = parts.pop() ?? '';
          if (parts.length === 0) return;
          setState('open');
          setLines(l => {
            const next = l.concat(parts);
            return next.length > MAX_LINES
              ? next.slice(next.length - MAX_LINES)
              : next;
          });
        },
        aborted.signal,
      )
      .then(() => {
        if (aborted.signal.aborted) return;
        if (partial) setLines(l => [...l, partial]);
        setState('done');
      })
      .catch(e => {
        if (!aborted.signal.aborted) {
          setError(e);
          setState('done');
        }
      });
    return () => aborted.abort();
  }, [
    api,
    service,
    instance,
    container,
    previous,
    hasPrevious,
    follow,
    tailLines,
  ]);

  // Keep the newest line in view while following.
  useEffect(() => {
    if (follow && output.current) {
      output.current.scrollTop = output.current.scrollHeight;
    }
  }, [lines, follow]);

  const needle = search.trim().toLowerCase();
  const shown = useMemo(
    () =>
      needle ? lines.filter(l => l.toLowerCase().includes(needle)) : lines,
    [lines, needle],
  );

  return (
    <Box>
      <Box
        display="flex"
        flexWrap="wrap"
        alignItems="center"
        style={{ gap: 16 }}
      >
        {containers.length > 1 && (
          <FormControl style={{ minWidth: 140 }}>
            <InputLabel id="k2-log-container">
              {t('instance.container')}
            </InputLabel>
            <Select
              labelId="k2-log-container"
              value={container}
              onChange={e => setContainer(e.target.value as string)}
            >
              {containers.map(c => (
                <MenuItem key={c.name} value={c.name}>
                  {c.name}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
        )}
        <FormControl style={{ minWidth: 120 }}>
          <InputLabel id="k2-log-tail">{t('logs.tail')}</InputLabel>
          <Select
            labelId="k2-log-tail"
            value={tailLines}
            onChange={e => setTailLines(Number(e.target.value))}
          >
            {[100, 500, 2000, 10000].map(n => (
              <MenuItem key={n} value={n}>
                {n}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <FormControlLabel
          control={
            <Checkbox
              checked={follow}
              disabled={previous}
              onChange={e => setFollow(e.target.checked)}
              color="primary"
            />
          }
          label={t('logs.follow')}
        />
        <FormControlLabel
          control={
            <Checkbox
              checked={previous && Boolean(hasPrevious)}
              disabled={!hasPrevious || follow}
              onChange={e => setPrevious(e.target.checked)}
              color="primary"
            />
          }
          label={t('logs.previous')}
        />
        <TextField
          id={`k2-log-search-${instance.pod}`}
          label={t('logs.search')}
          value={search}
          onChange={e => setSearch(e.target.value)}
          size="small"
        />
        <Button
          variant="outlined"
          onClick={() =>
            api
              .downloadLogs(service, instance, {
                container,
                previous: previous && hasPrevious,
              })
              .catch(setError)
          }
        >
          {t('logs.download')}
        </Button>
      </Box>
      <Typography variant="caption" color="textSecondary" component="p">
        {state === 'loading' && t('logs.loading')}
        {state === 'open' &&
          follow &&
          t('logs.following', { count: lines.length })}
        {state === 'open' &&
          !follow &&
          t('logs.lines', { count: lines.length })}
        {state === 'done' && t('logs.lines', { count: lines.length })}
        {state === 'done' && follow && t('logs.stopped')}
        {needle &&
          t('logs.matching', {
            matches: String(shown.length),
            search: search.trim(),
          })}
      </Typography>
      {error && <ErrorText error={error} />}
      <pre
        ref={output}
        aria-label={t('logs.output')}
        style={{
          maxHeight: 400,
          overflow: 'auto',
          fontSize: 12,
          background: 'rgba(0,0,0,0.04)',
          padding: 8,
          margin: 0,
          whiteSpace: 'pre-wrap',
          wordBreak: 'break-all',
        }}
      >
        {shown.join('\n')}
      </pre>
    </Box>
  );
}
