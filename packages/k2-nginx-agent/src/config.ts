import fs from 'fs';
import os from 'os';
import path from 'path';

export const USAGE = `Usage: k2-nginx-agent [options]

Pulls this host's Nginx cluster bundle from K2, tests it with nginx -t, swaps it in
as <conf dir>/k2 atomically, reloads Nginx and reports the applied version to K2.
nginx.conf must include the bundle inside its http block: include k2/k2.conf;

Options (each also read from the environment variable named after it):
  --k2-url URL           K2's base URL, e.g. https://k2.example.com   K2_URL
  --cluster NAME         the Nginx cluster this host belongs to       K2_NGINX_CLUSTER
  --host NAME            this host's name in that cluster             K2_NGINX_HOST
                         (default: the machine's hostname)
  --token-file FILE      file holding the cluster's agent token       K2_AGENT_TOKEN_FILE
                         (or the token itself in K2_AGENT_TOKEN; never printed)
  --nginx PATH           the nginx binary (default: nginx)            K2_NGINX_BIN
  --nginx-conf FILE      nginx.conf (default: /etc/nginx/nginx.conf)  K2_NGINX_CONF
                         k2/ lives in its directory, from which nginx
                         resolves the bundle's relative includes
  --nginx-prefix DIR     nginx's -p prefix, when the host sets one    K2_NGINX_PREFIX
  --reload-command CMD   how to reload Nginx gracefully               K2_NGINX_RELOAD
                         (default: nginx [-p DIR] -c FILE -s reload;
                         split on spaces, run without a shell)
  --retry-min-ms N       first retry delay when K2 is unreachable     K2_RETRY_MIN_MS
                         (default 1000; doubles with jitter)
  --retry-max-ms N       longest retry delay (default 60000)          K2_RETRY_MAX_MS
  -h, --help             show this help
`;

/** Everything the agent needs, validated. `token` is never logged or printed. */
export interface AgentConfig {
  k2Url: string;
  cluster: string;
  host: string;
  token: string;
  nginxBin: string;
  /** Absolute path of nginx.conf; `k2/` lives in its directory. */
  nginxConf: string;
  nginxPrefix?: string;
  /** argv of the graceful reload, run without a shell. */
  reloadCommand: string[];
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * K2 refuses cluster agent tokens shorter than this (`k2.traffic.clusters[].agentToken`),
 * so a shorter one is a mistake; it also keeps the logs' redaction of the token from
 * masking ordinary words.
 */
const MIN_TOKEN_LENGTH = 32;

export class AgentConfigError extends Error {
  name = 'AgentConfigError';
}

const FLAGS: Record<string, string> = {
  '--k2-url': 'K2_URL',
  '--cluster': 'K2_NGINX_CLUSTER',
  '--host': 'K2_NGINX_HOST',
  '--token-file': 'K2_AGENT_TOKEN_FILE',
  '--nginx': 'K2_NGINX_BIN',
  '--nginx-conf': 'K2_NGINX_CONF',
  '--nginx-prefix': 'K2_NGINX_PREFIX',
  '--reload-command': 'K2_NGINX_RELOAD',
  '--retry-min-ms': 'K2_RETRY_MIN_MS',
  '--retry-max-ms': 'K2_RETRY_MAX_MS',
};

function positiveInteger(name: string, raw: string | undefined, def: number) {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new AgentConfigError(`${name} must be a positive integer`);
  }
  return n;
}

/**
 * Reads the agent's settings from flags, falling back to environment variables
 * (flags win). Returns `'help'` for -h/--help. Errors name the flag, never the token.
 */
export function parseAgentConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
): AgentConfig | 'help' {
  const values: Record<string, string | undefined> = {};
  for (const [flag, name] of Object.entries(FLAGS)) {
    if (env[name] !== undefined && env[name] !== '') values[flag] = env[name];
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return 'help';
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(flag in FLAGS)) {
      throw new AgentConfigError(`unknown option ${flag}`);
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined)
      throw new AgentConfigError(`${flag} needs a value`);
    values[flag] = value;
  }
  const required = (flag: string) => {
    const v = values[flag];
    if (!v) {
      throw new AgentConfigError(`${flag} (or ${FLAGS[flag]}) is required`);
    }
    return v;
  };

  const k2Url = required('--k2-url').replace(/\/+$/, '');
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(k2Url);
  } catch {
    throw new AgentConfigError('--k2-url is not a URL');
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
    throw new AgentConfigError('--k2-url must be an http or https URL');
  }

  let token: string;
  if (values['--token-file']) {
    try {
      token = fs.readFileSync(values['--token-file'], 'utf8').trim();
    } catch (e) {
      throw new AgentConfigError(
        `--token-file ${values['--token-file']} cannot be read (${
          (e as NodeJS.ErrnoException).code ?? 'error'
        })`,
      );
    }
  } else {
    token = (env.K2_AGENT_TOKEN ?? '').trim();
  }
  if (!token) {
    throw new AgentConfigError(
      'no agent token: pass --token-file (or K2_AGENT_TOKEN_FILE) or set K2_AGENT_TOKEN',
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new AgentConfigError(
      `the agent token has fewer than ${MIN_TOKEN_LENGTH} characters; K2 accepts no shorter cluster token`,
    );
  }

  const nginxBin = values['--nginx'] ?? 'nginx';
  const nginxConf = path.resolve(
    values['--nginx-conf'] ?? '/etc/nginx/nginx.conf',
  );
  const nginxPrefix = values['--nginx-prefix']
    ? path.resolve(values['--nginx-prefix'])
    : undefined;
  const reloadCommand = values['--reload-command']
    ? values['--reload-command'].split(/\s+/).filter(Boolean)
    : [
        nginxBin,
        ...(nginxPrefix ? ['-p', nginxPrefix] : []),
        '-c',
        nginxConf,
        '-s',
        'reload',
      ];
  if (reloadCommand.length === 0) {
    throw new AgentConfigError('--reload-command is empty');
  }
  const retryMinMs = positiveInteger(
    '--retry-min-ms',
    values['--retry-min-ms'],
    1000,
  );
  const retryMaxMs = positiveInteger(
    '--retry-max-ms',
    values['--retry-max-ms'],
    60000,
  );
  if (retryMaxMs < retryMinMs) {
    throw new AgentConfigError(
      '--retry-max-ms must be at least --retry-min-ms',
    );
  }

  return {
    k2Url,
    cluster: required('--cluster'),
    host: values['--host'] || os.hostname(),
    token,
    nginxBin,
    nginxConf,
    nginxPrefix,
    reloadCommand,
    retryMinMs,
    retryMaxMs,
  };
}
