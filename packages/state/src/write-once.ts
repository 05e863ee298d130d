// A value written once and kept (durable state, DESIGN §19): the first offer stores it, later
// offers get it back. The state's sentinel and the generated HLS session key are two of them.

import type { Redis } from '@acestream-proxy/redis';

export interface WriteOnce {
  /** Stores `candidate` unless a value is there; resolves the value in force and whether it was `candidate`'s store. */
  offer(candidate: string): Promise<{ value: string; stored: boolean }>;
  read(): Promise<string | null>;
}

/** One key with no expiry: it goes only with the data around it (a Redis restarted without persistence, a FLUSHALL). */
export class RedisWriteOnce implements WriteOnce {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async offer(candidate: string): Promise<{ value: string; stored: boolean }> {
    if ((await this.redis.set(this.key, candidate, 'NX')) === 'OK') return { value: candidate, stored: true };
    return { value: (await this.redis.get(this.key)) ?? candidate, stored: false };
  }

  read(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}

/** Embedded mode: state lives and dies with the one process, so it is never lost while running. */
export class MemoryWriteOnce implements WriteOnce {
  private value: string | null = null;

  async offer(candidate: string): Promise<{ value: string; stored: boolean }> {
    const stored = this.value === null;
    this.value ??= candidate;
    return { value: this.value, stored };
  }

  async read(): Promise<string | null> {
    return this.value;
  }

  /** Forgets the value, as a Redis restarted empty would (tests). */
  clear(): void {
    this.value = null;
  }
}
