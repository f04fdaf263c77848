import {
  K2BuildSettings,
  K2BuildsService,
} from '@internal/plugin-k2-builds-common';

/** Where the tab's views act: the service, its environments' titles, the user's rights. */
export interface BuildsScope {
  service: K2BuildsService;
  /** An environment's title by its name (`test` → `Test`); the name when unknown. */
  environmentTitle(name: string): string;
  /** Why the user may not start or cancel builds; undefined when they may. */
  runRefusal?: string;
  /** Why the user may not read logs and Dockerfiles; undefined when they may. */
  logsRefusal?: string;
}

/** Why a build cannot be started now, from the settings; undefined when it can. */
export function settingsRefusal(
  settings: K2BuildSettings,
  words: { problems: string; unavailable(reason: string): string },
): string | undefined {
  if (settings.problems.length > 0) return words.problems;
  if (!settings.available) {
    return words.unavailable(settings.unavailableReason ?? '');
  }
  return undefined;
}
