/**
 * A stand-in for a backend that stops while a build runs: starts the command in
 * argv[2..] with runInGroup, and once it printed its first line aborts it and exits
 * at once, as the backend's shutdown does (it does not wait for builds).
 */
import { runInGroup } from '../processGroup';

const [command, ...args] = process.argv.slice(2);
const controller = new AbortController();
runInGroup(command, args, {
  env: { PATH: process.env.PATH },
  signal: controller.signal,
  onLine: line => {
    process.stdout.write(`${line}\n`);
    controller.abort();
    process.exit(0);
  },
});
