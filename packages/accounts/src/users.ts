// Managing users (the admin API's list, create, change, rotate, delete): input checked, tokens made here.

import { UserExistsError, UserInputError, UserNotFoundError } from './errors.js';
import type { UserRecord, UserStore } from './store.js';
import { hashToken, newToken } from './token.js';
import {
  checkEnabled,
  checkExpiry,
  checkGroups,
  checkLimits,
  checkUserName,
  type PublicUser,
  publicUser,
  type StoredUser,
} from './user.js';

/** A created or rotated user, with the token shown this once and never again. */
export interface IssuedToken {
  readonly user: PublicUser;
  readonly token: string;
}

/** Fields an admin may change (admin API body names); absent fields stay as they are. */
const CHANGEABLE = new Set(['enabled', 'expires_at', 'limits', 'groups']);

/** Compare-and-set retries before giving up: only a storm of admins on one user gets that far. */
const ATTEMPTS = 5;

export class Users {
  constructor(
    private readonly store: UserStore,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<PublicUser[]> {
    return (await this.store.list()).map(publicUser).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<PublicUser> {
    return publicUser(await this.stored(name));
  }

  /** `input`: `{ name, enabled?, expires_at?, limits?, groups? }` from the admin API. */
  async create(input: unknown): Promise<IssuedToken> {
    const body = object(input);
    for (const field of Object.keys(body)) {
      if (field !== 'name' && !CHANGEABLE.has(field)) throw new UserInputError(field, `unknown field ${JSON.stringify(field)}`);
    }
    const token = newToken();
    const record: UserRecord = {
      name: checkUserName(body.name),
      tokenHash: hashToken(token),
      enabled: checkEnabled(body.enabled),
      expiresAt: checkExpiry(body.expires_at),
      limits: checkLimits(body.limits),
      groups: checkGroups(body.groups),
      createdAt: this.now(),
      source: 'api',
    };
    const stored = await this.store.put(record, null);
    if (!stored) throw new UserExistsError(record.name);
    return { user: publicUser(stored), token };
  }

  /** Changes the fields `patch` names; disabling or expiring cuts the user's players (see RevocationWatch). */
  async change(name: string, patch: unknown): Promise<PublicUser> {
    const body = object(patch);
    for (const field of Object.keys(body)) {
      if (!CHANGEABLE.has(field))
        throw new UserInputError(field, `${JSON.stringify(field)} cannot be changed (rotate the token with POST .../token)`);
    }
    return publicUser(
      await this.update(name, (user) => ({
        ...user,
        enabled: checkEnabled(body.enabled, user.enabled),
        expiresAt: 'expires_at' in body ? checkExpiry(body.expires_at) : user.expiresAt,
        limits: checkLimits(body.limits, user.limits),
        groups: 'groups' in body ? checkGroups(body.groups) : user.groups,
      })),
    );
  }

  /** A new token; the old one stops working at once and its players are cut within seconds. */
  async rotate(name: string): Promise<IssuedToken> {
    const token = newToken();
    const stored = await this.update(name, (user) => ({ ...user, tokenHash: hashToken(token) }));
    return { user: publicUser(stored), token };
  }

  /**
   * Ends the user's players everywhere without changing the token: every worker's RevocationWatch
   * cuts the players admitted up to now within one interval; new ones are admitted as before.
   */
  async disconnect(name: string): Promise<PublicUser> {
    const at = this.now();
    return publicUser(await this.update(name, (user) => ({ ...user, cutAt: Math.max(at, user.cutAt ?? 0) })));
  }

  async remove(name: string): Promise<void> {
    if (!(await this.store.delete(checkUserName(name)))) throw new UserNotFoundError(name);
  }

  private async stored(name: string): Promise<StoredUser> {
    const user = await this.store.get(checkUserName(name));
    if (!user) throw new UserNotFoundError(name);
    return user;
  }

  /** `change` may return the user spread with its generation: the store sets its own. */
  private async update(name: string, change: (user: StoredUser) => UserRecord): Promise<StoredUser> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const user = await this.stored(name);
      const stored = await this.store.put(change(user), user.generation);
      if (stored) return stored;
    }
    throw new Error(`user ${JSON.stringify(name)} kept changing under ${ATTEMPTS} attempts to write it; try again`);
  }
}

function object(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new UserInputError('body', 'the body must be a JSON object');
  }
  return input as Record<string, unknown>;
}
