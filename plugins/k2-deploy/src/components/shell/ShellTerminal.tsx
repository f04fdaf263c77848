import { useEffect, useRef, useState } from 'react';
import '@xterm/xterm/css/xterm.css';
import { FitAddon } from '@xterm/addon-fit';
import { ITheme, Terminal } from '@xterm/xterm';
import { K2ShellEndReason } from '@internal/plugin-k2-deploy-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { Theme, useTheme } from '@material-ui/core/styles';
import { useDeployT } from '../../translation';
import { endReasonText } from './endReason';

/** Where a terminal's session is: the WebSocket URL and the ticket that opens it. */
export interface ShellConnection {
  url: string;
  ticket: string;
}

/** What the terminal shows about its session. */
export type ShellState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'ended'; reason: K2ShellEndReason; message?: string }
  | { kind: 'lost' }
  | { kind: 'failed'; error: Error };

/** The frames K2 sends (shell_shared protocol `k2-shell.v1`). */
type ServerFrame =
  | { t: 'o'; d: string }
  | { t: 'end'; reason: K2ShellEndReason; message?: string };

/** The subprotocol K2's shell WebSocket speaks. */
export const SHELL_PROTOCOL = 'k2-shell.v1';

/** The terminal sizes K2 accepts, in columns and rows. */
const MIN_SIZE = 10;
const MAX_SIZE = 500;
const clamp = (n: number) =>
  Math.min(MAX_SIZE, Math.max(MIN_SIZE, Number.isFinite(n) ? n : 80));

/** The terminal's colours from the app's palette, light or dark as the app is. */
function terminalTheme(theme: Theme): ITheme {
  return {
    background: theme.palette.background.default,
    foreground: theme.palette.text.primary,
    cursor: theme.palette.primary.main,
    cursorAccent: theme.palette.background.default,
    selectionBackground: theme.palette.action.selected,
  };
}

/**
 * A terminal on one shell session of K2's backend: xterm.js sized to its box (a
 * resize frame whenever the box changes), typed keys sent as input frames, output
 * written as it arrives. `connect` is called once with the terminal's size and answers
 * where the session is; the socket offers the `k2-shell.v1` subprotocol and the ticket
 * as `k2-ticket.<ticket>`, so the ticket is never in a URL. Copy and paste through the
 * clipboard with the buttons or Ctrl+Shift+C / Ctrl+Shift+V. Unmounting closes the
 * socket (the backend ends the session as `closed`) and disposes the terminal.
 *
 * The default export, loaded with `React.lazy`, so xterm.js is its own chunk.
 */
export default function ShellTerminal(props: {
  /** The terminal's accessible name ("Terminal of payment-gateway"). */
  label: string;
  connect(size: { cols: number; rows: number }): Promise<ShellConnection>;
  /** Told when the session ends with a reason from K2 (e.g. to offer a debug container). */
  onEnded?(reason: K2ShellEndReason): void;
}) {
  const t = useDeployT();
  const theme = useTheme();
  const box = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal>();
  const socket = useRef<WebSocket>();
  const [state, setState] = useState<ShellState>({ kind: 'connecting' });
  const [selection, setSelection] = useState('');
  const [clipboardError, setClipboardError] = useState<string>();
  // Read by the effect, which runs once: the latest props without reconnecting.
  const latest = useRef(props);
  latest.current = props;

  const copy = async () => {
    const text = terminal.current?.getSelection() ?? '';
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
      setClipboardError(undefined);
    } catch (e) {
      setClipboardError((e as Error).message);
    }
    terminal.current?.focus();
  };
  const paste = async () => {
    try {
      const text = await navigator.clipboard.readText();
      setClipboardError(undefined);
      // As typed: the terminal sends it through onData (bracketed when the shell asks).
      if (text) terminal.current?.paste(text);
    } catch (e) {
      setClipboardError((e as Error).message);
    }
    terminal.current?.focus();
  };
  const clipboard = useRef({ copy, paste });
  clipboard.current = { copy, paste };

  useEffect(() => {
    const element = box.current!;
    const term = new Terminal({
      cursorBlink: true,
      fontFamily:
        'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: terminalTheme(theme),
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    terminal.current = term;
    const resize = () => {
      // A box not laid out yet (0 × 0) has no size to fit to.
      if (element.clientWidth > 0 && element.clientHeight > 0) fit.fit();
    };
    resize();
    term.focus();

    let disposed = false;
    let ended = false;
    let ws: WebSocket | undefined;
    const send = (frame: object) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };
    const subscriptions = [
      term.onData(d => send({ t: 'i', d })),
      term.onResize(({ cols, rows }) =>
        send({ t: 'r', cols: clamp(cols), rows: clamp(rows) }),
      ),
      term.onSelectionChange(() => setSelection(term.getSelection())),
    ];
    term.attachCustomKeyEventHandler(event => {
      if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) {
        return true;
      }
      if (event.code === 'KeyC') {
        event.preventDefault();
        clipboard.current.copy();
        return false;
      }
      if (event.code === 'KeyV') {
        event.preventDefault();
        clipboard.current.paste();
        return false;
      }
      return true;
    });
    const observer = new ResizeObserver(resize);
    observer.observe(element);

    latest.current
      .connect({ cols: clamp(term.cols), rows: clamp(term.rows) })
      .then(
        ({ url, ticket }) => {
          if (disposed) return;
          ws = new WebSocket(url, [SHELL_PROTOCOL, `k2-ticket.${ticket}`]);
          socket.current = ws;
          ws.onopen = () => {
            setState({ kind: 'connected' });
            send({ t: 'r', cols: clamp(term.cols), rows: clamp(term.rows) });
          };
          ws.onmessage = event => {
            let frame: ServerFrame;
            try {
              frame = JSON.parse(String(event.data));
            } catch {
              return;
            }
            if (frame.t === 'o') {
              term.write(frame.d);
            } else if (frame.t === 'end') {
              ended = true;
              setState({
                kind: 'ended',
                reason: frame.reason,
                message: frame.message,
              });
              latest.current.onEnded?.(frame.reason);
            }
          };
          ws.onclose = () => {
            if (!ended && !disposed) setState({ kind: 'lost' });
          };
        },
        error => {
          if (!disposed) setState({ kind: 'failed', error });
        },
      );

    return () => {
      disposed = true;
      observer.disconnect();
      subscriptions.forEach(s => s.dispose());
      if (ws && ws.readyState < WebSocket.CLOSING) ws.close(1000);
      socket.current = undefined;
      terminal.current = undefined;
      term.dispose();
    };
    // Once: the theme at opening; a session is not reconnected on re-render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    if (terminal.current) terminal.current.options.theme = terminalTheme(theme);
  }, [theme]);

  const live = state.kind === 'connected';
  return (
    <Box display="flex" flexDirection="column" height="100%">
      <Box display="flex" alignItems="center" style={{ gap: 8 }} mb={1}>
        <Box flex={1} role="status" aria-live="polite">
          <StateLine state={state} />
        </Box>
        <Tooltip title={t('shell.copyHint')}>
          <span>
            <Button
              size="small"
              variant="outlined"
              disabled={!selection}
              onClick={copy}
            >
              {t('shell.copy')}
            </Button>
          </span>
        </Tooltip>
        <Tooltip title={t('shell.pasteHint')}>
          <span>
            <Button
              size="small"
              variant="outlined"
              disabled={!live}
              onClick={paste}
            >
              {t('shell.paste')}
            </Button>
          </span>
        </Tooltip>
      </Box>
      {clipboardError && (
        <Typography variant="body2" color="error" role="alert">
          {t('shell.clipboardFailed', { message: clipboardError })}
        </Typography>
      )}
      <Box
        flex={1}
        minHeight={0}
        p={1}
        bgcolor="background.default"
        border={1}
        borderColor="divider"
        borderRadius={4}
      >
        <div
          ref={box}
          role="group"
          aria-label={props.label}
          style={{ width: '100%', height: '100%' }}
        />
      </Box>
    </Box>
  );
}

/** A refusal's own message (a `ResponseError`'s body), else the error's. */
function serverMessage(error: Error): string {
  const body = (error as { body?: { error?: { message?: string } } }).body;
  return body?.error?.message ?? error.message;
}

function StateLine({ state }: { state: ShellState }) {
  const t = useDeployT();
  switch (state.kind) {
    case 'connecting':
      return <Typography variant="body2">{t('shell.connecting')}</Typography>;
    case 'connected':
      return <Typography variant="body2">{t('shell.connected')}</Typography>;
    case 'lost':
      return (
        <Typography variant="body2" color="error">
          {t('shell.lost')}
        </Typography>
      );
    case 'failed':
      return (
        <Typography variant="body2" color="error">
          {t('shell.failed', { message: serverMessage(state.error) })}
        </Typography>
      );
    default:
      return (
        <Typography
          variant="body2"
          color={
            state.reason === 'exit' || state.reason === 'closed'
              ? 'textPrimary'
              : 'error'
          }
        >
          {endReasonText(t, state.reason)}
          {state.message ? ` ${state.message}` : ''}
        </Typography>
      );
  }
}
