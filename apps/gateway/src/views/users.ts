// The users as the status page lists them (AUTH=token): each with its limits and what it watches
// now (from the admissions, cluster-wide). Never a token or its hash: PublicUser has neither.

import type { PublicUser } from '@acestream-proxy/accounts';
import type { Accounts } from '../accounts/index.js';

/** Users listed per snapshot, those watching first: a screen's worth (the page says how many more). */
export const USERS_SHOWN = 200;

export interface UserView {
  name: string;
  enabled: boolean;
  expires_at: number | null;
  limits: { channels: number; connections: number; policy: string };
  /** Distinct channels (stream ids) the user's players watch now. */
  channels: string[];
  connections: number;
}

/** A user with what its players watch now, cluster-wide. */
export interface LiveUser {
  user: PublicUser;
  /** Distinct channels (stream ids): one channel on two players counts once. */
  channels: string[];
  /** Its player connections (TS streams and HLS sessions). */
  connections: number;
}

/** Every user, by name, with its live connections: what the admin API and the status page list. */
export async function liveUsers(accounts: Accounts): Promise<LiveUser[]> {
  const users = await accounts.users.list();
  const live = await Promise.all(users.map((u) => accounts.admission.connections(u.name)));
  return users.map((user, i) => ({
    user,
    channels: [...new Set(live[i]!.map((c) => c.stream))],
    connections: live[i]!.length,
  }));
}

export async function describeUsers(accounts: Accounts): Promise<{ users: UserView[]; users_total: number }> {
  const views = (await liveUsers(accounts)).map(
    ({ user, channels, connections }): UserView => ({
      name: user.name,
      enabled: user.enabled,
      expires_at: user.expiresAt,
      limits: { ...user.limits },
      channels,
      connections,
    }),
  );
  views.sort((a, b) => b.connections - a.connections || a.name.localeCompare(b.name));
  return { users: views.slice(0, USERS_SHOWN), users_total: views.length };
}
