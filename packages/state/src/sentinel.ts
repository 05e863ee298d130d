// The durable state's sentinel: a random id written once per installation, in Redis or in memory.

import { randomBytes } from 'node:crypto';
import type { Keys } from '@acestream-proxy/keys';
import type { Redis } from '@acestream-proxy/redis';

/** Where the sentinel is: the first id offered stays, later offers get it back. */
export interface SentinelStore {
  /** Stores `candidate` unless an id is there; resolves the id in force and whether it was `candidate`'s store. */
  offer(candidate: string): Promise<{ id: string; stored: boolean }>;
  read(): Promise<string | null>;
}

export function newSentinelId(): string {
  return `${new Date().toISOString()}/${randomBytes(8).toString('hex')}`;
}

/** No expiry: the key goes only with the data around it (a Redis restarted without persistence, a FLUSHALL). */
export class RedisSentinelStore implements SentinelStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async offer(candidate: string): Promise<{ id: string; stored: boolean }> {
    const key = this.keys.stateSentinel();
    if ((await this.redis.set(key, candidate, 'NX')) === 'OK') return { id: candidate, stored: true };
    return { id: (await this.redis.get(key)) ?? candidate, stored: false };
  }

  read(): Promise<string | null> {
    return this.redis.get(this.keys.stateSentinel());
  }
}

/** Embedded mode: state lives and dies with the one process, so it is never lost while running. */
export class MemorySentinelStore implements SentinelStore {
  private id: string | null = null;

  async offer(candidate: string): Promise<{ id: string; stored: boolean }> {
    const stored = this.id === null;
    this.id ??= candidate;
    return { id: this.id, stored };
  }

  async read(): Promise<string | null> {
    return this.id;
  }

  /** Forgets the id, as a Redis restarted empty would (tests). */
  clear(): void {
    this.id = null;
  }
}
