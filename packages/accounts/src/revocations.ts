// Cuts the players of a user who was deleted, disabled, expired or given a new token, within seconds.

import type { UserStore } from './store.js';
import { sameHash } from './token.js';
import { type StoredUser, usable } from './user.js';

/** A live player as the gateway admitted it (Principal's user name and token hash). */
export interface Holder {
  readonly user: string;
  readonly tokenHash: string;
  /** When the player was admitted (epoch ms): a disconnect cuts the players admitted before it. */
  readonly since?: number;
}

export type RevocationReason = 'deleted' | 'disabled' | 'expired' | 'rotated' | 'disconnected';

export interface RevocationWatchOptions {
  /** The players this worker serves now (read every tick). */
  live: () => Iterable<Holder>;
  /** Called for each live player whose credential no longer holds; called again each tick until it is gone. */
  onRevoked: (holder: Holder, reason: RevocationReason) => void;
  /** How often to look (default 1000 ms): one GET per tick when nothing changed. */
  intervalMs?: number;
  now?: () => number;
  /** Told when a tick fails (Redis away): players keep watching until the store answers again. */
  onError?: (err: Error) => void;
}

export interface RevocationWatch {
  /** One look now (the timer calls it; tests and the gateway may too). */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Polls the users' version rather than trusting Pub/Sub, which drops messages while a subscriber
 * reconnects: a change is seen within one interval by every worker, whatever was lost. Records
 * are re-read only when the version moved (or a player of a user not yet read appeared); expiry
 * is checked against the clock every tick.
 */
export function watchRevocations(store: UserStore, options: RevocationWatchOptions): RevocationWatch {
  const now = options.now ?? Date.now;
  const known = new Map<string, StoredUser | null>();
  let seenVersion: number | null = null;
  let running: Promise<void> | null = null;

  const look = async () => {
    const version = await store.version();
    if (version !== seenVersion) known.clear();
    seenVersion = version;
    const holders = [...options.live()];
    const unread = [...new Set(holders.map((h) => h.user).filter((name) => !known.has(name)))];
    const records = await store.getMany(unread);
    for (const [i, name] of unread.entries()) known.set(name, records[i] ?? null);
    const at = now();
    for (const holder of holders) {
      const reason = revoked(known.get(holder.user) ?? null, holder, at);
      if (reason) options.onRevoked(holder, reason);
    }
  };

  const check = () => {
    // One look at a time: a slow store must not pile ticks up.
    running ??= look().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = setInterval(() => {
    check().catch((err: Error) => options.onError?.(err));
  }, options.intervalMs ?? 1000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

function revoked(user: StoredUser | null, holder: Holder, now: number): RevocationReason | null {
  if (user === null) return 'deleted';
  if (!sameHash(user.tokenHash, holder.tokenHash)) return 'rotated';
  if (!user.enabled) return 'disabled';
  if (!usable(user, now)) return 'expired';
  if (user.cutAt !== undefined && holder.since !== undefined && holder.since <= user.cutAt) return 'disconnected';
  return null;
}
