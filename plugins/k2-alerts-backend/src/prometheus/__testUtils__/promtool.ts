import { execFileSync } from 'node:child_process';
import { Promtool } from '../Promtool';

function available(path: string) {
  try {
    execFileSync(path, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Debian's promtool when it is here. `./k2 test` installs it and sets
 * K2_REQUIRE_PROMTOOL=1, and a missing binary then fails the test file instead of
 * skipping what only a real promtool can show.
 */
export const testPromtool = available('promtool')
  ? new Promtool('promtool')
  : undefined;
if (!testPromtool && process.env.K2_REQUIRE_PROMTOOL === '1') {
  throw new Error(
    'promtool is missing and K2_REQUIRE_PROMTOOL=1 says rule groups must be checked by a real promtool; install it (apt-get install -y prometheus)',
  );
}

/** `it` when promtool is here, else a skipped test that says why. */
export const itWithPromtool = testPromtool ? it : it.skip;
