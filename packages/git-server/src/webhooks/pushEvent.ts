import { verifyGitLabToken, verifyPushSignature } from './signature';

/** A Git object id of 40 zeros: the `before` of a created ref, the `after` of a deleted one. */
export const ZERO_COMMIT = '0000000000000000000000000000000000000000';

/**
 * A push, the same whichever forge sent it: one ref moved from `before` to `after`.
 *
 * @public
 */
export interface PushEvent {
  source: 'github' | 'gitlab';
  /** The full ref name, `refs/heads/main`. */
  ref: string;
  /** The branch name when `ref` is under `refs/heads/`. */
  branch?: string;
  before: string;
  after: string;
  /** The ref was created (`before` is all zeros). */
  created: boolean;
  /** The ref was deleted (`after` is all zeros); there is no head commit then. */
  deleted: boolean;
  repository: {
    /** `owner/name` (GitLab: the project's `path_with_namespace`). */
    fullName: string;
    cloneUrl: string;
  };
  headCommit?: {
    id: string;
    message: string;
    timestamp: string;
    author: { name: string; email?: string };
  };
  /** Who pushed (GitHub `pusher.name`, GitLab `user_username`). */
  pusher: string;
}

/**
 * A webhook request that says it is a push but whose body is not one.
 *
 * @public
 */
export class PushEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PushEventError';
  }
}

/** Request headers as Node gives them (lower-case names) or as a `Headers` object. */
export type WebhookHeaders =
  | Headers
  | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find(k => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The forge a webhook request comes from, by its event header: `github` for
 * `X-GitHub-Event`, `gitlab` for `X-Gitlab-Event`, otherwise undefined.
 *
 * @public
 */
export function webhookSource(
  headers: WebhookHeaders,
): 'github' | 'gitlab' | undefined {
  if (header(headers, 'x-github-event') !== undefined) return 'github';
  if (header(headers, 'x-gitlab-event') !== undefined) return 'gitlab';
  return undefined;
}

/**
 * Whether a webhook request is authentic: GitHub's `X-Hub-Signature-256` HMAC of the
 * body, or GitLab's `X-Gitlab-Token` equal to the shared secret. Both constant-time.
 *
 * @public
 */
export function verifyWebhookRequest(
  headers: WebhookHeaders,
  body: string | Buffer,
  secret: string,
): boolean {
  switch (webhookSource(headers)) {
    case 'github':
      return verifyPushSignature(
        body,
        header(headers, 'x-hub-signature-256'),
        secret,
      );
    case 'gitlab':
      return verifyGitLabToken(header(headers, 'x-gitlab-token'), secret);
    default:
      return false;
  }
}

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * Reads a push webhook in GitHub (`X-GitHub-Event: push`) or GitLab
 * (`X-Gitlab-Event: Push Hook`) format. Returns undefined for any other event (a
 * `ping`, a tag push hook, a merge request) so a receiver can acknowledge and ignore
 * it; throws {@link PushEventError} when a push event's body lacks what a push has.
 * It does not check authenticity: call {@link verifyWebhookRequest} first.
 *
 * @public
 */
export function parsePushEvent(
  headers: WebhookHeaders,
  body: string | Buffer,
): PushEvent | undefined {
  const source = webhookSource(headers);
  if (source === 'github') {
    if (header(headers, 'x-github-event') !== 'push') return undefined;
    return fromGitHub(parseJson(body));
  }
  if (source === 'gitlab') {
    if (header(headers, 'x-gitlab-event') !== 'Push Hook') return undefined;
    return fromGitLab(parseJson(body));
  }
  return undefined;
}

type Json = Record<string, unknown>;

function parseJson(body: string | Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(body.toString());
  } catch {
    throw new PushEventError('the push event body is not JSON');
  }
  if (!isObject(value)) {
    throw new PushEventError('the push event body is not a JSON object');
  }
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(object: Json, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') {
    throw new PushEventError(`the push event has no ${where}${key}`);
  }
  return value;
}

function objectAt(object: Json, key: string, where = ''): Json {
  const value = object[key];
  if (!isObject(value)) {
    throw new PushEventError(`the push event has no ${where}${key}`);
  }
  return value;
}

function objectId(object: Json, key: string): string {
  const value = text(object, key, '');
  if (!OBJECT_ID.test(value)) {
    throw new PushEventError(`the push event's ${key} is not a commit id`);
  }
  return value;
}

function common(ref: string, before: string, after: string) {
  return {
    ref,
    ...(ref.startsWith('refs/heads/')
      ? { branch: ref.slice('refs/heads/'.length) }
      : {}),
    before,
    after,
    created: /^0+$/.test(before),
    deleted: /^0+$/.test(after),
  };
}

function commitOf(commit: Json, where: string): PushEvent['headCommit'] {
  const author = objectAt(commit, 'author', where);
  const email = author.email;
  return {
    id: text(commit, 'id', where),
    message: typeof commit.message === 'string' ? commit.message : '',
    timestamp: text(commit, 'timestamp', where),
    author: {
      name: text(author, 'name', `${where}author.`),
      ...(typeof email === 'string' ? { email } : {}),
    },
  };
}

function fromGitHub(payload: Json): PushEvent {
  const repository = objectAt(payload, 'repository');
  const pusher = objectAt(payload, 'pusher');
  const base = common(
    text(payload, 'ref', ''),
    objectId(payload, 'before'),
    objectId(payload, 'after'),
  );
  const head = payload.head_commit;
  return {
    source: 'github',
    ...base,
    repository: {
      fullName: text(repository, 'full_name', 'repository.'),
      cloneUrl: text(repository, 'clone_url', 'repository.'),
    },
    ...(isObject(head) ? { headCommit: commitOf(head, 'head_commit.') } : {}),
    pusher: text(pusher, 'name', 'pusher.'),
  };
}

function fromGitLab(payload: Json): PushEvent {
  if (payload.object_kind !== 'push') {
    throw new PushEventError('the push hook is not of object_kind push');
  }
  const project = objectAt(payload, 'project');
  const base = common(
    text(payload, 'ref', ''),
    objectId(payload, 'before'),
    objectId(payload, 'after'),
  );
  const commits = Array.isArray(payload.commits)
    ? payload.commits.filter(isObject)
    : [];
  // GitLab lists up to 20 commits, oldest first; the head is the one `after` names.
  const head = commits.find(c => c.id === base.after);
  return {
    source: 'gitlab',
    ...base,
    repository: {
      fullName: text(project, 'path_with_namespace', 'project.'),
      cloneUrl: text(project, 'git_http_url', 'project.'),
    },
    ...(head ? { headCommit: commitOf(head, 'commits[].') } : {}),
    pusher: text(payload, 'user_username', ''),
  };
}
