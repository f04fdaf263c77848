import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createContext, runInContext } from 'node:vm';

// The frontend marks lint problems in an editor, so the lint and everything it imports,
// down to the parser's dependencies, must run in a browser. This bundles it as the
// app's bundler does (the `browser` fields of packages win, Node built-ins cannot be
// resolved, `Buffer` is the `buffer` package that Backstage's bundler provides:
// dockerfile-ast reads it) and runs the bundle where there is no require, process or
// global Buffer. esbuild runs in a process of its own: it refuses Jest's sandbox,
// whose typed arrays differ.
describe('lintDockerfile in the browser', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'k2-lint-browser-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles without Node built-ins and runs without Node globals', () => {
    // The app's bundler, as @backstage/cli (a devDependency here) finds it.
    const bundler = dirname(
      require.resolve('@backstage/cli-module-build/package.json', {
        paths: [dirname(require.resolve('@backstage/cli/package.json'))],
      }),
    );
    const buffer = require.resolve('buffer/', { paths: [bundler] });
    const inject = join(dir, 'provide.js');
    writeFileSync(
      inject,
      `export { Buffer } from ${JSON.stringify(buffer)};\n`,
    );

    const esbuild = spawnSync(
      process.execPath,
      [
        require.resolve('esbuild/bin/esbuild'),
        join(__dirname, 'lintDockerfile.ts'),
        '--bundle',
        '--platform=browser',
        '--format=iife',
        '--global-name=k2Lint',
        `--inject:${inject}`,
        '--define:process.env.NODE_ENV="production"',
        '--log-level=error',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    expect(esbuild.stderr).toBe('');
    expect(esbuild.status).toBe(0);
    const bundle = esbuild.stdout;
    // The parser itself is in the bundle, not left out.
    expect(bundle).toContain('node_modules/dockerfile-ast/lib/parser.js');

    const sandbox = createContext({});
    runInContext(bundle, sandbox);
    expect(
      runInContext('typeof require + typeof process + typeof Buffer', sandbox),
    ).toBe('undefinedundefinedundefined');
    const problems = runInContext(
      'k2Lint.lintDockerfile("FROM node\\nUSER root\\nCMD npm start\\n", { port: 8080 })',
      sandbox,
    );
    expect(
      problems.map(
        (p: { rule: string; line: number }) => `${p.rule}@${p.line}`,
      ),
    ).toEqual([
      'expose-port@1',
      'base-image-tag@1',
      'root-user@2',
      'shell-form@3',
    ]);
  });
});
