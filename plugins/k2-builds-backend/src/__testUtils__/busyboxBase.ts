import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';

const execFileAsync = promisify(execFile);

/** busybox-static's binary, the one file of the busybox base image. */
export const BUSYBOX = '/bin/busybox';
/** The busybox base as the development registry names it. */
export const BUSYBOX_BASE = 'k2-base/busybox:1.35.0';

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
