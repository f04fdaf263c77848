/**
 * K2's Builds backend (pluginId `k2-builds`): a service's image from a Git ref, built
 * rootless and pushed to its registry; build history and logs; builds from the portal,
 * the scaffolder and signed push webhooks.
 *
 * @packageDocumentation
 */
export { k2BuildsPlugin as default } from './plugin';
export type {
  BuildJob,
  BuildLogSink,
  BuildOutcome,
  BuildRunner,
} from './runners/types';
