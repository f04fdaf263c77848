import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  baseImagesBuilder,
  usesK2BaseImage,
  waitForBaseImages,
} from './baseImagesWait';

describe('waiting for the base images', () => {
  let cache: string;
  let builder: ChildProcess;

  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-base-cache-'));
    builder = spawn('sleep', ['60'], { stdio: 'ignore' });
  });

  afterEach(() => {
    builder.kill('SIGKILL');
    fs.rmSync(cache, { recursive: true, force: true });
  });

  const exited = (child: ChildProcess) =>
    new Promise(resolve => child.once('exit', resolve));

  it('knows which Dockerfiles start from a K2 base image', () => {
    expect(
      usesK2BaseImage(
        'FROM registry.northwind.example/k2-base/node-build:18-bookworm AS build\n',
      ),
    ).toBe(true);
    expect(
      usesK2BaseImage(
        'FROM node:22 AS build\nfrom --platform=linux/amd64 registry.northwind.example/k2-base/node:18-bookworm\n',
      ),
    ).toBe(true);
    expect(usesK2BaseImage('FROM node:22-bookworm-slim\n# k2-base/\n')).toBe(
      false,
    );
  });

  it('sees a builder only while the process its file names is alive', async () => {
    expect(await baseImagesBuilder(cache)).toBeUndefined();
    fs.writeFileSync(path.join(cache, '.building'), `${builder.pid}\n`);
    expect(await baseImagesBuilder(cache)).toBe(builder.pid);
    builder.kill('SIGKILL');
    await exited(builder);
    expect(await baseImagesBuilder(cache)).toBeUndefined();
    fs.writeFileSync(path.join(cache, '.building'), 'not a pid');
    expect(await baseImagesBuilder(cache)).toBeUndefined();
  });

  it('waits while they are built, saying so, and goes on when the builder is done', async () => {
    fs.writeFileSync(path.join(cache, '.building'), `${builder.pid}\n`);
    const lines: string[] = [];
    let done = false;
    const waiting = waitForBaseImages(
      cache,
      new AbortController().signal,
      line => lines.push(line),
    ).then(() => {
      done = true;
    });
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(done).toBe(false);
    expect(lines).toEqual([
      "Waiting for K2's base images, which are being built now (./k2 start logs that in .k2/base-images.log)",
    ]);
    fs.rmSync(path.join(cache, '.building'));
    await waiting;
    expect(lines[1]).toMatch(/^The base images are ready \(waited \d+ s\)$/);
  });

  it('returns at once when nothing builds them, and when the build is stopped', async () => {
    const lines: string[] = [];
    await waitForBaseImages(cache, new AbortController().signal, line =>
      lines.push(line),
    );
    expect(lines).toEqual([]);

    fs.writeFileSync(path.join(cache, '.building'), `${builder.pid}\n`);
    const stop = new AbortController();
    const waiting = waitForBaseImages(cache, stop.signal, line =>
      lines.push(line),
    );
    stop.abort();
    await waiting;
    expect(lines).toHaveLength(1);
  });
});
