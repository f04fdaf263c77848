import type {
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import {
  K2ConfigError,
  tryParseImageReference,
} from '@internal/plugin-k2-common';
import {
  readRegistries,
  registryLocationOf,
  RegistryConfig,
} from '@internal/plugin-k2-node';
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { readBuildsConfig } from '../../config/readBuildsConfig';
import { cloneAt, gitEnv, SourceHost } from '../../sources';
import {
  BackendStoppingReason,
  BuildJob,
  BuildLogSink,
  BuildOutcome,
  BuildRunner,
} from '../types';
import {
  authFile,
  endpointOf,
  registriesConf,
  SIGNATURE_POLICY,
} from './buildahFiles';
import { usesK2BaseImage, waitForBaseImages } from './baseImagesWait';
import { GroupExit, KILL_GRACE_MS, runInGroup } from './processGroup';
import { removeLeftoverWorkDirs, workDirPrefix } from './workDirs';

/** Where buildah keeps images and containers unless `k2.builds.local.storageDir` says otherwise. */
export const DEFAULT_STORAGE_DIR = '.k2/buildah';

/** What a `LocalBuildRunner` is built from. */
export interface LocalBuildRunnerOptions {
  config: RootConfigService;
  logger: LoggerService;
  /** The buildah binary. Default `buildah` on the PATH. */
  buildah?: string;
  /** Between SIGTERM and SIGKILL of a cancelled build's processes. Default 10 s. */
  killGraceMs?: number;
}

/** The last non-empty line of a step's output, for a failed build's one-line reason. */
function lastLine(lines: string[]) {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (line) return line;
  }
  return '';
}

class StepFailed extends Error {}

/** buildah's line for a `FROM` image of K2's base images the registry does not have. */
const MISSING_BASE_IMAGE =
  /initializing source docker:\/\/(\S+\/k2-base\/[^\s:]+:[^\s:]+): .*manifest unknown/;

/**
 * Builds with Debian's `buildah` as a child process of the backend (development and
 * CI): no daemon, as root or rootless with a subuid range, in a storage of its own under
 * `k2.builds.local.storageDir` (`--storage-driver vfs`, chroot isolation, no layer
 * cache, as ADR 0003 measured). Each build gets a directory of its own with the
 * clone, the Dockerfile, a `registries.conf` generated from `k2.registries` and an
 * auth file holding only the target registry's credentials; the directory and the
 * built image are removed when the build ends, the base images stay.
 */
export class LocalBuildRunner implements BuildRunner {
  readonly kind = 'local' as const;
  private readonly logger: LoggerService;
  private readonly buildah: string;
  private readonly storageDir: string;
  private readonly registries: Map<string, RegistryConfig>;
  private readonly sources: SourceHost[];
  private readonly killGraceMs: number;
  /** Where `k2_build_base_images` builds K2's base images, when configured. */
  private readonly baseImagesCache?: string;
  /** Builds of this runner in progress, so a sweep of leftovers never touches a running one. */
  private running = 0;
  /** The sweep of what stopped backends left, before this runner's first build. */
  private swept?: Promise<void>;

  constructor(options: LocalBuildRunnerOptions) {
    this.logger = options.logger;
    this.buildah = options.buildah ?? 'buildah';
    this.killGraceMs = options.killGraceMs ?? KILL_GRACE_MS;
    const storageDir =
      options.config.getOptionalString('k2.builds.local.storageDir') ??
      DEFAULT_STORAGE_DIR;
    if (!storageDir.trim()) {
      throw new K2ConfigError(
        'k2.builds.local.storageDir',
        'must be a directory, not empty',
      );
    }
    this.storageDir = path.resolve(storageDir);
    const baseImagesCache = options.config.getOptionalString(
      'k2.builds.local.baseImagesCache',
    );
    this.baseImagesCache = baseImagesCache
      ? path.resolve(baseImagesCache)
      : undefined;
    this.registries = readRegistries(options.config);
    this.sources = readBuildsConfig(options.config).sources;
  }

  /** buildah's global options: K2's own storage, vfs. */
  private storageArgs() {
    return [
      '--root',
      path.join(this.storageDir, 'storage'),
      '--runroot',
      path.join(this.storageDir, 'run'),
      '--storage-driver',
      'vfs',
    ];
  }

  async available(): Promise<{ ok: true } | { ok: false; reason: string }> {
    // A discriminated answer, not `instanceof Error`: child_process's errors may come
    // from another realm (Jest's sandbox).
    const failure = await new Promise<
      { code?: string | number; message: string } | undefined
    >(resolve =>
      execFile(this.buildah, ['version'], { timeout: 15_000 }, error =>
        resolve(error ?? undefined),
      ),
    );
    if (failure) {
      return {
        ok: false,
        reason:
          failure.code === 'ENOENT'
            ? 'buildah is not installed on the backend’s host (Debian: apt-get install buildah)'
            : `buildah does not run: ${failure.message.split('\n')[0]}`,
      };
    }
    if (process.getuid?.() === 0) return { ok: true };
    const user = os.userInfo();
    const subuid = await fs.readFile('/etc/subuid', 'utf8').catch(() => '');
    const hasRange = subuid.split('\n').some(line => {
      const [owner] = line.split(':');
      return owner === user.username || owner === String(user.uid);
    });
    return hasRange
      ? { ok: true }
      : {
          ok: false,
          reason: `the user ${user.username} has no range in /etc/subuid, which rootless buildah needs (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user.username})`,
        };
  }

  async run(
    job: BuildJob,
    log: BuildLogSink,
    signal: AbortSignal,
  ): Promise<BuildOutcome> {
    const registry = this.registries.get(job.target.registryHost);
    if (!registry) {
      return {
        result: 'failed',
        reason: `The registry ${job.target.registryHost} is not in k2.registries`,
      };
    }
    const image = tryParseImageReference(job.target.image);
    const location = image && registryLocationOf(image);
    if (
      !image ||
      !location ||
      location.registry !== registry.host ||
      image.implicitTag ||
      !image.tag ||
      image.digest
    ) {
      return {
        result: 'failed',
        reason: `The image ${job.target.image} is not a tag in ${registry.host}`,
      };
    }

    // One signal for cancel and timeout; which of them it was is kept apart.
    const stop = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop.abort();
    }, job.timeoutMs);
    const onCancel = () => stop.abort();
    if (signal.aborted) stop.abort();
    signal.addEventListener('abort', onCancel, { once: true });

    const secrets = [
      registry.credentials?.password,
      ...this.sources.map(source => source.token),
    ].filter((value): value is string => Boolean(value));
    const write = (line: string) => {
      let safe = line;
      for (const secret of secrets) safe = safe.split(secret).join('***');
      log.write(`${safe}\n`);
    };

    this.swept ??= this.removeLeftovers();
    await this.swept;
    this.running += 1;
    const localName = `localhost/k2-build/${job.id}`;
    let built = false;
    let work: string | undefined;
    try {
      await fs.mkdir(path.join(this.storageDir, 'work'), { recursive: true });
      work = await fs.mkdtemp(
        path.join(this.storageDir, 'work', workDirPrefix()),
      );
      const files = {
        registries: path.join(work, 'registries.conf'),
        auth: path.join(work, 'auth.json'),
        policy: path.join(work, 'policy.json'),
        dockerfile: path.join(work, 'Dockerfile'),
        digest: path.join(work, 'digest'),
        source: path.join(work, 'source'),
        home: path.join(work, 'home'),
      };
      await fs.writeFile(
        files.registries,
        registriesConf(this.registries.values()),
      );
      await fs.writeFile(files.auth, authFile(registry), { mode: 0o600 });
      await fs.writeFile(files.policy, SIGNATURE_POLICY);
      await fs.writeFile(files.dockerfile, job.dockerfile);
      await fs.mkdir(files.home, { mode: 0o700 });

      write(
        `Cloning ${job.source.url} at ${job.source.ref} (${job.source.commit})`,
      );
      await cloneAt(
        job.source.url,
        job.source.ref,
        job.source.commit,
        files.source,
        gitEnv(this.sources, job.source.url),
        stop.signal,
      ).catch(error => {
        if (stop.signal.aborted) throw error;
        throw new StepFailed((error as Error).message);
      });

      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: files.home,
        TMPDIR: work,
        LC_ALL: 'C',
        CONTAINERS_REGISTRIES_CONF: files.registries,
        REGISTRY_AUTH_FILE: files.auth,
        BUILDAH_ISOLATION: 'chroot',
      };
      const step = async (args: string[], failure: string) => {
        const lines: string[] = [];
        const exit: GroupExit = await runInGroup(
          this.buildah,
          [...this.storageArgs(), ...args],
          {
            env,
            signal: stop.signal,
            graceMs: this.killGraceMs,
            onLine: line => {
              lines.push(line);
              if (lines.length > 50) lines.shift();
              write(line);
            },
          },
        );
        if (exit.kind === 'aborted') throw new StepFailed('aborted');
        const missingBase = lines
          .map(line => MISSING_BASE_IMAGE.exec(line)?.[1])
          .find(Boolean);
        if (exit.code !== 0 && missingBase) {
          const hint = `The base image ${missingBase} is not in the registry yet. In development, ./k2 start builds K2's busybox, Debian and Node base images in the background (log: .k2/base-images.log); the Python, Go and Java ones are built by hand: bash scripts/lib/base-images.sh http://127.0.0.1:7104 .k2/cache/base-images python go-build java-build java`;
          write(hint);
          throw new StepFailed(
            `The base image ${missingBase} is not in the registry`,
          );
        }
        if (exit.code !== 0) {
          throw new StepFailed(
            `${failure}: ${
              lastLine(lines) || `exit ${exit.code ?? exit.signal}`
            }`,
          );
        }
      };

      if (this.baseImagesCache && usesK2BaseImage(job.dockerfile)) {
        await waitForBaseImages(this.baseImagesCache, stop.signal, write);
        if (stop.signal.aborted) throw new StepFailed('aborted');
      }
      await step(
        [
          'bud',
          '--isolation',
          'chroot',
          // A failed step's working container goes too, not only a good build's
          // (buildah 1.28 takes --force-rm only with --layers or --no-cache; without
          // --layers there is no cache for --no-cache to skip).
          '--no-cache',
          '--force-rm',
          // Pulls a base image when it is missing or the registry has a newer one.
          '--pull=true',
          '--signature-policy',
          files.policy,
          '--label',
          `org.opencontainers.image.revision=${job.source.commit}`,
          '--label',
          `org.opencontainers.image.source=${job.source.url}`,
          '-f',
          files.dockerfile,
          '-t',
          localName,
          files.source,
        ],
        'The build failed',
      );
      built = true;
      const destination = `docker://${endpointOf(registry)}/${location.path}:${
        image.tag
      }`;
      write(`Pushing ${job.target.image}`);
      await step(
        [
          'push',
          '--signature-policy',
          files.policy,
          '--digestfile',
          files.digest,
          localName,
          destination,
        ],
        `The push to ${registry.host} failed`,
      );
      const digest = (await fs.readFile(files.digest, 'utf8')).trim();
      write(`Pushed ${job.target.image} (${digest})`);
      return { result: 'pushed' };
    } catch (error) {
      if (stop.signal.aborted) {
        let ending = 'The build was cancelled';
        if (timedOut) {
          ending = `The build ran out of its time (${Math.round(
            job.timeoutMs / 1000,
          )} s) and was stopped`;
        } else if (signal.reason instanceof BackendStoppingReason) {
          ending = 'The build was stopped: the backend stopped';
        }
        write(ending);
        return timedOut ? { result: 'timed-out' } : { result: 'cancelled' };
      }
      if (error instanceof StepFailed) {
        return { result: 'failed', reason: error.message };
      }
      this.logger.error(
        `Build ${job.id} of ${job.service} failed to run`,
        error as Error,
      );
      return {
        result: 'failed',
        reason: `The build could not run: ${(error as Error).message}`,
      };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onCancel);
      this.running -= 1;
      // The clone and the auth file first: the backend may be stopping, and exit
      // before buildah's cleanup is done.
      if (work) await fs.rm(work, { recursive: true, force: true });
      await this.cleanUp(localName, built, stop.signal.aborted);
    }
  }

  /**
   * A backend stopped or killed during a build leaves the build's directory (the
   * clone, the auth file) and buildah's working container: its shutdown does not
   * wait for builds. Before the first build here, the directories of backends that
   * are gone are removed, and when there were any, their containers and images too.
   */
  private async removeLeftovers() {
    try {
      const removed = await removeLeftoverWorkDirs(
        path.join(this.storageDir, 'work'),
      );
      if (removed.length === 0) return;
      this.logger.info(
        `Removed ${removed.length} build directories left by a backend that stopped during a build`,
      );
      await this.cleanUp(undefined, false, true);
    } catch (error) {
      this.logger.warn(
        `Could not remove what earlier builds left in ${this.storageDir}`,
        error as Error,
      );
    }
  }

  /**
   * Removes the build's image, and after a stopped build whatever its killed buildah
   * left (working containers, dangling images) once no other build of this runner runs.
   */
  private async cleanUp(
    localName: string | undefined,
    built: boolean,
    stopped: boolean,
  ) {
    const quiet = (args: string[]) =>
      new Promise<void>(resolve =>
        execFile(
          this.buildah,
          [...this.storageArgs(), ...args],
          { timeout: 60_000 },
          () => resolve(),
        ),
      );
    if (localName && (built || stopped)) {
      await quiet(['rmi', '--force', localName]);
    }
    if (stopped && this.running === 0) {
      await quiet(['rm', '--all']);
      await quiet(['rmi', '--prune']);
    }
  }
}
