import { promises as fs } from 'fs';
import path from 'path';

/**
 * The name a build's directory under `<storageDir>/work` starts with: the backend's
 * process id, so a later backend can tell a dead backend's directories from a live one's.
 */
export function workDirPrefix(pid: number = process.pid): string {
  return `build-${pid}-`;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user has that id.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the build directories under `workRoot` of backends that are gone. A backend
 * stopped or killed during a build leaves its directory (the clone and the auth file
 * with the target registry's credentials): its shutdown does not wait for builds.
 * Directories of a running backend stay, and so does anything not named by
 * {@link workDirPrefix}. Returns the names removed.
 */
export async function removeLeftoverWorkDirs(
  workRoot: string,
): Promise<string[]> {
  const entries = await fs.readdir(workRoot).catch(error => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  const removed: string[] = [];
  for (const name of entries) {
    const match = /^build-(\d+)-/.exec(name);
    if (!match || alive(Number(match[1]))) continue;
    await fs.rm(path.join(workRoot, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed.sort();
}
