// Which users get series of their own in /metrics (AUTH=token): the first METRICS_USER_LABELS
// names in the user store, the same set on every worker and host, so a scrape has at most that
// many + 1 (`other`) series per per-user family whoever owns which stream.

import type { UserStore } from '@acestream-proxy/accounts';

/** The `user` label of a player whose user is past the bound. */
export const OTHER_USERS = 'other';

export class UserLabels {
  private named: Set<string> = new Set();
  /** The users' version the names were read at (every change to a user raises it). */
  private readAt: number | null = null;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<UserStore, 'list' | 'version'>,
    private readonly max: number,
  ) {}

  /** The label for a user's series: its name when among the first `max` by name, else `other`. */
  async labeller(): Promise<(user: string) => string> {
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    // A store that cannot answer keeps the last set (a scrape must not fail for it).
    await this.reading.catch(() => {});
    const named = this.named;
    return (user) => (named.has(user) ? user : OTHER_USERS);
  }

  // One GET per collection; the list is read again only when a user changed.
  private async read(): Promise<void> {
    const version = await this.store.version();
    if (version === this.readAt) return;
    const names = (await this.store.list()).map((u) => u.name).sort();
    // A user called "other" would share the aggregate's series: it is counted there.
    this.named = new Set(names.filter((n) => n !== OTHER_USERS).slice(0, this.max));
    this.readAt = version;
  }
}
