import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import { Bundle, BundleFile, ENTRY_FILE } from './bundle';
import { CommandResult, testNginxConfig } from './nginx';

/** What a release directory holds besides the bundle's files. */
const MARKER = '.k2-bundle.json';
/** The live link's name in nginx.conf's directory: `include k2/k2.conf;`. */
const LIVE = 'k2';
/** The agent's own directory next to the live link (same filesystem). */
const AGENT_DIR = '.k2-agent';
const RELEASES = 'releases';
/** Files written and fsynced at once while staging a bundle. */
const WRITE_CONCURRENCY = 16;

/** The version of a bundle on disk; `undefined` for the empty bootstrap release. */
export interface AppliedBundle {
  version: string;
  hash: string;
}

/** A bundle written to its release directory, not (yet) live. */
export interface StagedBundle {
  id: string;
}

export class LiveConfigError extends Error {
  name = 'LiveConfigError';
}

async function writeDurably(file: string, content: string) {
  const handle = await fs.promises.open(file, 'wx');
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string) {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function includesBundle(nginxConfText: string): boolean {
  return nginxConfText
    .split('\n')
    .map(line => line.replace(/#.*$/, ''))
    .join('\n')
    .match(/(^|[\s;{}])include\s+(["']?)k2\/k2\.conf\2\s*;/)
    ? true
    : false;
}

/**
 * The bundle Nginx reads, `<conf dir>/k2`, and the releases behind it.
 *
 * Invariants:
 * - `<conf dir>/k2` is a symlink to `.k2-agent/releases/<id>` and only ever changes by
 *   one rename(2) of a complete, fsynced link, so Nginx and a restarted agent see the
 *   old release or the new one, never a half-written one — whenever the agent dies.
 * - A release becomes live only after `nginx -t` passed on a candidate configuration
 *   that differs from the host's in exactly one place: `k2` resolves to that release.
 * - Anything under `.k2-agent/` that is not the live release is a leftover of an
 *   interrupted run and is removed by {@link LiveConfig.open}.
 */
export class LiveConfig {
  private readonly confDir: string;
  private readonly agentDir: string;
  private readonly releasesDir: string;

  private constructor(
    private readonly nginxBin: string,
    private readonly nginxConf: string,
    private readonly nginxPrefix: string | undefined,
  ) {
    this.confDir = path.dirname(nginxConf);
    this.agentDir = path.join(this.confDir, AGENT_DIR);
    this.releasesDir = path.join(this.agentDir, RELEASES);
  }

  /**
   * Checks that nginx.conf includes `k2/k2.conf`, removes leftovers of an interrupted
   * run and, on a host without `k2` yet, makes an empty bundle live so Nginx can start
   * with the include before K2's first bundle arrives.
   */
  static async open(options: {
    nginxBin: string;
    nginxConf: string;
    nginxPrefix?: string;
  }): Promise<LiveConfig> {
    let text: string;
    try {
      text = await fs.promises.readFile(options.nginxConf, 'utf8');
    } catch (e) {
      throw new LiveConfigError(
        `cannot read ${options.nginxConf}: ${(e as Error).message}`,
      );
    }
    if (!includesBundle(text)) {
      throw new LiveConfigError(
        `${options.nginxConf} does not include the bundle; add 'include ${ENTRY_FILE};' inside its http block`,
      );
    }
    const live = new LiveConfig(
      options.nginxBin,
      options.nginxConf,
      options.nginxPrefix,
    );
    await live.removeLeftovers();
    if ((await live.liveReleaseId()) === undefined) {
      const empty = await live.stageFiles(
        [{ path: ENTRY_FILE, content: '' }],
        undefined,
      );
      await live.swap(empty);
    }
    return live;
  }

  /** The path Nginx reads the bundle from. */
  get livePath(): string {
    return path.join(this.confDir, LIVE);
  }

  /** The bundle version Nginx's configuration currently includes, if any. */
  async applied(): Promise<AppliedBundle | undefined> {
    const id = await this.liveReleaseId();
    if (!id) return undefined;
    try {
      const marker = JSON.parse(
        await fs.promises.readFile(
          path.join(this.releasesDir, id, MARKER),
          'utf8',
        ),
      );
      return marker.version ? marker : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes `bundle` to a new release directory; nothing Nginx reads changes. */
  async stage(bundle: Bundle): Promise<StagedBundle> {
    return this.stageFiles(bundle.files, bundle);
  }

  /**
   * Runs `nginx -t` on the host's nginx.conf with `k2` resolving to the staged release:
   * a directory beside the releases mirrors nginx.conf's directory entry by entry
   * (symlinks), except `k2`. nginx resolves relative paths from the directory of the
   * file it is given, so every relative include reads the host's files and the staged
   * bundle. Temp paths are cut from nginx's output, which then names bundle files as
   * `k2/...`.
   */
  async test(staged: StagedBundle): Promise<CommandResult> {
    const testDir = path.join(this.agentDir, `test-${staged.id}`);
    await fs.promises.mkdir(testDir);
    try {
      for (const entry of await fs.promises.readdir(this.confDir)) {
        if (entry === LIVE || entry === AGENT_DIR) continue;
        await fs.promises.symlink(
          path.join(this.confDir, entry),
          path.join(testDir, entry),
        );
      }
      await fs.promises.symlink(
        path.join('..', RELEASES, staged.id),
        path.join(testDir, LIVE),
      );
      const result = await testNginxConfig(
        this.nginxBin,
        path.join(testDir, path.basename(this.nginxConf)),
        this.nginxPrefix,
      );
      return {
        ok: result.ok,
        output: result.output.split(`${testDir}/`).join(''),
      };
    } finally {
      await fs.promises.rm(testDir, { recursive: true, force: true });
    }
  }

  /**
   * Makes the staged release live with one rename of a symlink over `k2`, then removes
   * the release it replaced.
   */
  async swap(staged: StagedBundle): Promise<void> {
    const link = path.join(this.agentDir, `link-${staged.id}`);
    await fs.promises.symlink(path.join(AGENT_DIR, RELEASES, staged.id), link);
    await fs.promises.rename(link, this.livePath);
    await syncDir(this.confDir);
    await this.removeLeftovers();
  }

  /** Removes a staged release that will not go live. */
  async discard(staged: StagedBundle): Promise<void> {
    await fs.promises.rm(path.join(this.releasesDir, staged.id), {
      recursive: true,
      force: true,
    });
  }

  private async stageFiles(
    files: BundleFile[],
    bundle: Bundle | undefined,
  ): Promise<StagedBundle> {
    const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const dir = path.join(this.releasesDir, id);
    await fs.promises.mkdir(dir, { recursive: true });
    const dirs = new Set(
      files.map(f =>
        path.dirname(path.join(dir, f.path.slice(LIVE.length + 1))),
      ),
    );
    for (const d of dirs) await fs.promises.mkdir(d, { recursive: true });
    for (let i = 0; i < files.length; i += WRITE_CONCURRENCY) {
      await Promise.all(
        files
          .slice(i, i + WRITE_CONCURRENCY)
          .map(f =>
            writeDurably(
              path.join(dir, f.path.slice(LIVE.length + 1)),
              f.content,
            ),
          ),
      );
    }
    await writeDurably(
      path.join(dir, MARKER),
      JSON.stringify(
        bundle
          ? { version: bundle.version, hash: bundle.hash }
          : { version: null },
      ),
    );
    for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
      await syncDir(d);
    }
    await syncDir(this.releasesDir);
    return { id };
  }

  /** The release `k2` points to; throws when `k2` is something the agent did not make. */
  private async liveReleaseId(): Promise<string | undefined> {
    let target: string;
    try {
      target = await fs.promises.readlink(this.livePath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'EINVAL') {
        throw new LiveConfigError(
          `${this.livePath} is not a symlink the agent made; move it away so the agent can manage it`,
        );
      }
      throw e;
    }
    const prefix = `${path.join(AGENT_DIR, RELEASES)}/`;
    if (!target.startsWith(prefix)) {
      throw new LiveConfigError(
        `${this.livePath} points to ${target}, not to a release of the agent; move it away so the agent can manage it`,
      );
    }
    return target.slice(prefix.length);
  }

  private async removeLeftovers() {
    const liveId = await this.liveReleaseId();
    await fs.promises.mkdir(this.releasesDir, { recursive: true });
    for (const entry of await fs.promises.readdir(this.agentDir)) {
      if (entry === RELEASES) continue;
      await fs.promises.rm(path.join(this.agentDir, entry), {
        recursive: true,
        force: true,
      });
    }
    for (const entry of await fs.promises.readdir(this.releasesDir)) {
      if (entry === liveId) continue;
      await fs.promises.rm(path.join(this.releasesDir, entry), {
        recursive: true,
        force: true,
      });
    }
  }
}
