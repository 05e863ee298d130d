// UserStore in memory (embedded mode: one process), the twin of RedisUserStore.

import type { UserRecord, UserStore } from './store.js';
import type { StoredUser } from './user.js';

export class MemoryUserStore implements UserStore {
  private readonly users = new Map<string, StoredUser>();
  private readonly tokens = new Map<string, string>();
  private changes = 0;

  async get(name: string): Promise<StoredUser | null> {
    return this.users.get(name) ?? null;
  }

  async getMany(names: readonly string[]): Promise<Array<StoredUser | null>> {
    return names.map((name) => this.users.get(name) ?? null);
  }

  async byTokenHash(tokenHash: string): Promise<StoredUser | null> {
    const name = this.tokens.get(tokenHash);
    return name === undefined ? null : (this.users.get(name) ?? null);
  }

  async list(): Promise<StoredUser[]> {
    return [...this.users.values()];
  }

  async put(user: UserRecord, expected: number | null): Promise<StoredUser | null> {
    const current = this.users.get(user.name);
    if ((current?.generation ?? null) !== expected) return null;
    const holder = this.tokens.get(user.tokenHash);
    if (holder !== undefined && holder !== user.name) return null;
    if (current && current.tokenHash !== user.tokenHash) this.tokens.delete(current.tokenHash);
    const stored: StoredUser = { ...user, generation: (expected ?? 0) + 1 };
    this.users.set(user.name, stored);
    this.tokens.set(user.tokenHash, user.name);
    this.changes += 1;
    return stored;
  }

  async delete(name: string): Promise<boolean> {
    const current = this.users.get(name);
    if (!current) return false;
    this.users.delete(name);
    this.tokens.delete(current.tokenHash);
    this.changes += 1;
    return true;
  }

  async version(): Promise<number> {
    return this.changes;
  }

  /** Users held (tests check nothing is left). */
  get size(): number {
    return this.users.size;
  }
}
