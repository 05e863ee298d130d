// The user store as one worker reads it on the join path: token lookups from memory, dropped when the users' version moves.

import type { StoredUser, UserRecord, UserStore } from '@acestream-proxy/accounts';

/** Users a worker keeps in memory: far more than any installation has, and a flood of good tokens cannot grow it further. */
const MAX_CACHED = 10_000;

/**
 * Keeps the /ace/getstream fast path at one Redis round trip (the atomic admit): a player's token
 * is looked up once per worker, then from memory. The revocation watch polls `version()` every
 * interval through this store, and any change (a rotation, a disable, a delete, a new user)
 * empties the cache, so a revoked token stops working on every worker within one interval, the
 * same bound within which its players are cut. Unknown tokens are not cached: a guess costs one
 * lookup and fills nothing.
 */
export class CachedUserStore implements UserStore {
  private readonly byHash = new Map<string, StoredUser>();
  /**
   * Lookups on their way, shared by every request with the same token meanwhile: at a kick-off a
   * household's hundreds of joins arrive before the first lookup answers, and each went to Redis.
   */
  private readonly looking = new Map<string, Promise<StoredUser | null>>();
  private seenVersion: number | null = null;

  constructor(private readonly store: UserStore) {}

  byTokenHash(tokenHash: string): Promise<StoredUser | null> {
    const cached = this.byHash.get(tokenHash);
    if (cached) return Promise.resolve(cached);
    let lookup = this.looking.get(tokenHash);
    if (!lookup) {
      const started = this.lookUp(tokenHash).finally(() => {
        if (this.looking.get(tokenHash) === started) this.looking.delete(tokenHash);
      });
      this.looking.set(tokenHash, started);
      lookup = started;
    }
    return lookup;
  }

  private async lookUp(tokenHash: string): Promise<StoredUser | null> {
    const version = this.seenVersion;
    const user = await this.store.byTokenHash(tokenHash);
    // A version change seen while this lookup ran may have made its answer stale: not kept.
    if (user && version === this.seenVersion) {
      if (this.byHash.size >= MAX_CACHED) this.byHash.clear();
      this.byHash.set(tokenHash, user);
    }
    return user;
  }

  async version(): Promise<number> {
    const version = await this.store.version();
    if (version !== this.seenVersion) {
      this.byHash.clear();
      this.looking.clear();
      this.seenVersion = version;
    }
    return version;
  }

  /** Forgets every cached user now (this worker changed one through the admin API). */
  invalidate(): void {
    this.byHash.clear();
    // A lookup on its way may answer what was true before the change: the next request asks again.
    this.looking.clear();
    this.seenVersion = null;
  }

  get(name: string): Promise<StoredUser | null> {
    return this.store.get(name);
  }

  getMany(names: readonly string[]): Promise<Array<StoredUser | null>> {
    return this.store.getMany(names);
  }

  list(): Promise<StoredUser[]> {
    return this.store.list();
  }

  async put(user: UserRecord, expected: number | null): Promise<StoredUser | null> {
    const stored = await this.store.put(user, expected);
    this.invalidate();
    return stored;
  }

  async delete(name: string): Promise<boolean> {
    const deleted = await this.store.delete(name);
    this.invalidate();
    return deleted;
  }
}
