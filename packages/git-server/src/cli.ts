import { promises as fs } from 'fs';
import path from 'path';
import { startGitServer } from './server/gitServer';

const USAGE = `Usage: k2-git-server [options]

Serves bare Git repositories over git's smart HTTP on 127.0.0.1: clone and fetch are
open, push and POST /api/repos need the push credentials (user k2, the token in
<root>/.push-token, generated on the first start). Each push sends a signed GitHub
"push" event per updated ref to every --webhook-url.

Options:
  --root DIR                where the repositories live (default: .k2/git)
  --port N                  loopback port (default: 7108)
  --webhook-url URL         send push events there (repeatable; none: no webhooks)
  --webhook-secret-file F   the secret events are signed with (X-Hub-Signature-256);
                            required with --webhook-url
  --max-push-mb N           largest request body git may send, in MiB (default: 512)
  -h, --help                show this help
`;

function parseArgs(argv: string[]) {
  const out = {
    root: '.k2/git',
    port: 7108,
    webhookUrls: [] as string[],
    webhookSecretFile: undefined as string | undefined,
    maxPushMb: 512,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--root') out.root = value();
    else if (arg === '--port') out.port = Number(value());
    else if (arg === '--webhook-url') out.webhookUrls.push(value());
    else if (arg === '--webhook-secret-file') out.webhookSecretFile = value();
    else if (arg === '--max-push-mb') out.maxPushMb = Number(value());
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n\n${USAGE}`);
  }
  if (!(Number.isInteger(out.port) && out.port > 0 && out.port < 65536)) {
    throw new Error('--port must be a port number (1-65535)');
  }
  if (!(out.maxPushMb > 0)) throw new Error('--max-push-mb must be positive');
  if (out.webhookUrls.length > 0 && !out.webhookSecretFile) {
    throw new Error('--webhook-url needs --webhook-secret-file');
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let webhookSecret: string | undefined;
  if (args.webhookSecretFile) {
    webhookSecret = (await fs.readFile(args.webhookSecretFile, 'utf8')).trim();
    if (!webhookSecret) {
      throw new Error(
        `the webhook secret file ${args.webhookSecretFile} is empty`,
      );
    }
  }
  const log = (line: string) =>
    process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const server = await startGitServer({
    root: path.resolve(args.root),
    port: args.port,
    webhookUrls: args.webhookUrls,
    webhookSecret,
    maxPushBytes: args.maxPushMb * 1024 * 1024,
    log,
  });
  const stop = () => {
    server.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  log(
    `git server ready at ${server.url}; push as ${server.pushUser} with the token in ${server.pushTokenFile} (git credential store: ${server.credentialsFile})`,
  );
}

main().catch(error => {
  process.stderr.write(
    `k2-git-server: ${
      error instanceof Error ? error.message : String(error)
    }\n`,
  );
  process.exit(1);
});
