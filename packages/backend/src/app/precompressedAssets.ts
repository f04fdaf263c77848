import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import {
  coreServices,
  createBackendModule,
  resolvePackagePath,
  RootHttpRouterService,
} from '@backstage/backend-plugin-api';

type Handler = Parameters<RootHttpRouterService['use']>[1];

/** Content encodings the build writes, best first, with their file extension. */
const ENCODINGS = [
  { encoding: 'br', extension: 'br' },
  { encoding: 'gzip', extension: 'gz' },
] as const;

/**
 * How long a browser keeps a file of the build: every file under static/ carries a
 * hash of its content in its name, so a file of that name never changes.
 */
const MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

/** When the file at `path` was last written; undefined when there is no such file. */
async function modifiedAt(path: string): Promise<number | undefined> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The file under `dir` a request path names; undefined when it names none. */
function fileOf(dir: string, path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const file = resolve(dir, `.${decoded}`);
  return file.startsWith(`${dir}${sep}`) ? file : undefined;
}

/**
 * Serves `GET /static/<path>` from the compressed copies the app's build wrote
 * (`scripts/precompress-static.mjs`: `<compressedDir>/<path>.br` and `.gz`), in the
 * best encoding the request accepts, with `Content-Encoding`, `Vary: Accept-Encoding`,
 * the original's content type and a one-year immutable cache lifetime. Anything else
 * — no copy, an encoding the request does not accept, a path outside `staticDir` —
 * goes on to the app backend, which serves the original (compressed on the fly).
 *
 * Invariant: a copy is served only while it is at least as new as its original, so an
 * original changed after the build (the app backend can inject its config into a
 * script at start) is never answered with the stale copy.
 */
export function createPrecompressedAssetsHandler(options: {
  staticDir: string;
  compressedDir: string;
}): Handler {
  const staticDir = resolve(options.staticDir);
  const compressedDir = resolve(options.compressedDir);
  return async (req, res, next) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        next();
        return;
      }
      const original = fileOf(staticDir, req.path);
      const originalAt =
        original === undefined ? undefined : await modifiedAt(original);
      if (original === undefined || originalAt === undefined) {
        next();
        return;
      }
      for (const { encoding, extension } of ENCODINGS) {
        if (req.acceptsEncodings(encoding) !== encoding) continue;
        const copy = join(
          compressedDir,
          `${original.slice(staticDir.length)}.${extension}`,
        );
        const copyAt = await modifiedAt(copy);
        if (copyAt === undefined || copyAt < originalAt) continue;
        res.setHeader('Vary', 'Accept-Encoding');
        res.setHeader('Content-Encoding', encoding);
        res.type(extname(original));
        res.sendFile(
          copy,
          { maxAge: MAX_AGE_MS, immutable: true, acceptRanges: false },
          error => {
            if (error) next(error);
          },
        );
        return;
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * The app's static files in the compressed copies its build wrote
 * (`packages/app/dist/static-compressed`), mounted at `/static` on the root router
 * ahead of the app backend ({@link createPrecompressedAssetsHandler}). Without the
 * copies (a build that did not write them, or `yarn start`'s development server) it
 * adds nothing. An app with a public entry point (`dist/public`) is left to the app
 * backend alone, which decides per request which of its two builds a user may load.
 */
export const appModulePrecompressedAssets = createBackendModule({
  pluginId: 'app',
  moduleId: 'precompressed-assets',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        rootHttpRouter: coreServices.rootHttpRouter,
      },
      async init({ config, logger, rootHttpRouter }) {
        const appPackageName =
          config.getOptionalString('app.packageName') ?? 'app';
        let distDir: string;
        try {
          distDir = resolvePackagePath(appPackageName, 'dist');
        } catch {
          return;
        }
        const compressedDir = join(distDir, 'static-compressed');
        if (!(await isDirectory(compressedDir))) {
          return;
        }
        if (await isDirectory(join(distDir, 'public'))) {
          logger.info(
            'The app has a public entry point: its static files are compressed per request',
          );
          return;
        }
        rootHttpRouter.use(
          '/static',
          createPrecompressedAssetsHandler({
            staticDir: join(distDir, 'static'),
            compressedDir,
          }),
        );
        logger.info(
          `Serving the app's compressed static files from ${compressedDir}`,
        );
      },
    });
  },
});
