import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import { promisify } from 'util';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';

const execFileAsync = promisify(execFile);

/** Where `k2:publish:local-git` publishes: K2's local Git server (development). */
export interface K2LocalGitOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:7108`. */
  url: string;
  /** The file holding the push token (`.k2/git/.push-token`), read at each run. */
  tokenFile: string;
  /** The push user; default `k2`. */
  user?: string;
}

/**
 * The template globals a template names the local Git server with, so the same
 * template serves development (7108) and the end-to-end runs (7118):
 * `k2LocalGitHost` (`127.0.0.1:7108`, for `repoUrl`) and `k2LocalGitUrl`
 * (`http://127.0.0.1:7108`, for `backstage.io/source-location`).
 */
export function localGitTemplateGlobals(
  options: Pick<K2LocalGitOptions, 'url'>,
) {
  const url = new URL(options.url);
  return {
    k2LocalGitHost: url.host,
    k2LocalGitUrl: `${url.protocol}//${url.host}`,
  };
}

/** An owner or repository name as the local Git server accepts it. */
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * `owner` and `repo` of a `RepoUrlPicker` value (`127.0.0.1:7108?owner=payments&repo=ledger`)
 * that names the local Git server; anything else fails the step, naming the input.
 */
export function parseLocalRepoUrl(repoUrl: string, serverUrl: string) {
  let parsed: URL;
  try {
    parsed = new URL(`http://${repoUrl}`);
  } catch {
    throw new InputError(
      `repoUrl '${repoUrl}' is not host?owner=…&repo=… as RepoUrlPicker gives it`,
    );
  }
  const host = new URL(serverUrl).host;
  if (parsed.host !== host) {
    throw new InputError(
      `repoUrl names ${parsed.host}, not the local Git server ${host}; publish there with the forge's own publish action`,
    );
  }
  const owner = parsed.searchParams.get('owner') ?? '';
  const repo = parsed.searchParams.get('repo') ?? '';
  for (const [field, value] of [
    ['owner', owner],
    ['repo', repo],
  ] as const) {
    if (!NAME.test(value)) {
      throw new InputError(
        `repoUrl's ${field} '${value}' must be lower-case letters, digits and dashes (at most 63, starting with a letter or digit)`,
      );
    }
  }
  return { owner, repo };
}

/**
 * `k2:publish:local-git`: publishes the workspace to K2's local Git server, the way
 * `publish:github` does to GitHub: creates the repository through the server's
 * `POST /api/repos`, commits the workspace and pushes it to `main` with the git
 * client. The push token goes to git as an `http.<url>.extraHeader` in the child's
 * environment (`GIT_CONFIG_COUNT`), never in its arguments, a remote URL or the log.
 * Registered only when `k2.builds.localGit.url` is set (development).
 */
export function createK2PublishLocalGitAction(options: K2LocalGitOptions) {
  const serverUrl = options.url.replace(/\/+$/, '');
  const user = options.user ?? 'k2';

  return createTemplateAction({
    id: 'k2:publish:local-git',
    description:
      'Publishes the workspace to K2’s local Git server (development only; production templates use publish:github or publish:gitlab): ' +
      'creates the repository, commits the files and pushes them to main. ' +
      'Outputs remoteUrl (the clone URL), repoContentsUrl and catalogInfoUrl, which k2:catalog:register (or catalog:register, for a platform admin) reads.',
    examples: [
      {
        description:
          'Publish the new service and register its catalog-info.yaml',
        example: [
          'steps:',
          '  - id: publish',
          '    action: k2:publish:local-git',
          '    input:',
          '      repoUrl: ${{ parameters.repoUrl }}',
          '      description: ${{ parameters.description }}',
          '  - id: register',
          '    action: k2:catalog:register',
          '    input:',
          '      catalogInfoUrl: ${{ steps.publish.output.catalogInfoUrl }}',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        repoUrl: z =>
          z
            .string()
            .describe(
              'The repository as RepoUrlPicker gives it, e.g. 127.0.0.1:7108?owner=payments&repo=ledger',
            ),
        description: z =>
          z
            .string()
            .max(500)
            .optional()
            .describe('One line describing the repository'),
        sourcePath: z =>
          z
            .string()
            .optional()
            .describe(
              'A directory of the workspace to publish instead of the whole workspace',
            ),
        gitCommitMessage: z =>
          z
            .string()
            .optional()
            .describe('The first commit’s message; default "Initial commit"'),
        gitAuthorName: z =>
          z
            .string()
            .optional()
            .describe(
              'The commit’s author; default the user running the template',
            ),
        gitAuthorEmail: z =>
          z.string().optional().describe('The commit author’s email'),
      },
      output: {
        remoteUrl: z =>
          z
            .string()
            .describe(
              'The clone URL, e.g. http://127.0.0.1:7108/payments/ledger.git',
            ),
        repoContentsUrl: z =>
          z
            .string()
            .describe(
              'The URL files of main are read under (…/api/repos/<owner>/<name>/files)',
            ),
        catalogInfoUrl: z =>
          z.string().describe('The URL of catalog-info.yaml on main'),
        commitHash: z => z.string().describe('The commit pushed'),
      },
    },
    async handler(ctx) {
      const { owner, repo } = parseLocalRepoUrl(ctx.input.repoUrl, serverUrl);
      // Checked before anything is created: a sourcePath outside the workspace or
      // naming no directory fails the step with nothing on the server.
      let sourceDir: string;
      try {
        sourceDir = resolveSafeChildPath(
          ctx.workspacePath,
          ctx.input.sourcePath ?? '.',
        );
      } catch {
        throw new InputError(
          `sourcePath '${ctx.input.sourcePath}' is outside the workspace`,
        );
      }
      if (!(await fs.stat(sourceDir).catch(() => undefined))?.isDirectory()) {
        throw new InputError(
          `sourcePath '${ctx.input.sourcePath}' is not a directory of the workspace`,
        );
      }
      const token = (await fs.readFile(options.tokenFile, 'utf8')).trim();
      if (!token) {
        throw new Error(
          `The local Git server's push token file ${options.tokenFile} is empty; start the server with ./k2 start`,
        );
      }
      const basic = `Basic ${Buffer.from(`${user}:${token}`).toString(
        'base64',
      )}`;

      const created = await fetch(`${serverUrl}/api/repos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic },
        body: JSON.stringify({
          owner,
          name: repo,
          description: ctx.input.description ?? '',
        }),
      });
      if (created.status !== 201) {
        const body = await created.text();
        let message = body.trim();
        try {
          message = JSON.parse(body).error ?? message;
        } catch {
          // a plain-text answer (401) is its own message
        }
        throw new Error(
          `The local Git server refused to create ${owner}/${repo} (${created.status}): ${message}`,
        );
      }
      const { cloneUrl } = (await created.json()) as { cloneUrl: string };
      ctx.logger.info(`Created ${owner}/${repo} on ${serverUrl}`);

      const initiator = await ctx
        .getInitiatorCredentials()
        .then(c =>
          c.principal && 'userEntityRef' in (c.principal as object)
            ? (c.principal as { userEntityRef: string }).userEntityRef
            : undefined,
        )
        .catch(() => undefined);
      const authorName =
        ctx.input.gitAuthorName ??
        initiator?.replace(/^user:(default\/)?/, '') ??
        'K2 Scaffolder';
      const authorEmail = ctx.input.gitAuthorEmail ?? 'scaffolder@k2.local';
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        GIT_ASKPASS: '',
        GIT_AUTHOR_NAME: authorName,
        GIT_AUTHOR_EMAIL: authorEmail,
        GIT_COMMITTER_NAME: authorName,
        GIT_COMMITTER_EMAIL: authorEmail,
      };
      const git = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
        try {
          const { stdout } = await execFileAsync('git', args, {
            cwd: sourceDir,
            env: { ...env, ...extra },
            maxBuffer: 16 * 1024 * 1024,
          });
          return stdout.trim();
        } catch (error) {
          const e = error as Error & { stderr?: string };
          throw new Error(
            `git ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`,
          );
        }
      };
      await git(['init', '--quiet', '--initial-branch', 'main']);
      await git(['add', '--all']);
      await git([
        'commit',
        '--quiet',
        '--allow-empty',
        '-m',
        ctx.input.gitCommitMessage ?? 'Initial commit',
      ]);
      const commitHash = await git(['rev-parse', 'HEAD']);
      await git(['push', '--quiet', cloneUrl, 'HEAD:refs/heads/main'], {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: `http.${serverUrl}/.extraHeader`,
        GIT_CONFIG_VALUE_0: `Authorization: ${basic}`,
      });
      ctx.logger.info(`Pushed ${commitHash} to ${cloneUrl} (main)`);

      const repoContentsUrl = `${serverUrl}/api/repos/${owner}/${repo}/files`;
      ctx.output('remoteUrl', cloneUrl);
      ctx.output('repoContentsUrl', repoContentsUrl);
      ctx.output('catalogInfoUrl', `${repoContentsUrl}/catalog-info.yaml`);
      ctx.output('commitHash', commitHash);
    },
  });
}
