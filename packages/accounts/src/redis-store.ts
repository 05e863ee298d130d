// UserStore in Redis: durable keys under the `{state}` tag (on REDIS_STATE_URL when set), no expiry.

import type { Keys } from '@acestream-proxy/keys';
import { defineScripts, type Redis } from '@acestream-proxy/redis';
import type { UserRecord, UserStore } from './store.js';
import type { StoredUser } from './user.js';

type Commands = {
  acePutUser: (users: string, tokens: string, version: string, ...args: string[]) => Promise<number>;
  aceDeleteUser: (users: string, tokens: string, version: string, name: string) => Promise<number>;
  aceUserByToken: (users: string, tokens: string, hash: string) => Promise<string | null>;
};

const parse = (json: string | null): StoredUser | null => (json === null ? null : (JSON.parse(json) as StoredUser));

/**
 * One hash of records (name → JSON) and one token index (hash → name), written together by Lua:
 * a user is one HGET away by name and two (one script) by token, and listing is one HGETALL
 * (users are counted in hundreds, not millions).
 */
export class RedisUserStore implements UserStore {
  private readonly commands: Commands;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    this.commands = defineScripts<Commands>(redis, new URL('../src/commands/', import.meta.url), {
      acePutUser: 'put-user-3',
      aceDeleteUser: 'delete-user-3',
      aceUserByToken: 'by-token-2',
    });
  }

  async get(name: string): Promise<StoredUser | null> {
    return parse(await this.redis.hget(this.keys.users(), name));
  }

  async getMany(names: readonly string[]): Promise<Array<StoredUser | null>> {
    if (names.length === 0) return [];
    return (await this.redis.hmget(this.keys.users(), ...names)).map(parse);
  }

  async byTokenHash(tokenHash: string): Promise<StoredUser | null> {
    return parse(await this.commands.aceUserByToken(this.keys.users(), this.keys.userTokens(), tokenHash));
  }

  async list(): Promise<StoredUser[]> {
    return Object.values(await this.redis.hgetall(this.keys.users())).map((json) => JSON.parse(json) as StoredUser);
  }

  async put(user: UserRecord, expected: number | null): Promise<StoredUser | null> {
    const stored: StoredUser = { ...user, generation: (expected ?? 0) + 1 };
    const written = await this.commands.acePutUser(
      this.keys.users(),
      this.keys.userTokens(),
      this.keys.usersVersion(),
      user.name,
      expected === null ? '' : String(expected),
      JSON.stringify(stored),
      user.tokenHash,
    );
    return written === 1 ? stored : null;
  }

  async delete(name: string): Promise<boolean> {
    return (await this.commands.aceDeleteUser(this.keys.users(), this.keys.userTokens(), this.keys.usersVersion(), name)) === 1;
  }

  async version(): Promise<number> {
    return Number((await this.redis.get(this.keys.usersVersion())) ?? 0);
  }
}
