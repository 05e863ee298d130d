// Which users get series of their own in /metrics (AUTH=token): the first METRICS_USER_LABELS
// names in the user store, the same set on every worker and host, so a scrape has at most that
// many + 1 (`other`) series per per-user family whoever owns which stream.

import type { UserStore } from '@acestream-proxy/accounts';

/** The `user` label of a player whose user is past the bound. */
export const OTHER_USERS = 'other';
/** How long a read of the names serves (users change by an admin's hand, not per second). */
const REFRESH_MS = 10_000;

export class UserLabels {
  private named: Set<string> = new Set();
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<UserStore, 'list'>,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The label for `user`'s series: its name when among the first `max` by name, else `other`. */
  async labeller(): Promise<(user: string) => string> {
    if (this.now() - this.readAt >= REFRESH_MS) {
      this.reading ??= this.read().finally(() => {
        this.reading = null;
      });
      // A store that cannot answer keeps the last set (a scrape must not fail for it).
      await this.reading.catch(() => {});
    }
    const named = this.named;
    return (user) => (named.has(user) ? user : OTHER_USERS);
  }

  private async read(): Promise<void> {
    const names = (await this.store.list()).map((u) => u.name).sort();
    // A user called "other" would share the aggregate's series: it is counted there.
    this.named = new Set(names.filter((n) => n !== OTHER_USERS).slice(0, this.max));
    this.readAt = this.now();
  }
}
