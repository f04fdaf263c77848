export type LogFields = Record<string, string | number | boolean | undefined>;

/** One JSON object per line: `{ time, level, msg, ...fields }`. */
export interface AgentLogger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/**
 * Writes JSON lines to `write` (stdout by default). Every line passes through a
 * redaction of `secrets` (the agent token) before it is written, so no code path —
 * an error message echoing a header included — can print one.
 */
export function createJsonLogger(
  secrets: string[],
  write: (line: string) => void = line => process.stdout.write(line),
): AgentLogger {
  // As the secret appears inside a JSON string (escaped), and as it is.
  const hidden = secrets
    .filter(s => s.length > 0)
    .flatMap(s => [JSON.stringify(s).slice(1, -1), s]);
  const emit = (level: string, msg: string, fields: LogFields = {}) => {
    let line = JSON.stringify({
      time: new Date().toISOString(),
      level,
      msg,
      ...fields,
    });
    for (const secret of hidden) line = line.split(secret).join('[redacted]');
    write(`${line}\n`);
  };
  return {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}
