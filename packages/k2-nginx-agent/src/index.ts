import { AgentConfigError, USAGE, parseAgentConfig } from './config';
import { K2Client } from './K2Client';
import { LiveConfig } from './LiveConfig';
import { createJsonLogger } from './log';
import { NginxAgent } from './NginxAgent';

async function main(): Promise<number> {
  let config;
  try {
    config = parseAgentConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof AgentConfigError)) throw e;
    process.stderr.write(`k2-nginx-agent: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = createJsonLogger([config.token]);
  let live;
  try {
    live = await LiveConfig.open(config);
  } catch (e) {
    log.error('cannot manage the Nginx configuration', {
      error: (e as Error).message,
    });
    return 1;
  }
  const agent = new NginxAgent({
    ...config,
    live,
    client: new K2Client(config),
    log,
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info('stopping', { signal });
      agent.stop();
    });
  }
  await agent.run();
  return 0;
}

main().then(
  code => process.exit(code),
  e => {
    process.stderr.write(`k2-nginx-agent: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
