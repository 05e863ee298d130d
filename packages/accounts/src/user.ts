// What a user is: a name, a token hash, whether and until when it may watch, and its limits.

import { UserInputError } from './errors.js';
import { TOKEN_HASH_PATTERN } from './token.js';

/** What happens when a user is at a limit: refuse the new player (429), or end the user's oldest. */
export type LimitPolicy = 'refuse' | 'oldest';

export interface UserLimits {
  /** Distinct channels at once (the same channel on two players counts once); 0 = no limit. */
  readonly channels: number;
  /** Player connections at once (a TS stream or an HLS session each); 0 = no limit. */
  readonly connections: number;
  readonly policy: LimitPolicy;
}

/** A user as every answer shows it: never with its token or token hash. */
export interface PublicUser {
  readonly name: string;
  readonly enabled: boolean;
  /** Epoch ms after which the token is refused; null = never. */
  readonly expiresAt: number | null;
  readonly limits: UserLimits;
  readonly groups: readonly string[];
  readonly createdAt: number;
  /** Where the user was born: the admin API, or USERS_FILE (re-seeded when missing). */
  readonly source: 'api' | 'file';
}

/** A user as stored: with its token hash and a generation raised by every write (compare-and-set). */
export interface StoredUser extends PublicUser {
  readonly tokenHash: string;
  readonly generation: number;
  /** Players admitted at or before this epoch ms are cut (the admin API's disconnect); absent = none. */
  readonly cutAt?: number;
}

/** Lower-case names that are safe in key names, URLs and logs. */
export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const GROUP_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const NO_LIMITS: UserLimits = { channels: 0, connections: 0, policy: 'refuse' };

export function publicUser(user: StoredUser): PublicUser {
  const { tokenHash: _hash, generation: _generation, cutAt: _cutAt, ...shown } = user;
  return shown;
}

/** Whether the user may watch at `now`. */
export function usable(user: PublicUser, now: number): boolean {
  return user.enabled && (user.expiresAt === null || now < user.expiresAt);
}

export function checkUserName(name: unknown): string {
  if (typeof name !== 'string' || !USER_NAME_PATTERN.test(name)) {
    throw new UserInputError(
      'name',
      `user name ${JSON.stringify(name)} is not allowed: 1 to 64 lower-case letters, digits, . _ or -, starting with a letter or digit`,
    );
  }
  return name;
}

export function checkTokenHash(hash: unknown): string {
  if (typeof hash !== 'string' || !TOKEN_HASH_PATTERN.test(hash.toLowerCase())) {
    throw new UserInputError('token_sha256', 'token_sha256 must be the SHA-256 of the token as 64 hex characters');
  }
  return hash.toLowerCase();
}

const count = (field: string, value: unknown): number => {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10_000) {
    throw new UserInputError(field, `${field} must be a whole number from 0 (no limit) to 10000, not ${JSON.stringify(value)}`);
  }
  return value;
};

/** Limits from untrusted input (admin API body, USERS_FILE); missing fields mean no limit and `refuse`. */
export function checkLimits(input: unknown, base: UserLimits = NO_LIMITS): UserLimits {
  if (input === undefined || input === null) return base;
  if (typeof input !== 'object' || Array.isArray(input)) throw new UserInputError('limits', 'limits must be an object');
  const raw = input as Record<string, unknown>;
  const policy = raw.policy ?? base.policy;
  if (policy !== 'refuse' && policy !== 'oldest') {
    throw new UserInputError('limits.policy', `limits.policy must be refuse or oldest, not ${JSON.stringify(policy)}`);
  }
  return {
    channels: raw.channels === undefined ? base.channels : count('limits.channels', raw.channels),
    connections: raw.connections === undefined ? base.connections : count('limits.connections', raw.connections),
    policy,
  };
}

/** An expiry as epoch ms from a number (ms), an ISO 8601 date string, or null (never). */
export function checkExpiry(input: unknown): number | null {
  if (input === null || input === undefined) return null;
  const ms = typeof input === 'number' ? input : typeof input === 'string' ? Date.parse(input) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new UserInputError(
      'expires_at',
      `expires_at must be an ISO 8601 date, epoch milliseconds or null, not ${JSON.stringify(input)}`,
    );
  }
  return ms;
}

export function checkGroups(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input) || input.length > 32 || !input.every((g) => typeof g === 'string' && GROUP_PATTERN.test(g))) {
    throw new UserInputError('groups', 'groups must be a list of up to 32 names of letters, digits, . _ or -');
  }
  return [...new Set(input as string[])];
}

export function checkEnabled(input: unknown, base = true): boolean {
  if (input === undefined) return base;
  if (typeof input !== 'boolean')
    throw new UserInputError('enabled', `enabled must be true or false, not ${JSON.stringify(input)}`);
  return input;
}
