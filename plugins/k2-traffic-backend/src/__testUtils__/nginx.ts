import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** The nginx binary tests run `nginx -t` with: Debian's, or one on PATH. */
export const NGINX = fs.existsSync('/usr/sbin/nginx')
  ? '/usr/sbin/nginx'
  : 'nginx';

function available() {
  try {
    execFileSync(NGINX, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether nginx is here. `./k2 test` installs it and sets K2_REQUIRE_NGINX=1, and a
 * missing binary then fails the test file instead of skipping what only a real
 * `nginx -t` can show.
 */
export const haveNginx = available();
if (!haveNginx && process.env.K2_REQUIRE_NGINX === '1') {
  throw new Error(
    `${NGINX} is missing and K2_REQUIRE_NGINX=1 says configs must be checked by a real nginx -t; install it (apt-get install -y nginx)`,
  );
}

/** `it` when nginx is here, else a skipped test that says why. */
export const itWithNginx = haveNginx ? it : it.skip;
