import {
  PushEventError,
  parsePushEvent,
  verifyWebhookRequest,
} from './pushEvent';
import {
  signPushPayload,
  verifyGitLabToken,
  verifyPushSignature,
} from './signature';

const SECRET = 'shared secret';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

const githubBody = JSON.stringify({
  ref: 'refs/heads/main',
  before: A,
  after: B,
  repository: {
    full_name: 'payments/ledger',
    clone_url: 'http://127.0.0.1:7108/payments/ledger.git',
  },
  pusher: { name: 'alice' },
  head_commit: {
    id: B,
    message: 'Fix the rounding',
    timestamp: '2026-11-27T06:00:00+00:00',
    author: { name: 'Alice', email: 'alice@example.com' },
  },
});

const gitlabBody = JSON.stringify({
  object_kind: 'push',
  ref: 'refs/heads/release',
  before: ZERO,
  after: B,
  user_username: 'bob',
  project: {
    path_with_namespace: 'storefront/web',
    git_http_url: 'https://gitlab.example.com/storefront/web.git',
  },
  commits: [
    {
      id: A,
      message: 'Older',
      timestamp: '2026-11-27T05:00:00Z',
      author: { name: 'Bob', email: 'bob@example.com' },
    },
    {
      id: B,
      message: 'Newest',
      timestamp: '2026-11-27T06:00:00Z',
      author: { name: 'Bob', email: 'bob@example.com' },
    },
  ],
});

describe('push signatures', () => {
  it('accepts the signature of the exact body with the secret', () => {
    const header = signPushPayload(githubBody, SECRET);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyPushSignature(githubBody, header, SECRET)).toBe(true);
    expect(verifyPushSignature(Buffer.from(githubBody), header, SECRET)).toBe(
      true,
    );
  });

  it('refuses another secret, a changed body and malformed headers', () => {
    const header = signPushPayload(githubBody, SECRET);
    expect(verifyPushSignature(githubBody, header, 'other secret')).toBe(false);
    expect(
      verifyPushSignature(
        githubBody.replace('alice', 'mallory'),
        header,
        SECRET,
      ),
    ).toBe(false);
    for (const bad of [
      undefined,
      '',
      header.slice(0, -2),
      header.replace('sha256=', 'sha1='),
      `${header}00`,
      'sha256=zz',
    ]) {
      expect(verifyPushSignature(githubBody, bad, SECRET)).toBe(false);
    }
    expect(
      verifyPushSignature(githubBody, signPushPayload(githubBody, ''), ''),
    ).toBe(false);
  });

  it('checks a GitLab token against the secret', () => {
    expect(verifyGitLabToken(SECRET, SECRET)).toBe(true);
    expect(verifyGitLabToken('shared secre', SECRET)).toBe(false);
    expect(verifyGitLabToken(undefined, SECRET)).toBe(false);
    expect(verifyGitLabToken('', '')).toBe(false);
  });

  it('verifies a request by the format its headers name', () => {
    expect(
      verifyWebhookRequest(
        {
          'x-github-event': 'push',
          'x-hub-signature-256': signPushPayload(githubBody, SECRET),
        },
        githubBody,
        SECRET,
      ),
    ).toBe(true);
    expect(
      verifyWebhookRequest(
        new Headers({
          'X-Gitlab-Event': 'Push Hook',
          'X-Gitlab-Token': SECRET,
        }),
        gitlabBody,
        SECRET,
      ),
    ).toBe(true);
    expect(
      verifyWebhookRequest(
        { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' },
        gitlabBody,
        SECRET,
      ),
    ).toBe(false);
    // No event header: neither format, never authentic.
    expect(
      verifyWebhookRequest(
        { 'x-hub-signature-256': signPushPayload(githubBody, SECRET) },
        githubBody,
        SECRET,
      ),
    ).toBe(false);
  });
});

describe('parsePushEvent', () => {
  it('reads a GitHub push', () => {
    expect(parsePushEvent({ 'X-GitHub-Event': 'push' }, githubBody)).toEqual({
      source: 'github',
      ref: 'refs/heads/main',
      branch: 'main',
      before: A,
      after: B,
      created: false,
      deleted: false,
      repository: {
        fullName: 'payments/ledger',
        cloneUrl: 'http://127.0.0.1:7108/payments/ledger.git',
      },
      headCommit: {
        id: B,
        message: 'Fix the rounding',
        timestamp: '2026-11-27T06:00:00+00:00',
        author: { name: 'Alice', email: 'alice@example.com' },
      },
      pusher: 'alice',
    });
  });

  it('reads a GitLab push hook, its head commit being the one after names', () => {
    expect(
      parsePushEvent(
        new Headers({ 'X-Gitlab-Event': 'Push Hook' }),
        gitlabBody,
      ),
    ).toEqual({
      source: 'gitlab',
      ref: 'refs/heads/release',
      branch: 'release',
      before: ZERO,
      after: B,
      created: true,
      deleted: false,
      repository: {
        fullName: 'storefront/web',
        cloneUrl: 'https://gitlab.example.com/storefront/web.git',
      },
      headCommit: {
        id: B,
        message: 'Newest',
        timestamp: '2026-11-27T06:00:00Z',
        author: { name: 'Bob', email: 'bob@example.com' },
      },
      pusher: 'bob',
    });
  });

  it('reads a deleted ref without a head commit', () => {
    const body = JSON.stringify({
      ...JSON.parse(githubBody),
      ref: 'refs/tags/v1.0.0',
      after: ZERO,
      head_commit: null,
    });
    const event = parsePushEvent({ 'x-github-event': 'push' }, body);
    expect(event).toMatchObject({ deleted: true, ref: 'refs/tags/v1.0.0' });
    expect(event?.headCommit).toBeUndefined();
    expect(event?.branch).toBeUndefined();
  });

  it('ignores events that are not pushes', () => {
    expect(parsePushEvent({ 'x-github-event': 'ping' }, '{"zen":"x"}')).toBe(
      undefined,
    );
    expect(
      parsePushEvent({ 'x-gitlab-event': 'Merge Request Hook' }, '{}'),
    ).toBe(undefined);
    expect(parsePushEvent({}, githubBody)).toBe(undefined);
  });

  it('throws on a push whose body is not a push', () => {
    const headers = { 'x-github-event': 'push' };
    expect(() => parsePushEvent(headers, 'not json')).toThrow(PushEventError);
    expect(() => parsePushEvent(headers, '[]')).toThrow(PushEventError);
    const noRepository = { ...JSON.parse(githubBody), repository: undefined };
    expect(() => parsePushEvent(headers, JSON.stringify(noRepository))).toThrow(
      /no repository/,
    );
    const badAfter = { ...JSON.parse(githubBody), after: 'HEAD' };
    expect(() => parsePushEvent(headers, JSON.stringify(badAfter))).toThrow(
      /after is not a commit id/,
    );
    expect(() =>
      parsePushEvent(
        { 'x-gitlab-event': 'Push Hook' },
        JSON.stringify({ ...JSON.parse(gitlabBody), object_kind: 'tag_push' }),
      ),
    ).toThrow(/object_kind push/);
  });
});
