/**
 * K2's local Git server for development: git's own smart-HTTP backend on loopback,
 * repositories created through a small API, and signed GitHub-format push webhooks
 * from each repository's post-receive hook. Also the helpers a webhook receiver needs
 * (GitHub and GitLab push events, signature checks). A development tool only.
 *
 * @packageDocumentation
 */
export { startGitServer } from './server/gitServer';
export type { GitServer, GitServerOptions } from './server/gitServer';
export type { RepositoryInfo } from './repos/repositories';
export {
  signPushPayload,
  verifyGitLabToken,
  verifyPushSignature,
} from './webhooks/signature';
export {
  PushEventError,
  parsePushEvent,
  verifyWebhookRequest,
  webhookSource,
} from './webhooks/pushEvent';
export type { PushEvent, WebhookHeaders } from './webhooks/pushEvent';
