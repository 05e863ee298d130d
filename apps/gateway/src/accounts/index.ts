// AUTH=token for one worker: the users (cached), the admin service, the authenticator, the
// admission of players against their limits, and the watch that cuts revoked users' players.

import { readFileSync } from 'node:fs';
import {
  type AdmissionStore,
  Authenticator,
  type FileUser,
  parseUsersFile,
  type RevocationWatch,
  seedUsers,
  type UserStore,
  Users,
  watchRevocations,
} from '@acestream-proxy/accounts';
import type { ProxyConfig } from '@acestream-proxy/config';
import type { StreamId } from '@acestream-proxy/keys';
import type { Logger } from '@acestream-proxy/stream';
import { CachedUserStore } from './cached-users.js';
import { type LocalPlayer, UserPlayers } from './players.js';

export { CachedUserStore } from './cached-users.js';
export { type LocalPlayer, PlayerEndedError, UserPlayers } from './players.js';

export interface Accounts {
  /** The users as this worker reads them: token lookups cached, emptied when the users' version moves. */
  store: CachedUserStore;
  /** The admin API's service (list, create, change, rotate, disconnect, remove). */
  users: Users;
  /** A request's user, or UnauthorizedError (401). */
  authenticator: Authenticator;
  /** Each user's live connections cluster-wide (the atomic admit). */
  admission: AdmissionStore;
  /** This worker's players of users: admitted, refreshed, released, cut. */
  players: UserPlayers;
  close(): void;
}

/** Logged with the names of USERS_FILE users the store would not write. */
export const USERS_REFUSED =
  "USERS_FILE users not written: their token is another user's (or an admin changed them while they were seeded); give each user a token of its own";

/** How often every worker looks for revoked users (one GET of the users' version when nothing changed). */
const REVOCATION_INTERVAL_MS = 1000;

/** USERS_FILE read and checked; a message naming the variable, the file and the problem otherwise. */
export function loadUsersFile(path: string): FileUser[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`USERS_FILE=${path}: cannot be read (${(err as Error).message})`);
  }
  try {
    return parseUsersFile(text);
  } catch (err) {
    throw new Error(`USERS_FILE=${path}: ${(err as Error).message}`);
  }
}

/** Settings that cannot go together with accounts, checked before any process starts: one line each. */
export function accountProblems(config: ProxyConfig): string[] {
  const problems: string[] = [];
  if (config.auth === 'token' && config.hdhrDiscovery) {
    problems.push(
      'HDHR_DISCOVERY=true cannot be used with AUTH=token: discovery hands out tuner URLs without a user token ' +
        '(media servers then get 401); unset HDHR_DISCOVERY and add the tuner by its per-user URL ' +
        '(http://host:port/u/<token>/), see docs/users.md',
    );
  }
  if (config.usersFile !== null) {
    try {
      loadUsersFile(config.usersFile);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

export interface AccountSettings {
  users: UserStore;
  /** USERS_FILE's users (read once per worker, see loadUsersFile); null without one. */
  fileUsers: readonly FileUser[] | null;
  admission: AdmissionStore;
  dropClient(id: StreamId, clientId: string): Promise<void>;
  ttlMs: { ts: number; hls: number };
  refreshMs: number;
  logger: Logger;
}

/** Null when AUTH=none: nothing of accounts runs, and every route behaves as without them. */
export async function createAccounts(config: ProxyConfig, settings: AccountSettings): Promise<Accounts | null> {
  if (config.auth === 'none') return null;
  const { logger } = settings;
  const store = new CachedUserStore(settings.users);
  if (settings.fileUsers) {
    const { refused, ...report } = await seedUsers(store, settings.fileUsers, { overwrite: true });
    if (report.created.length + report.updated.length + report.removed.length > 0)
      logger.info('USERS_FILE seeded', { ...report });
    // Names only: a user's token (or its hash) is never logged.
    if (refused.length > 0) logger.warn(USERS_REFUSED, { users: refused });
  }
  const players = new UserPlayers({ ...settings });
  const watch: RevocationWatch = watchRevocations(store, {
    live: () => players.live(),
    onRevoked: (holder, reason) => (holder as LocalPlayer).end(reason),
    intervalMs: REVOCATION_INTERVAL_MS,
    onError: (err) => logger.warn('users check failed: players keep watching until the store answers', { error: err.message }),
  });
  return {
    store,
    users: new Users(store),
    authenticator: new Authenticator(store),
    admission: settings.admission,
    players,
    close() {
      watch.stop();
      players.close();
    },
  };
}
