// AdmissionStore in memory (embedded mode), the twin of RedisAdmissionStore.

import {
  type Admission,
  type AdmissionRequest,
  type AdmissionStore,
  evictions,
  type LiveConnection,
  overLimit,
  type RefreshEntry,
  type RefreshResult,
} from './admission.js';

interface Entry extends LiveConnection {
  expiresAt: number;
}

export class MemoryAdmissionStore implements AdmissionStore {
  private readonly users = new Map<string, Map<string, Entry>>();
  /** Connections ended on purpose, per user: connection id → until when it is remembered. */
  private readonly ended = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  async admit(request: AdmissionRequest): Promise<Admission> {
    const now = this.now();
    const entries = this.live(request.user, now, true);
    const held = entries.get(request.connection);
    if (held) {
      held.expiresAt = now + request.ttlMs;
      return { admitted: true, evicted: [] };
    }
    const live = ordered(entries);
    const limit = overLimit(request.limits, live, request.stream);
    if (limit !== null && request.limits.policy === 'refuse') {
      return { admitted: false, limit, allowed: request.limits[limit] };
    }
    const evicted = limit === null ? [] : evictions(request.limits, live, request.stream);
    for (const gone of evicted) {
      entries.delete(gone.connection);
      this.remember(request.user, gone.connection, now + request.ttlMs);
    }
    entries.set(request.connection, {
      connection: request.connection,
      stream: request.stream,
      admittedAt: now,
      expiresAt: now + request.ttlMs,
    });
    return { admitted: true, evicted: evicted.map(({ connection, stream }) => ({ connection, stream })) };
  }

  async release(user: string, connection: string): Promise<void> {
    const entries = this.users.get(user);
    entries?.delete(connection);
    if (entries?.size === 0) this.users.delete(user);
  }

  async end(user: string, connection: string, rememberMs: number): Promise<void> {
    await this.release(user, connection);
    this.remember(user, connection, this.now() + rememberMs);
  }

  async refresh(entries: readonly RefreshEntry[]): Promise<RefreshResult> {
    const now = this.now();
    this.forgetEnded(now);
    const result: RefreshResult = { ended: [], missing: [] };
    for (const { user, connection, ttlMs } of entries) {
      const entry = this.live(user, now).get(connection);
      if (entry) entry.expiresAt = now + ttlMs;
      else if ((this.ended.get(user)?.get(connection) ?? 0) > now) result.ended.push(connection);
      else result.missing.push(connection);
    }
    return result;
  }

  private remember(user: string, connection: string, until: number): void {
    this.forgetEnded(this.now());
    const ended = this.ended.get(user) ?? new Map<string, number>();
    ended.set(connection, until);
    this.ended.set(user, ended);
  }

  /** Forgets what was ended longer ago than it is remembered, every user's, and users left with nothing. */
  private forgetEnded(now: number): void {
    for (const [user, ended] of this.ended) {
      for (const [id, until] of ended) if (until <= now) ended.delete(id);
      if (ended.size === 0) this.ended.delete(user);
    }
  }

  async connections(user: string): Promise<LiveConnection[]> {
    return ordered(this.live(user, this.now())).map(({ connection, stream, admittedAt }) => ({ connection, stream, admittedAt }));
  }

  /** Users with live entries (tests check nothing is left). */
  get size(): number {
    return this.users.size;
  }

  /** Ended connections still remembered, every user's (tests check they are forgotten). */
  get remembered(): number {
    let count = 0;
    for (const ended of this.ended.values()) count += ended.size;
    return count;
  }

  /** The user's unexpired entries; a map of no entries is kept only when `create` (a player is joining). */
  private live(user: string, now: number, create = false): Map<string, Entry> {
    const entries = this.users.get(user) ?? new Map<string, Entry>();
    for (const [id, entry] of entries) if (entry.expiresAt <= now) entries.delete(id);
    if (entries.size > 0 || create) this.users.set(user, entries);
    else this.users.delete(user);
    return entries;
  }
}

function ordered(entries: Map<string, Entry>): Entry[] {
  return [...entries.values()].sort((a, b) => a.admittedAt - b.admittedAt || (a.connection < b.connection ? -1 : 1));
}
