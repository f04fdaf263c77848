import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { removeLeftoverWorkDirs, workDirPrefix } from './workDirs';

/** The id of a process that ran and is gone. */
function deadPid(): number {
  const { pid } = spawnSync('true');
  return pid!;
}

describe('build directories of stopped backends', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-work-dirs-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const makeBuildDir = (name: string) => {
    fs.mkdirSync(path.join(root, name, 'source'), { recursive: true });
    fs.writeFileSync(path.join(root, name, 'auth.json'), '{"auths":{}}\n', {
      mode: 0o600,
    });
  };

  it('removes the directories of a backend that is gone, with their auth files', async () => {
    const dead = `${workDirPrefix(deadPid())}a1b2c3`;
    makeBuildDir(dead);
    await expect(removeLeftoverWorkDirs(root)).resolves.toEqual([dead]);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('keeps the directories of this backend and of other running processes, and what it did not name', async () => {
    const mine = `${workDirPrefix()}d4e5f6`;
    const parents = `${workDirPrefix(process.ppid)}g7h8i9`;
    makeBuildDir(mine);
    makeBuildDir(parents);
    makeBuildDir('not-a-build');
    await expect(removeLeftoverWorkDirs(root)).resolves.toEqual([]);
    expect(fs.readdirSync(root).sort()).toEqual(
      [mine, parents, 'not-a-build'].sort(),
    );
  });

  it('has nothing to do before the first build made the directory', async () => {
    await expect(
      removeLeftoverWorkDirs(path.join(root, 'missing')),
    ).resolves.toEqual([]);
  });
});
