import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { hasDockerRegistry } from '@internal/sandbox-cluster';
import { execFile, execFileSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';

const execFileAsync = promisify(execFile);

/** busybox-static's binary, the one file of the busybox base image. */
export const BUSYBOX = '/bin/busybox';
/** The busybox base as the development registry names it. */
export const BUSYBOX_BASE = 'k2-base/busybox:1.35.0';

/**
 * `describe` for tests that build for real: Debian's buildah, busybox-static for the base
 * image and docker-registry, plus `also` (files of other packages a test needs).
 * `./k2 test` sets K2_REQUIRE_BUILDAH=1 once they are installed, and then a missing one
 * fails the file at once, naming what to install; run by hand without them, the tests
 * are skipped, never passed.
 */
export function describeWithBuildTools(
  also: Array<{ file: string; apt: string }> = [],
): jest.Describe {
  const missing: string[] = [];
  try {
    execFileSync('buildah', ['version'], { stdio: 'ignore' });
  } catch {
    missing.push('buildah');
  }
  if (!existsSync(BUSYBOX)) missing.push('busybox-static');
  if (!hasDockerRegistry()) missing.push('docker-registry');
  for (const { file, apt } of also) {
    if (!existsSync(file)) missing.push(apt);
  }
  if (missing.length === 0) return describe;
  if (process.env.K2_REQUIRE_BUILDAH === '1') {
    throw new Error(
      `${missing.join(
        ', ',
      )} missing and K2_REQUIRE_BUILDAH=1 says builds must be tested; install them (apt-get install -y ${missing.join(
        ' ',
      )})`,
    );
  }
  return describe.skip;
}

/**
 * Builds the busybox base image from its recipe (`base-images/busybox`) with buildah
 * in a storage of its own and pushes it to `registryHost` (`127.0.0.1:<port>`, plain
 * HTTP) as `k2-base/busybox:1.35.0`, the way `k2_build_base_images` does. About a
 * second. For tests of builds that need a real base image.
 */
export async function pushBusyboxBase(registryHost: string): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-busybox-base-'));
  try {
    const context = path.join(work, 'context');
    await fs.cp(
      resolvePackagePath(
        '@internal/plugin-k2-builds-backend',
        'base-images/busybox',
      ),
      context,
      { recursive: true },
    );
    await fs.copyFile(BUSYBOX, path.join(context, 'busybox'));
    const policy = path.join(work, 'policy.json');
    await fs.writeFile(
      policy,
      JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }),
    );
    const storage = [
      '--root',
      path.join(work, 'storage'),
      '--runroot',
      path.join(work, 'run'),
      '--storage-driver',
      'vfs',
    ];
    const env = { PATH: process.env.PATH, HOME: work, TMPDIR: work };
    await execFileAsync(
      'buildah',
      [
        ...storage,
        'bud',
        '--isolation',
        'chroot',
        '--signature-policy',
        policy,
        '-t',
        'localhost/k2-base/busybox',
        context,
      ],
      { env },
    );
    await execFileAsync(
      'buildah',
      [
        ...storage,
        'push',
        '--signature-policy',
        policy,
        '--tls-verify=false',
        'localhost/k2-base/busybox',
        `docker://${registryHost}/${BUSYBOX_BASE}`,
      ],
      { env },
    );
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
