import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import {
  hasDockerRegistry,
  LocalRegistry,
  startLocalRegistry,
} from './localRegistry';
import { parsePushReferences } from './pushReferences';

/**
 * `k2-sandbox-registry push` against a real registry (Debian's `docker-registry`). With
 * K2_REQUIRE_REGISTRY=1 (`./k2 test`) a missing registry fails this test; run by hand
 * without it, it is reported as skipped, never passed.
 */
const haveRegistry = hasDockerRegistry();
if (!haveRegistry && process.env.K2_REQUIRE_REGISTRY === '1') {
  throw new Error(
    'docker-registry is missing and K2_REQUIRE_REGISTRY=1 says pushes must be tested; install it (apt-get install -y docker-registry)',
  );
}
const describeWithRegistry = haveRegistry ? describe : describe.skip;

jest.setTimeout(60_000);

const CLI = path.resolve(__dirname, '../../bin/k2-sandbox-registry');
const run = promisify(execFile);

describeWithRegistry('k2-sandbox-registry push', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-registry-push-'));
  let registry: LocalRegistry;

  beforeAll(async () => {
    registry = await startLocalRegistry({ rootDirectory: dir });
  });

  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function tags(repository: string) {
    const res = await fetch(`${registry.url}/v2/${repository}/tags/list`);
    return res.status === 404
      ? undefined
      : ((await res.json()) as { tags: string[] }).tags.sort();
  }

  it('pushes each tag to its repository, with or without the registry host', async () => {
    const { stdout } = await run(process.execPath, [
      CLI,
      'push',
      '--url',
      registry.url,
      'payments-core/ledger-service:2.0.0',
      'registry.northwind.example/payments-core/ledger-service:2.1.0-crashloop',
      'shop/cart:1.0.0',
    ]);
    expect(await tags('payments-core/ledger-service')).toEqual([
      '2.0.0',
      '2.1.0-crashloop',
    ]);
    expect(await tags('shop/cart')).toEqual(['1.0.0']);
    expect(stdout).toContain(
      `pushed payments-core/ledger-service:2.0.0, payments-core/ledger-service:2.1.0-crashloop to ${registry.url}`,
    );
  });

  it('fails naming a reference without a tag, and pushes nothing', async () => {
    await expect(
      run(process.execPath, [
        CLI,
        'push',
        '--url',
        registry.url,
        'shop/other:1.0.0',
        'shop/other',
      ]),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        "k2-sandbox-registry: 'shop/other' is not REPOSITORY:TAG",
      ),
    });
    expect(await tags('shop/other')).toBeUndefined();
  });
});

describe('push references', () => {
  it('groups tags by repository path, once each', () => {
    expect(
      parsePushReferences([
        'registry.example.com:5000/team/app:1.0',
        'team/app:1.0',
        'team/app:1.1',
        'nginx:1.27',
      ]),
    ).toEqual(
      new Map([
        ['team/app', ['1.0', '1.1']],
        ['nginx', ['1.27']],
      ]),
    );
    expect(() =>
      parsePushReferences([`team/app@sha256:${'a'.repeat(64)}`]),
    ).toThrow('is not REPOSITORY:TAG');
  });
});
