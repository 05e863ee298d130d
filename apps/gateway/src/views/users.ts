// The users as the status page lists them (AUTH=token): each with its limits and what it watches
// now (from the admissions, cluster-wide). Never a token or its hash: PublicUser has neither.

import type { GatewayContext } from '../context.js';

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

export async function describeUsers(
  accounts: NonNullable<GatewayContext['accounts']>,
): Promise<{ users: UserView[]; users_total: number }> {
  const users = await accounts.users.list();
  const live = await Promise.all(users.map((u) => accounts.admission.connections(u.name)));
  const views = users.map(
    (u, i): UserView => ({
      name: u.name,
      enabled: u.enabled,
      expires_at: u.expiresAt,
      limits: { ...u.limits },
      channels: [...new Set(live[i]!.map((c) => c.stream))],
      connections: live[i]!.length,
    }),
  );
  views.sort((a, b) => b.connections - a.connections || a.name.localeCompare(b.name));
  return { users: views.slice(0, USERS_SHOWN), users_total: views.length };
}
