// Where users are kept: durable state (DESIGN §19) every worker and host reads at once.

import type { StoredUser } from './user.js';

/** A user as written: the store sets the generation. */
export type UserRecord = Omit<StoredUser, 'generation'>;

/**
 * Users by name and by token hash. Writes are compare-and-set on the generation, so two admins
 * changing one user at once cannot lose either change silently (the loser retries on fresh data).
 */
export interface UserStore {
  get(name: string): Promise<StoredUser | null>;
  /** In the order of `names`; null for a name with no user. */
  getMany(names: readonly string[]): Promise<Array<StoredUser | null>>;
  /** The user whose token has this SHA-256 (hex), or null. */
  byTokenHash(tokenHash: string): Promise<StoredUser | null>;
  list(): Promise<StoredUser[]>;
  /**
   * Writes `user` when the stored generation is `expected` (null: no user of that name yet) and its
   * token hash is no other user's. Resolves the stored user (generation `expected + 1`, or 1), or
   * null when another write came first or the token hash is taken.
   */
  put(user: UserRecord, expected: number | null): Promise<StoredUser | null>;
  /** Removes the user and its token; false when there was none. */
  delete(name: string): Promise<boolean>;
  /** A counter raised by every put and delete: unchanged means no user changed. */
  version(): Promise<number>;
}
