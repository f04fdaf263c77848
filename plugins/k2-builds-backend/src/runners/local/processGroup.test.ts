import { spawn } from 'child_process';
import path from 'path';
import { processesWith } from '../../__testUtils__/processes';
import { runInGroup } from './processGroup';

jest.setTimeout(30_000);

const TRANSFORM = require.resolve('@backstage/cli/config/nodeTransform.cjs');
const FIXTURE = path.resolve(__dirname, '__testUtils__', 'abortThenExit.ts');

/** Polls until no process has `text` in its command line, or gives up after 10 s. */
async function goneOrStill(text: string): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    if (processesWith(text).length === 0) return [];
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return processesWith(text);
}

describe('runInGroup', () => {
  it('ends a group that ignores SIGTERM with SIGKILL after the grace', async () => {
    const marker = '4646.5';
    const controller = new AbortController();
    const lines: string[] = [];
    const exit = runInGroup(
      'sh',
      ['-c', `trap "" TERM; echo started; exec sleep ${marker}`],
      {
        env: { PATH: process.env.PATH },
        signal: controller.signal,
        graceMs: 500,
        onLine: line => {
          lines.push(line);
          controller.abort();
        },
      },
    );
    await expect(exit).resolves.toEqual({ kind: 'aborted' });
    expect(lines).toEqual(['started']);
    expect(await goneOrStill(`sleep ${marker}`)).toEqual([]);
  });

  it('leaves nothing of a group behind when the backend exits before the grace is up', async () => {
    const marker = '4747.5';
    const child = spawn(
      process.execPath,
      [
        '--require',
        TRANSFORM,
        FIXTURE,
        'sh',
        '-c',
        // The step ignores SIGTERM; its sleep inherits that.
        `trap "" TERM; echo started; sleep ${marker}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
    );
    let output = '';
    child.stdout.on('data', chunk => (output += chunk));
    child.stderr.on('data', chunk => (output += chunk));
    const code = await new Promise(resolve => child.on('exit', resolve));
    expect({ code, output }).toEqual({ code: 0, output: 'started\n' });
    try {
      expect(await goneOrStill(`sleep ${marker}`)).toEqual([]);
    } finally {
      for (const line of processesWith(`sleep ${marker}`)) {
        process.kill(Number(line.split(':')[0]), 'SIGKILL');
      }
    }
  });
});
