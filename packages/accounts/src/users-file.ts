// USERS_FILE: users kept in git (YAML or JSON), seeded at start and re-seeded whenever found missing.

import { parse as parseYaml } from 'yaml';
import { UserInputError } from './errors.js';
import type { UserRecord, UserStore } from './store.js';
import { hashToken, isTokenShaped } from './token.js';
import { checkEnabled, checkExpiry, checkGroups, checkLimits, checkTokenHash, checkUserName, type StoredUser } from './user.js';

/** A user as the file gives it: everything but the store's bookkeeping. */
export type FileUser = Omit<UserRecord, 'createdAt' | 'source'>;

const FIELDS = new Set(['name', 'token', 'token_sha256', 'enabled', 'expires_at', 'limits', 'groups']);

/**
 * Reads the file's text (YAML, of which JSON is a subset):
 *
 *     users:
 *       - name: alice
 *         token_sha256: 9f86d0...   # printf %s "$TOKEN" | sha256sum
 *         limits: { channels: 2, connections: 4, policy: oldest }
 *       - name: kitchen
 *         token: <43 base64url characters>   # a plain token, for a file that is not in git
 *         expires_at: 2026-01-01T00:00:00Z
 *
 * Both forms: a hash keeps the file free of secrets (it can live in a public repository), a plain
 * token spares a home operator the hashing step. A plain token must be token-shaped (`openssl
 * rand -base64 32 | tr '+/' '-_' | tr -d =`), so a guessable password never becomes a token.
 * Throws UserInputError naming the entry and the field.
 */
export function parseUsersFile(text: string): FileUser[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UserInputError('USERS_FILE', `USERS_FILE is neither YAML nor JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(list)) throw new UserInputError('USERS_FILE', 'USERS_FILE must hold a list of users, or `users:` with one');
  const names = new Set<string>();
  const hashes = new Set<string>();
  return list.map((entry: unknown, i) => {
    const where = `USERS_FILE user #${i + 1}`;
    try {
      const user = fileUser(entry);
      if (names.has(user.name)) throw new UserInputError('name', `the name ${user.name} is given twice`);
      if (hashes.has(user.tokenHash)) throw new UserInputError('token', 'the same token is given to two users');
      names.add(user.name);
      hashes.add(user.tokenHash);
      return user;
    } catch (err) {
      if (err instanceof UserInputError) throw new UserInputError(err.field, `${where}: ${err.message}`);
      throw err;
    }
  });
}

function fileUser(entry: unknown): FileUser {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new UserInputError('user', 'each user must be a map');
  const raw = entry as Record<string, unknown>;
  for (const field of Object.keys(raw))
    if (!FIELDS.has(field)) throw new UserInputError(field, `unknown field ${JSON.stringify(field)}`);
  if ((raw.token === undefined) === (raw.token_sha256 === undefined)) {
    throw new UserInputError('token', 'give exactly one of token (plain) and token_sha256 (its SHA-256 in hex)');
  }
  if (raw.token !== undefined && (typeof raw.token !== 'string' || !isTokenShaped(raw.token))) {
    throw new UserInputError(
      'token',
      'token must be 43 base64url characters (32 random bytes), e.g. from `openssl rand -base64 32 | tr "+/" "-_" | tr -d =`',
    );
  }
  // YAML reads an unquoted date as a Date.
  const expires = raw.expires_at instanceof Date ? raw.expires_at.getTime() : raw.expires_at;
  return {
    name: checkUserName(raw.name),
    tokenHash: raw.token !== undefined ? hashToken(raw.token as string) : checkTokenHash(raw.token_sha256),
    enabled: checkEnabled(raw.enabled),
    expiresAt: checkExpiry(expires),
    limits: checkLimits(raw.limits),
    groups: checkGroups(raw.groups),
  };
}

export interface SeedReport {
  readonly created: string[];
  readonly updated: string[];
  readonly removed: string[];
  /** Users the store would not write as the file says: their token is another user's, or another write came first and differs. */
  readonly refused: string[];
}

/**
 * Puts the file's users in the store. At start (`overwrite`), the file wins: its users are made
 * as it says (an admin API change to one of them lasts until the next start), and users an older
 * file made but this one no longer lists are removed. While running (not `overwrite`), only the
 * missing ones are made again: the durable state was lost, and the file is how it comes back.
 */
export async function seedUsers(
  store: UserStore,
  users: readonly FileUser[],
  { overwrite, now = Date.now() }: { overwrite: boolean; now?: number },
): Promise<SeedReport> {
  const report: SeedReport = { created: [], updated: [], removed: [], refused: [] };
  const current = new Map((await store.list()).map((u) => [u.name, u]));
  for (const user of users) {
    const stored = current.get(user.name);
    if (stored && (!overwrite || same(stored, user))) continue;
    const record: UserRecord = { ...user, createdAt: stored?.createdAt ?? now, source: 'file' };
    if (await store.put(record, stored?.generation ?? null)) (stored ? report.updated : report.created).push(user.name);
    // Another worker seeding the same file at the same time wrote it first: not a refusal.
    else if (!isFileUser(await store.get(user.name), user)) report.refused.push(user.name);
  }
  if (overwrite) {
    const listed = new Set(users.map((u) => u.name));
    for (const stored of current.values()) {
      if (stored.source === 'file' && !listed.has(stored.name) && (await store.delete(stored.name)))
        report.removed.push(stored.name);
    }
  }
  return report;
}

function isFileUser(stored: StoredUser | null, user: FileUser): boolean {
  return stored !== null && same(stored, user);
}

function same(stored: StoredUser, user: FileUser): boolean {
  return (
    stored.source === 'file' &&
    stored.tokenHash === user.tokenHash &&
    stored.enabled === user.enabled &&
    stored.expiresAt === user.expiresAt &&
    JSON.stringify(stored.limits) === JSON.stringify(user.limits) &&
    JSON.stringify(stored.groups) === JSON.stringify(user.groups)
  );
}
