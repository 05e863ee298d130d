// The status page's operator sessions (AUTH=token): a random id in an HttpOnly cookie, its role
// kept under the id's SHA-256 with an expiry, in Redis for the fleet or in memory when embedded.

import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';

/** What a key gives: the admin key (PROXY_API_KEY) reads and changes, the read key (PROXY_READ_KEY) reads. */
export type OperatorRole = 'admin' | 'read';

export interface OperatorSessions {
  create(idHash: string, role: OperatorRole, ttlMs: number): Promise<void>;
  /** The session's role, or null when there is none (never made, logged out, expired). */
  role(idHash: string): Promise<OperatorRole | null>;
  end(idHash: string): Promise<void>;
}

const asRole = (value: string | null | undefined): OperatorRole | null => (value === 'admin' || value === 'read' ? value : null);

/** Sessions this many at most in memory (a login storm must not grow the map for ever); the oldest go first. */
const MAX_SESSIONS = 10_000;

export class MemoryOperatorSessions implements OperatorSessions {
  private readonly sessions = new Map<string, { role: OperatorRole; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(idHash: string, role: OperatorRole, ttlMs: number): Promise<void> {
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(idHash, { role, expiresAt: this.now() + ttlMs });
  }

  async role(idHash: string): Promise<OperatorRole | null> {
    const session = this.sessions.get(idHash);
    if (session && session.expiresAt <= this.now()) this.sessions.delete(idHash);
    return session && session.expiresAt > this.now() ? session.role : null;
  }

  async end(idHash: string): Promise<void> {
    this.sessions.delete(idHash);
  }
}

/** Ephemeral (DESIGN §19): a Redis restarted empty logs the operators out, nothing worse. */
export class RedisOperatorSessions implements OperatorSessions {
  /** `redis`: the request connection (a Redis outage fails the request at once). */
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async create(idHash: string, role: OperatorRole, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.operatorSession(idHash), role, 'PX', ttlMs);
  }

  async role(idHash: string): Promise<OperatorRole | null> {
    return asRole(await this.redis.get(this.keys.operatorSession(idHash)));
  }

  async end(idHash: string): Promise<void> {
    await this.redis.del(this.keys.operatorSession(idHash));
  }
}
