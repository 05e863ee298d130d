// AdmissionStore in memory (embedded mode), the twin of RedisAdmissionStore.

import {
  type Admission,
  type AdmissionRequest,
  type AdmissionStore,
  evictions,
  type LiveConnection,
  overLimit,
  type RefreshEntry,
} from './admission.js';

interface Entry extends LiveConnection {
  expiresAt: number;
}

export class MemoryAdmissionStore implements AdmissionStore {
  private readonly users = new Map<string, Map<string, Entry>>();

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
    for (const gone of evicted) entries.delete(gone.connection);
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

  async refresh(entries: readonly RefreshEntry[]): Promise<string[]> {
    const now = this.now();
    const missing: string[] = [];
    for (const { user, connection, ttlMs } of entries) {
      const entry = this.live(user, now).get(connection);
      if (entry) entry.expiresAt = now + ttlMs;
      else missing.push(connection);
    }
    return missing;
  }

  async connections(user: string): Promise<LiveConnection[]> {
    return ordered(this.live(user, this.now())).map(({ connection, stream, admittedAt }) => ({ connection, stream, admittedAt }));
  }

  /** Users with live entries (tests check nothing is left). */
  get size(): number {
    return this.users.size;
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
