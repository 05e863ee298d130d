// A user's limits at the door: admit a player connection (or refuse it, or end the oldest), release it.

import type { LimitName } from './errors.js';
import type { UserLimits } from './user.js';

export interface AdmissionRequest {
  /** A validated user name (from Authenticator). */
  readonly user: string;
  readonly limits: UserLimits;
  /** The player connection: a TS client id or an HLS session id, unique cluster-wide. */
  readonly connection: string;
  /** The channel (stream id): two connections on one channel count as one channel. */
  readonly stream: string;
  /** How long the entry holds without a refresh: a dead worker's players lapse after it. */
  readonly ttlMs: number;
}

/** A connection ended to make room under the `oldest` policy: the gateway stops it wherever it is. */
export interface Evicted {
  readonly connection: string;
  readonly stream: string;
}

export type Admission =
  | { readonly admitted: true; readonly evicted: readonly Evicted[] }
  | { readonly admitted: false; readonly limit: LimitName; readonly allowed: number };

export interface LiveConnection {
  readonly connection: string;
  readonly stream: string;
  readonly admittedAt: number;
}

/** What a refresh found of the connections it was given that are no longer held. */
export interface RefreshResult {
  /** Ended on purpose (evicted under `oldest`, cut with `end`): their players must stop. */
  readonly ended: string[];
  /** Lapsed, or forgotten by a Redis that restarted empty: their players may be admitted again. */
  readonly missing: string[];
}

export interface RefreshEntry {
  readonly user: string;
  readonly connection: string;
  readonly ttlMs: number;
}

/**
 * The check and the registration are one atomic step (a Lua script per user in Redis), so players
 * racing in through different workers and hosts cannot together pass a limit. A connection
 * already admitted is admitted again (a refresh), never counted twice.
 */
export interface AdmissionStore {
  admit(request: AdmissionRequest): Promise<Admission>;
  /** The player left: its slot and channel are free at once. */
  release(user: string, connection: string): Promise<void>;
  /**
   * The player was cut (revoked, disconnected): its slot is free, and for `rememberMs` refreshes
   * report it as ended, so a worker that has not served it yet does not take it back.
   */
  end(user: string, connection: string, rememberMs: number): Promise<void>;
  /** Extends this worker's entries (its heartbeat); an entry that lapsed or was ended stays gone, and is reported. */
  refresh(entries: readonly RefreshEntry[]): Promise<RefreshResult>;
  /** The user's live connections, oldest first. */
  connections(user: string): Promise<LiveConnection[]>;
}

/** The limit a user with these connections would pass by adding `stream`, channels first; null = within. */
export function overLimit(limits: UserLimits, live: readonly LiveConnection[], stream: string): LimitName | null {
  const channels = new Set(live.map((c) => c.stream));
  channels.add(stream);
  if (limits.channels > 0 && channels.size > limits.channels) return 'channels';
  if (limits.connections > 0 && live.length + 1 > limits.connections) return 'connections';
  return null;
}

/**
 * The `oldest` policy: which connections to end so `stream` fits. Over the channel limit, every
 * connection of the channel watched longest (never the one being joined); over the connection
 * limit, the oldest connection. `live` is oldest first. Mirrors user-ops-3.lua.
 */
export function evictions(limits: UserLimits, live: readonly LiveConnection[], stream: string): LiveConnection[] {
  let left = [...live];
  const ended: LiveConnection[] = [];
  for (let limit = overLimit(limits, left, stream); limit !== null; limit = overLimit(limits, left, stream)) {
    const victim = limit === 'channels' ? left.find((c) => c.stream !== stream)! : left[0]!;
    const going = limit === 'channels' ? left.filter((c) => c.stream === victim.stream) : [victim];
    ended.push(...going);
    left = left.filter((c) => !going.includes(c));
  }
  return ended;
}
