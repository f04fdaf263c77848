import { execFile } from 'child_process';
import { randomUUID } from 'crypto';
import { promisify } from 'util';
import { ZERO_COMMIT } from './pushEvent';
import { signPushPayload } from './signature';
import type { RepositoryInfo } from '../repos/repositories';

const run = promisify(execFile);

/** One ref a push moved, as git hands it to post-receive. */
export interface RefUpdate {
  before: string;
  after: string;
  ref: string;
}

/** Where push events go, and the secret they are signed with. */
export interface WebhookTargets {
  urls: string[];
  secret: string;
}

/** How long one delivery may take before it is given up (it never holds a push). */
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * The GitHub `push` event for one updated ref: the fields a receiver reads (`ref`,
 * `before`, `after`, `created`, `deleted`, `repository`, `pusher`, `head_commit`) as
 * GitHub names them. `head_commit` is read from the repository; null for a deleted ref.
 */
export async function githubPushPayload(
  gitDir: string,
  repository: RepositoryInfo,
  update: RefUpdate,
  pusher: string,
) {
  const deleted = update.after === ZERO_COMMIT;
  return {
    ref: update.ref,
    before: update.before,
    after: update.after,
    created: update.before === ZERO_COMMIT,
    deleted,
    forced: false,
    repository: {
      name: repository.name,
      full_name: repository.fullName,
      owner: { name: repository.owner, login: repository.owner },
      description: repository.description || null,
      clone_url: repository.cloneUrl,
      default_branch: 'main',
    },
    pusher: { name: pusher },
    head_commit: deleted ? null : await headCommit(gitDir, update.after),
  };
}

async function headCommit(gitDir: string, id: string) {
  // NUL-separated: a message may hold any other character.
  const { stdout } = await run('git', [
    '--git-dir',
    gitDir,
    'show',
    '--no-patch',
    '--format=%H%x00%aI%x00%an%x00%ae%x00%cn%x00%ce%x00%B',
    id,
  ]);
  const [sha, timestamp, name, email, committerName, committerEmail, ...rest] =
    stdout.split('\0');
  return {
    id: sha,
    message: rest.join('\0').replace(/\n+$/, ''),
    timestamp,
    author: { name, email },
    committer: { name: committerName, email: committerEmail },
  };
}

/**
 * Sends one signed `push` event per updated ref to every target URL, in ref order.
 * Never throws: each result, delivered or not, is logged (never the secret or the body).
 */
export async function deliverPushEvents(options: {
  targets: WebhookTargets;
  gitDir: string;
  repository: RepositoryInfo;
  updates: RefUpdate[];
  pusher: string;
  log: (line: string) => void;
}): Promise<void> {
  const { targets, gitDir, repository, updates, pusher, log } = options;
  for (const update of updates) {
    let body: string;
    try {
      body = JSON.stringify(
        await githubPushPayload(gitDir, repository, update, pusher),
      );
    } catch (error) {
      log(
        `push ${repository.fullName} ${
          update.ref
        }: no event, the commit could not be read: ${message(error)}`,
      );
      continue;
    }
    for (const url of targets.urls) {
      const delivery = randomUUID();
      try {
        const response = await fetch(url, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'K2-Git-Server',
            'x-github-event': 'push',
            'x-github-delivery': delivery,
            'x-hub-signature-256': signPushPayload(body, targets.secret),
          },
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.arrayBuffer().catch(() => undefined);
        log(
          `push ${repository.fullName} ${update.ref} -> ${url}: ${response.status} (delivery ${delivery})`,
        );
      } catch (error) {
        log(
          `push ${repository.fullName} ${
            update.ref
          } -> ${url}: not delivered (${message(
            error,
          )}); the push itself succeeded`,
        );
      }
    }
  }
}

function message(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error
      ? `${error.message}: ${cause.message}`
      : error.message;
  }
  return String(error);
}
