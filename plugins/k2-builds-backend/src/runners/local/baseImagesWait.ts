import { promises as fs } from 'fs';
import path from 'path';

/** How often a waiting build looks again. */
const POLL_MS = 2_000;

/** Whether a Dockerfile starts a stage from one of K2's base images. */
export function usesK2BaseImage(dockerfile: string): boolean {
  return /^\s*FROM\s+(?:--\S+\s+)*\S*\/k2-base\//im.test(dockerfile);
}

/**
 * The process building K2's base images into `cacheDir` (`k2_build_base_images`
 * writes its pid to `.building` while it runs), or undefined when none is: no file,
 * or the process it names is gone (a run that was killed).
 */
export async function baseImagesBuilder(
  cacheDir: string,
): Promise<number | undefined> {
  const text = await fs
    .readFile(path.join(cacheDir, '.building'), 'utf8')
    .catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * Waits while K2's base images are being built into `cacheDir`, saying so once in
 * the build's log; returns at once when they are not. Ends early when `signal` aborts.
 */
export async function waitForBaseImages(
  cacheDir: string,
  signal: AbortSignal,
  write: (line: string) => void,
): Promise<void> {
  if ((await baseImagesBuilder(cacheDir)) === undefined) return;
  write(
    "Waiting for K2's base images, which are being built now (./k2 start logs that in .k2/base-images.log)",
  );
  const started = Date.now();
  while (!signal.aborted && (await baseImagesBuilder(cacheDir)) !== undefined) {
    await new Promise<void>(resolve => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      timer = setTimeout(done, POLL_MS);
      signal.addEventListener('abort', done, { once: true });
    });
  }
  if (!signal.aborted) {
    write(
      `The base images are ready (waited ${Math.round(
        (Date.now() - started) / 1000,
      )} s)`,
    );
  }
}
