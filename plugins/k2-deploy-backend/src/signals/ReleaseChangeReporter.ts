import {
  HistoryQuery,
  NewRelease,
  ReleaseFollowUp,
  ReleasePatch,
  ReleaseStore,
  StoredRelease,
} from '../database/ReleaseStore';
import { K2ReleaseStatus } from '@internal/plugin-k2-common';

/**
 * A {@link ReleaseStore} that reports every release it creates or changes, whoever
 * wrote it: the engine (release, scale, restart, rollback, approve, reject) and the
 * driver (apply, roll out, progress, finish, automatic rollback). Every release change
 * is stored through `create` or `transition`, so nothing escapes it; a compare-and-set
 * another writer won is not a change and is not reported.
 */
export class ReleaseChangeReporter implements ReleaseStore {
  readonly #store: ReleaseStore;
  readonly #onChange: (release: StoredRelease) => void;

  constructor(store: ReleaseStore, onChange: (release: StoredRelease) => void) {
    this.#store = store;
    this.#onChange = onChange;
  }

  async create(
    release: NewRelease,
  ): Promise<{ created: StoredRelease } | { running: StoredRelease }> {
    const result = await this.#store.create(release);
    if ('created' in result) this.#onChange(result.created);
    return result;
  }

  async transition(
    id: string,
    from: K2ReleaseStatus,
    patch: ReleasePatch,
  ): Promise<StoredRelease | undefined> {
    const updated = await this.#store.transition(id, from, patch);
    if (updated) this.#onChange(updated);
    return updated;
  }

  get(id: string) {
    return this.#store.get(id);
  }

  listActive() {
    return this.#store.listActive();
  }

  listWaiting(createdBefore: Date) {
    return this.#store.listWaiting(createdBefore);
  }

  // Follow-ups are the driver's bookkeeping, not a change of the release's view.
  listFollowUpsDue(now: Date) {
    return this.#store.listFollowUpsDue(now);
  }

  claimFollowUps(id: string, now: Date, until: Date) {
    return this.#store.claimFollowUps(id, now, until);
  }

  settleFollowUps(id: string, remaining: ReleaseFollowUp[], retryAt: Date) {
    return this.#store.settleFollowUps(id, remaining, retryAt);
  }

  getLatestDispatched(service: string, environment: string) {
    return this.#store.getLatestDispatched(service, environment);
  }

  getActive(service: string, environment: string) {
    return this.#store.getActive(service, environment);
  }

  getCurrent(service: string, environment: string) {
    return this.#store.getCurrent(service, environment);
  }

  listRetained(service: string, succeeded: number) {
    return this.#store.listRetained(service, succeeded);
  }

  history(query: HistoryQuery) {
    return this.#store.history(query);
  }
}
